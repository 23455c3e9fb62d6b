"""Shared pieces of every page: the language switch, headings, figures with their tables,
estimates with their confidence intervals, and plain error lists.

Each chart is shown with a one-sentence plain reading above it, a note of the interval
and the number of replications, and its data as a table and a CSV download below it,
so nothing depends on seeing the chart (or its colours).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app import state, streamlit_words
from app.chart_images import figure_svg, local_browser
from app.formatting import ci_text as ci_text
from app.formatting import date_text as date_text
from app.formatting import fmt as fmt
from app.formatting import level as level
from app.formatting import period_text as period_text
from app.formatting import plain as plain
from app.formatting import years_text as years_text
from app.i18n import LANG_KEY, LANG_WIDGET_KEY, LANGUAGES, current_language, t
from app.views import View, scenario_title
from model.replications import Estimate
from model.scenario import Scenario, ScenarioError

IMAGE_SCALE = 2
"""PNG pixels per chart pixel: sharp enough for a board paper."""


def plotly_config(key: str) -> dict:
    """Plotly's toolbar with one button: download the chart as a PNG image, drawn in the
    browser (no server, no network), named after the chart and language; its tooltip is
    translated through Plotly's own ``locales`` setting."""
    lang = current_language()
    return {
        "displayModeBar": True,
        "displaylogo": False,
        "responsive": True,
        "modeBarButtons": [["toImage"]],
        "toImageButtonOptions": {
            "format": "png",
            "filename": f"{key}-{lang}",
            "scale": IMAGE_SCALE,
        },
        "locale": lang,
        "locales": {
            lang: {
                "dictionary": {
                    # plotly.js 2 and 3 spell the button's tooltip differently
                    "Download plot as a png": t("a11y.modebar_png"),
                    "Download plot as a PNG": t("a11y.modebar_png"),
                    # Plotly's notices (legend clicks, image download), drawn by the browser
                    **streamlit_words.plotly_words(lang),
                }
            }
        },
    }


PAGE_CSS = """
<style>
/* WCAG 2.2 AA (1.4.3): captions (intervals, n, chart notes) at 7:1 instead of 3.9:1. */
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] p,
[data-testid="stWidgetLabel"] small { color: #454955 !important; opacity: 1 !important; }
/* 2.4.7 / 2.4.13: a focus ring anyone can see, on every control reached by Tab. */
a:focus-visible, button:focus-visible, summary:focus-visible, input:focus-visible,
textarea:focus-visible, [role="radio"]:focus-visible, [role="option"]:focus-visible,
[role="combobox"]:focus-visible, [tabindex]:focus-visible,
[data-testid="stSidebarNavLink"]:focus-visible {
  outline: 3px solid #1a56db !important; outline-offset: 2px !important;
}
/* Chosen items in a list are neutral chips, not red ones that look like errors. */
[data-baseweb="tag"], [data-testid="stMultiSelectTagsContainer"] [data-tag] {
  background-color: #e3ebf6 !important; color: #1b1f2a !important;
}
[data-baseweb="tag"] span, [data-testid="stMultiSelectTagsContainer"] [data-tag] * {
  color: #1b1f2a !important;
}
[data-baseweb="tag"] svg, [data-testid="stMultiSelectTagsContainer"] [data-tag] svg {
  fill: #1b1f2a !important;
}
/* 1.4.10 reflow: a chip's whole name wraps onto more lines on a phone, never cut with "…"
   (long Welsh names such as "Ymchwilydd / dadansoddwr cudd-wybodaeth"). */
[data-testid="stMultiSelectTagsContainer"] [data-tag], [data-baseweb="tag"] {
  height: auto !important; max-width: 100% !important; min-width: 0 !important;
}
[data-testid="stMultiSelectTagsContainer"] [data-tag] > span,
[data-baseweb="tag"] span[title] {
  white-space: normal !important; overflow: visible !important;
  text-overflow: clip !important; overflow-wrap: anywhere; max-width: none !important;
}
/* 2.5.8: the day, month and year parts of a date box are targets of at least 24 px. */
[role="spinbutton"][data-rac] {
  display: inline-block; min-width: 24px; min-height: 24px; text-align: center;
}
/* Headline labels wrap instead of being cut off with "…". */
[data-testid="stMetricLabel"], [data-testid="stMetricLabel"] * {
  white-space: normal !important; overflow: visible !important; text-overflow: clip !important;
}
/* An unexpected error links to nothing outside (no "Ask Google", "Ask ChatGPT"). */
[data-testid="stException"] a[href^="http"] { display: none !important; }
/* The page-setup script takes no room. */
.st-key-acu_setup, .st-key-acu_store { display: none !important; }
</style>
"""


def page_setup() -> None:
    """Once per run, on every page: the page's ``lang`` attribute follows the chosen
    language (screen readers pick their voice from it; Streamlit writes ``lang="en"``),
    Streamlit's own English widget words are replaced by the catalogue's, and the
    contrast, focus and chip styles above apply (``app.streamlit_words``). The script is
    ours and holds only catalogue text and Streamlit's fixed English (no visitor or file
    text), so running it is safe."""
    lang = current_language()
    st.html(PAGE_CSS)
    with st.sidebar.container(key="acu_setup"):
        st.html(streamlit_words.script(lang), unsafe_allow_javascript=True)


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


def choice_key(key: str, default: Any) -> str:
    """The widget key, for this language, of a select box or multiselect whose option
    labels change with the language.

    Streamlit 1.67 knows a keyed select box by its key, and after a change of language
    it hands back the *old label* as the value (a multiselect drops the choices whose
    labels it no longer finds). So each language has its own widget, seeded from the
    choice kept under ``state:<key>`` (or ``default``); pass the widget's value to
    :func:`keep_choice` after drawing it."""
    widget = f"{key}:{current_language()}"
    if widget not in st.session_state:
        st.session_state[widget] = kept_choice(key, default)
    return widget


def keep_choice(key: str, value: Any) -> None:
    """Remember a choice across languages (see :func:`choice_key`)."""
    st.session_state[f"state:{key}"] = value


def kept_choice(key: str, default: Any = None) -> Any:
    """The choice last kept by :func:`keep_choice` (or ``default``), on any page."""
    return st.session_state.get(f"state:{key}", default)


def option_labels(options: Sequence[str], label: Callable[[str], str]) -> Callable[[str], str]:
    """A select box's ``format_func``: each option's label made once, in this run's
    language, and never two alike.

    Streamlit 1.67 sends a select box's choice back as its *label* and maps the label to
    an option (the last of equal labels wins), so two scenarios with the same title would
    be one choice: a repeated label gets its option (the file name) after it. The labels
    are fixed here rather than looked up when Streamlit calls the function, which it may
    do outside the page's run (AppTest does, where the language is not known)."""
    labels = {option: label(option) for option in options}
    repeated = Counter(labels.values())
    for option, text in labels.items():
        if repeated[text] > 1:
            labels[option] = f"{text} ({option})"
    return lambda option: labels.get(option, str(option))


def shipped_title(file: str) -> str:
    """A shipped scenario's title in the reader's language (never its file name): the one
    way every page names a shipped scenario in its lists."""
    return scenario_title(state.load_shipped(file))


def heading(page: str) -> None:
    """The page's title and one-line purpose, from the catalogue (``pages.<page>``)."""
    st.title(t(f"pages.{page}.title"))
    st.markdown(t(f"pages.{page}.intro"))


def section(text: str, level: int = 2) -> None:
    """A section heading one level below the page title (h2), or below that (h3), so
    heading levels never skip (WCAG 1.3.1)."""
    (st.header if level == 2 else st.subheader)(text, anchor=False)


def estimate_card(
    label: str, est: Estimate, digits: int = 1, as_percent: bool = False, help: str = ""
) -> None:
    """A headline figure with its interval and number of replications underneath. The
    headline figures are counts, durations and shares: the interval's words stop at 0
    (and at 100% for a share)."""
    with st.container(border=True):
        st.metric(label, fmt(est.mean, digits, as_percent), help=help or None)
        st.caption(ci_text(est, digits, as_percent, (0.0, 1.0 if as_percent else None)))


def chart_block(
    key: str,
    fig: go.Figure,
    table: pd.DataFrame,
    reading: str,
    note: str,
    title: str = "",
) -> None:
    """A figure with its plain reading, interval note, data table and CSV download.

    The chart's accessible name (``alt``) is its title and the plain reading, so a screen
    reader says what the chart shows; the table below gives every number."""
    st.markdown(f"**{t('ui.reading')}** {plain(reading)}")
    st.plotly_chart(
        fig,
        key=f"chart:{key}",
        theme=None,
        config=plotly_config(key),
        alt=t("a11y.chart_name", title=title or key, reading=reading),
    )
    st.caption(note)
    with st.expander(t("ui.data_table")):
        # Numbers with thousands separators in the reader's style (3,434.55, not 3434.55).
        localized = {
            column: st.column_config.NumberColumn(format="localized")
            for column in table.columns
            if pd.api.types.is_float_dtype(table[column])
        }
        st.dataframe(table, hide_index=True, column_config=localized)
    st.download_button(
        t("ui.download_csv"),
        table.to_csv(index=False).encode("utf-8"),
        file_name=f"{key}-{current_language()}.csv",
        mime="text/csv",
        key=f"download:{key}",
    )
    chart_svg_button(key, fig)


def chart_svg_button(key: str, fig: go.Figure) -> None:
    """A keyboard-reachable button that downloads the chart as SVG.

    The SVG is drawn on the server only when the button is pressed (a callable ``data``)
    by the machine's own Chromium, offline (``app.chart_images``). Without a local
    browser there is no button (the PNG in Plotly's toolbar remains)."""
    browser = local_browser()
    if browser is None:
        return
    st.download_button(
        t("chart_image.download_svg"),
        lambda: figure_svg(fig, browser),
        file_name=f"{key}-{current_language()}.svg",
        mime="image/svg+xml",
        key=f"download-svg:{key}",
        help=t("chart_image.svg_help"),
        on_click="ignore",
    )


def errors(lines: Iterable[str], intro: str) -> None:
    """Problems in plain words: one bullet per problem, never a traceback."""
    st.error(intro + "\n\n" + "\n".join(f"- {plain(line)}" for line in lines))


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
        "words.banner",
        title=scenario_title(scenario),
        years=years_text(scenario.horizon_years),
        start=date_text(scenario.start_date),
        seed=scenario.seed,
        n=results.n if results is not None else scenario.replications,
    )
    st.caption(plain(text))


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


def show_view(view: View | None, level: int = 2) -> None:
    """A titled chart with its reading, note, table and download (nothing if no view)."""
    if view is None:
        return
    section(view.title, level)
    chart_block(view.key, view.figure, view.table, view.reading, view.note, view.title)
