"""The commissioner's Streamlit app: gathers inputs, calls the ``model`` API, draws results.

Nothing here simulates: every figure comes from ``model`` (replications, comparisons,
demand and staffing estimates). The modules are small helpers shared by the pages in
``app/screens``; all interface text lives in ``app/i18n/<language>.yaml``.
"""
