"""The decision brief: one document (Word and HTML, English and/or Welsh) a board can take.

Gathers figures from the staffing search, demand attribution, financial-year tables and
sweep machinery (:mod:`planning.brief.figures`), words them from the catalogues in
``text/{en,cy}.yaml`` (:mod:`planning.brief.content`), and renders them
(:mod:`planning.brief.docx`, :mod:`planning.brief.html`). See docs/brief.md.
"""
