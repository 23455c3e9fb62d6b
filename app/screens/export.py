"""Export page: the adjusted scenario (YAML), the results (CSV) and a self-contained HTML
report for a board paper, in the language chosen."""

from __future__ import annotations

import streamlit as st

from app import export, runs, state, ui
from app.changes import change_lines, origin_text
from app.i18n import current_language, t


@st.cache_data(show_spinner=False, max_entries=8)
def _report(content_hash: str, seed: int, lang: str, lines: tuple, origin: str, _results) -> bytes:
    """The HTML report (about a second to build), cached per scenario, seed and language."""
    return export.html_report(_results, list(lines), origin).encode("utf-8")


ui.heading("export")
scenario = ui.adjusted_scenario_or_stop()

ui.scenario_banner(scenario)
lines = change_lines()
st.subheader(t("export.yaml_title"))
st.markdown(t("export.yaml_help"))
st.download_button(
    t("export.yaml_button"),
    export.scenario_yaml(scenario, lines, origin_text()).encode("utf-8"),
    file_name=f"{scenario.name}-adjusted.yaml",
    mime="application/x-yaml",
    key="download:yaml",
)

st.subheader(t("export.results_title"))
st.markdown(t("export.results_help"))
results = runs.results_or_stop(scenario, state.workers())
st.download_button(
    t("export.csv_button"),
    export.results_csv(results),
    file_name=f"{scenario.name}-results.csv",
    mime="text/csv",
    key="download:results",
)
st.download_button(
    t("export.report_button"),
    _report(
        scenario.content_hash(),
        scenario.seed,
        current_language(),
        tuple(lines),
        origin_text(),
        results,
    ),
    file_name=f"{scenario.name}-report-{current_language()}.html",
    mime="text/html",
    key="download:report",
)
