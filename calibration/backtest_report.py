"""The backtest as one offline HTML page: the verdict in plain words, then actual against
the forecast's 95% band for every series (plotly.js embedded by ``report.page``; nothing
is fetched).

Written in English or Welsh (``lang``): every heading, table header, chart title, axis,
legend and sentence comes from ``calibration/text/{en,cy}.yaml`` (``backtest_report.*``,
``verdicts.*``), numbers and dates through ``model/formats.py``; names from the extract
(sources, stages) are shown as they are."""

from __future__ import annotations

import math

import plotly.graph_objects as go

from calibration.backtest import COVERAGE_FLOOR, SERIES, Backtest
from calibration.report import esc, figure, line_element, page, table
from calibration.verdicts import series_label, verdict_word
from calibration.wording import render, text
from model.formats import long_date, number, percent


def _signed_percent(share: float, lang: str) -> str:
    if math.isnan(share):
        return "-"
    return ("+" if share >= 0 else "−") + percent(abs(share), 0, lang)


def backtest_report(bt: Backtest, lang: str = "en") -> str:
    def w(key: str, /, **fields: object) -> str:
        return text(lang, f"backtest_report.{key}", **fields)

    intro = (
        f"<p><strong>{esc(render(verdict_word(bt.verdict), lang))}.</strong> "
        f"{esc(bt.verdict_text(lang))}</p>"
        + "<p>"
        + esc(
            w(
                "band_note",
                n=number(bt.replications, 0, lang),
                seed=bt.seed,
                floor=percent(COVERAGE_FLOOR, 0, lang),
            )
        )
        + "</p>"
        + "".join(line_element("p", n, lang, " class='note'") for n in bt.notes)
    )
    rows = [
        [
            render(series_label(b.series, b.key), lang),
            percent(b.coverage, 0, lang),
            number(float(b.actual.mean()), 1, lang),
            number(float(b.mean.mean()), 1, lang),
            _signed_percent(b.relative_error, lang),
        ]
        for b in bt.bands
    ]
    columns = ("series", "coverage", "actual", "forecast", "error")
    sections = [(w("coverage"), table([w(f"col_{c}") for c in columns], rows))]
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
                name=w("band"),
            )
            fig.add_scatter(x=weeks, y=b.mean, name=w("forecast"), line={"color": "#c0392b"})
            fig.add_scatter(x=weeks, y=b.actual, name=w("actual"), line={"color": "#2c5aa0"})
            fig.update_layout(
                title=w(
                    "chart_title",
                    series=render(series_label(b.series, b.key), lang),
                    share=percent(b.coverage, 0, lang),
                ),
                xaxis_title=w("x_title"),
                yaxis_title=w(f"y_{series}"),
            )
            parts.append(figure(fig, 300))
        if parts:
            sections.append((w(f"title_{series}"), "".join(parts)))
    title = w("title", cut=long_date(bt.cut, lang), end=long_date(bt.end, lang))
    return page(title, intro, sections, lang=lang)
