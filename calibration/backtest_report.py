"""The backtest as one offline HTML page: the verdict in plain words, then actual against
the forecast's 95% band for every series (plotly.js embedded by ``report.page``; nothing
is fetched)."""

from __future__ import annotations

import plotly.graph_objects as go

from calibration.backtest import COVERAGE_FLOOR, SERIES, Backtest
from calibration.report import esc, figure, page, table

TITLES = {
    "arrivals": "Referrals received per week",
    "backlog_waiting": "Cases waiting at the end of each week",
    "backlog_in_progress": "Cases in progress at the end of each week",
    "completions": "Visits finished per week",
}


def backtest_report(bt: Backtest) -> str:
    verdict = {"pass": "Pass", "partial": "Partly", "fail": "Fail"}[bt.verdict]
    intro = (
        f"<p><strong>{verdict}.</strong> {esc(bt.verdict_text())}</p>"
        f"<p>The band is the 2.5th to 97.5th percentile of {bt.replications} replications "
        f"(seed {bt.seed}): where one realisation could fall. A series passes when what "
        f"happened lies inside it in at least {COVERAGE_FLOOR:.0%} of the weeks.</p>"
        + "".join(f"<p class='note'>{esc(n)}</p>" for n in bt.notes)
    )
    rows = [
        [
            b.series,
            b.key,
            f"{b.coverage:.0%}",
            float(b.actual.mean()),
            float(b.mean.mean()),
            "-" if b.relative_error != b.relative_error else f"{b.relative_error:+.0%}",
        ]
        for b in bt.bands
    ]
    sections = [
        (
            "Coverage",
            table(
                [
                    "series",
                    "key",
                    "weeks in band",
                    "actual (mean)",
                    "forecast (mean)",
                    "forecast error",
                ],
                rows,
            ),
        )
    ]
    weeks = bt.week_endings
    for series in SERIES:
        parts = []
        for b in (b for b in bt.bands if b.series == series):
            fig = go.Figure()
            fig.add_scatter(x=weeks, y=b.high, line={"width": 0}, showlegend=False)
            fig.add_scatter(
                x=weeks,
                y=b.low,
                fill="tonexty",
                line={"width": 0},
                fillcolor="rgba(192,57,43,0.2)",
                name="forecast 95% band",
            )
            fig.add_scatter(x=weeks, y=b.mean, name="forecast mean", line={"color": "#c0392b"})
            fig.add_scatter(x=weeks, y=b.actual, name="actual", line={"color": "#2c5aa0"})
            fig.update_layout(
                title=f"{b.key}: {b.coverage:.0%} of weeks in the band",
                xaxis_title="week ending",
            )
            parts.append(figure(fig, 300))
        if parts:
            sections.append((TITLES[series], "".join(parts)))
    return page(f"Backtest from {bt.cut} to {bt.end}", intro, sections)
