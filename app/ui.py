"""Shared pieces of every page: the language switch, headings, figures with their tables,
estimates with their confidence intervals, and plain error lists.

Each chart is shown with a one-sentence plain reading above it, a note of the interval
and the number of replications, and its data as a table and a CSV download below it,
so nothing depends on seeing the chart (or its colours).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app import state
from app.formatting import ci_text as ci_text
from app.formatting import date_text as date_text
from app.formatting import fmt as fmt
from app.formatting import level as level
from app.formatting import period_text as period_text
from app.i18n import LANG_KEY, LANG_WIDGET_KEY, LANGUAGES, current_language, number, t
from app.views import View
from model.replications import Estimate
from model.scenario import Scenario, ScenarioError

PLOTLY_CONFIG = {"displayModeBar": False, "displaylogo": False, "responsive": True}
"""No Plotly toolbar: its buttons are only in English; tables and downloads replace them."""


def language_switch() -> str:
    """The language switch (sidebar, every page); returns the chosen language.

    The choice is kept under its own session key, copied from the widget when it
    changes, so it survives any run in which the widget is not drawn (Streamlit forgets
    an undrawn widget's value). The label and option names are the same in both
    languages on purpose: Streamlit identifies a widget by its label and options, so a
    label that changed with the language would make a new widget each time."""
    lang = current_language()
    st.session_state[LANG_KEY] = lang

    def remember() -> None:
        st.session_state[LANG_KEY] = st.session_state[LANG_WIDGET_KEY]

    st.session_state[LANG_WIDGET_KEY] = lang
    st.sidebar.radio(
        t("ui.language"),
        LANGUAGES,
        key=LANG_WIDGET_KEY,
        format_func=lambda code: t(f"lang.{code}"),
        on_change=remember,
        horizontal=True,
    )
    return lang


def heading(page: str) -> None:
    """The page's title and one-line purpose, from the catalogue (``pages.<page>``)."""
    st.title(t(f"pages.{page}.title"))
    st.markdown(t(f"pages.{page}.intro"))


def estimate_card(
    label: str, est: Estimate, digits: int = 1, as_percent: bool = False, help: str = ""
) -> None:
    """A headline figure with its interval and number of replications underneath."""
    with st.container(border=True):
        st.metric(label, fmt(est.mean, digits, as_percent), help=help or None)
        st.caption(ci_text(est, digits, as_percent))


def chart_block(
    key: str,
    fig: go.Figure,
    table: pd.DataFrame,
    reading: str,
    note: str,
) -> None:
    """A figure with its plain reading, interval note, data table and CSV download."""
    st.markdown(f"**{t('ui.reading')}** {reading}")
    st.plotly_chart(fig, key=f"chart:{key}", theme=None, config=PLOTLY_CONFIG)
    st.caption(note)
    with st.expander(t("ui.data_table")):
        st.dataframe(table, hide_index=True)
    st.download_button(
        t("ui.download_csv"),
        table.to_csv(index=False).encode("utf-8"),
        file_name=f"{key}-{current_language()}.csv",
        mime="text/csv",
        key=f"download:{key}",
    )


def errors(lines: Iterable[str], intro: str) -> None:
    """Problems in plain words: one bullet per problem, never a traceback."""
    st.error(intro + "\n\n" + "\n".join(f"- {line}" for line in lines))


def interval_columns(frame: pd.DataFrame, as_percent: bool = False, digits: int = 1):
    """Format mean/ci_low/ci_high columns of a table for display (keeps numbers readable)."""
    shown = frame.copy()
    for column in ("mean", "ci_low", "ci_high", "difference", "value"):
        if column in shown.columns:
            shown[column] = [fmt(v, digits, as_percent) for v in shown[column]]
    return shown


def scenario_banner(scenario, results=None) -> None:
    """One line saying what is shown: scenario, changes, horizon, seed, replications."""
    text = t(
        "ui.banner",
        name=scenario.name,
        years=number(scenario.horizon_years, 2),
        start=date_text(scenario.start_date),
        seed=scenario.seed,
        n=results.n if results is not None else scenario.replications,
    )
    st.caption(text)


def adjusted_scenario_or_stop() -> Scenario:
    """The chosen scenario with the levers applied; if the levers make it invalid, the
    problems in plain words, a way back to the Scenario page, and nothing else."""
    try:
        return state.adjusted_scenario()
    except ScenarioError as exc:
        errors(exc.lines, t("scenario.levers_invalid"))
        st.page_link("screens/scenario.py", label=t("results.go_scenario"))
        st.stop()
        raise  # st.stop() does not return; this tells type checkers so


def show_view(view: View | None) -> None:
    """A titled chart with its reading, note, table and download (nothing if no view)."""
    if view is None:
        return
    st.subheader(view.title)
    chart_block(view.key, view.figure, view.table, view.reading, view.note)
