"""The Calibrate page's backtest: fit on the history up to a chosen date, forecast on to the
end of the extract, and show whether what happened stayed inside the forecast's band.

A commissioner should not have to trust a fitted model on faith; a backtest shows, on the
force's own history, whether it forecasts what then happened. The page keeps only
weekly aggregates (counts per week), never a row of the extract, and says the verdict in
the chosen language (``backtest.*`` catalogue keys).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from app import ui
from app.charts import _layout, _rgba, colour
from app.i18n import current_language, name, number, percent, t
from calibration.backtest import BACKLOG_SERIES, COVERAGE_FLOOR
from calibration.wording import LANGUAGES as REPORT_LANGUAGES
from calibration.wording import render_lines

BACKTEST_KEY = "state:backtest"
DEFAULT_WEEKS = 26
"""Default forecast length: half a year before the extract's end."""
MIN_HISTORY_DAYS = 28
DEFAULT_REPLICATIONS = 20


@dataclass
class BacktestView:
    """What the page shows of a backtest (weekly aggregates only)."""

    inputs: tuple
    errors: list[str] = field(default_factory=list)
    cut: dt.date | None = None
    end: dt.date | None = None
    replications: int = 0
    verdict: str = ""
    frame: pd.DataFrame | None = None
    coverage: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    report_html: dict[str, str] = field(default_factory=dict)
    """The backtest report (HTML) in each language, built while the result is at hand so a
    change of language needs no new run."""


def summarise(inputs: tuple, result: Any) -> BacktestView:
    from calibration.backtest_report import backtest_report

    payload = result.to_json()
    return BacktestView(
        inputs=inputs,
        cut=result.cut,
        end=result.end,
        replications=result.replications,
        verdict=result.verdict,
        frame=pd.DataFrame(payload["series"]),
        coverage=payload["coverage"],
        notes=list(result.notes),
        report_html={lang: backtest_report(result, lang) for lang in REPORT_LANGUAGES},
    )


def series_label(series: str, key: str) -> str:
    kind = "sources" if series == "arrivals" else "stages"
    return t(f"backtest.series_{series}", what=name(kind, key, key))


def verdict_text(view: BacktestView) -> str:
    assert view.cut is not None and view.end is not None
    weeks = len(view.frame["week_ending"].unique()) if view.frame is not None else 0
    head = t(
        "backtest.verdict_head",
        cut=ui.date_text(view.cut),
        weeks=weeks,
        end=ui.date_text(view.end),
        n=view.replications,
    )
    worst = sorted(view.coverage.items(), key=lambda kv: kv[1])[:3]
    items = "; ".join(
        t("backtest.worst_item", series=series_label(*label.split(".", 1)), share=percent(share))
        for label, share in worst
    )
    return (
        head
        + " "
        + t(f"backtest.verdict_{view.verdict}", floor=percent(COVERAGE_FLOOR), worst=items)
    )


def cut_default(start: dt.date, end: dt.date) -> dt.date:
    proposed = end - dt.timedelta(weeks=DEFAULT_WEEKS)
    return max(proposed, start + dt.timedelta(days=MIN_HISTORY_DAYS))


def chart(view: BacktestView, series: str, key: str, i: int) -> go.Figure:
    assert view.frame is not None
    part = view.frame[(view.frame["series"] == series) & (view.frame["key"] == key)]
    c = colour(i)
    fig = go.Figure()
    x = list(part["week_ending"])
    fig.add_trace(
        go.Scatter(
            x=x + x[::-1],
            y=list(part["p97_5"]) + list(part["p2_5"])[::-1],
            fill="toself",
            fillcolor=_rgba(c, 0.2),
            line={"width": 0},
            hoverinfo="skip",
            name=t("backtest.band"),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x, y=part["mean"], mode="lines", name=t("backtest.forecast"), line={"color": c}
        )
    )
    fig.add_trace(
        go.Scatter(
            x=x,
            y=part["actual"],
            mode="lines+markers",
            name=t("backtest.actual"),
            line={"color": "#000000", "dash": "dot"},
        )
    )
    return _layout(fig, series_label(series, key), t("backtest.week_ending"), t("backtest.cases"))


def show(view: BacktestView) -> None:
    if view.errors:
        ui.errors(render_lines(view.errors, current_language()), t("backtest.invalid"))
        return
    box = {"pass": st.success, "partial": st.warning, "fail": st.error}[view.verdict]
    box(verdict_text(view))
    table = pd.DataFrame(
        {
            t("backtest.col_series"): [series_label(*k.split(".", 1)) for k in view.coverage],
            t("backtest.col_coverage"): [percent(v) for v in view.coverage.values()],
        }
    )
    st.dataframe(table, hide_index=True)
    assert view.frame is not None
    pairs = view.frame[["series", "key"]].drop_duplicates()
    for i, (series, key) in enumerate(pairs.itertuples(index=False)):
        if series not in BACKLOG_SERIES:
            continue
        part = view.frame[(view.frame["series"] == series) & (view.frame["key"] == key)]
        ui.chart_block(
            f"backtest-{series}-{key}",
            chart(view, series, key, i),
            part.drop(columns=["series", "key"]),
            t(
                "backtest.reading",
                share=percent(view.coverage[f"{series}.{key}"]),
                actual=number(float(part["actual"].mean()), 1),
                forecast=number(float(part["mean"].mean()), 1),
            ),
            t("backtest.band_note", n=view.replications),
        )
    for note in render_lines(view.notes, current_language()):
        st.caption(note)
    if view.report_html:
        lang = current_language()
        st.download_button(
            t("backtest_words.report_button"),
            view.report_html[lang].encode("utf-8"),
            file_name=f"backtest-{view.cut}-{lang}.html",
            mime="text/html",
            key="download:backtest_report",
            on_click="ignore",
            help=t("backtest_words.report_help"),
        )


def section(start: dt.date, end: dt.date, fit_inputs: tuple, run) -> None:
    """The backtest controls and result; ``run(cut, n)`` returns a BacktestView."""
    ui.section(t("backtest.title"))
    st.markdown(t("backtest.explain"))
    left, right = st.columns(2)
    earliest = start + dt.timedelta(days=MIN_HISTORY_DAYS)
    latest = max(earliest, end - dt.timedelta(weeks=2))
    cut = left.date_input(
        t("backtest.cut"),
        value=cut_default(start, end),
        min_value=earliest,
        max_value=latest,
        format="YYYY-MM-DD",
        key="widget:backtest_cut",
        help=t("backtest.cut_help"),
    )
    n = right.number_input(
        t("backtest.replications"),
        min_value=5,
        max_value=100,
        value=DEFAULT_REPLICATIONS,
        step=5,
        key="widget:backtest_n",
        help=t("backtest.replications_help"),
    )
    inputs = (fit_inputs, cut, int(n))
    if st.button(t("backtest.run"), key="widget:backtest_run"):
        with st.spinner(t("backtest.running")):
            st.session_state[BACKTEST_KEY] = run(cut, int(n), inputs)
    current = st.session_state.get(BACKTEST_KEY)
    if current is not None and current.inputs != inputs:
        del st.session_state[BACKTEST_KEY]
    elif current is not None:
        show(current)
