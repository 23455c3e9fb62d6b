"""The calibration report: one self-contained HTML file with every fit and its evidence.

It works offline (plotly.js is embedded, nothing is fetched), so it can be opened on a
force's secure network or attached to a paper. It shows, for every fitted value, the
estimate, interval and sample size, and the evidence behind each modelling choice:
weekly counts against the fitted rate, the model-selection table, Kaplan-Meier curves
against the fitted distributions (and the closed-cases-only mean, to show what ignoring
open cases would have done), the effort derivation and the scenario text itself.
Only aggregates are shown: no referral is identifiable from it.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
from collections.abc import Iterable, Sequence

import numpy as np
import plotly.graph_objects as go
from babel.dates import get_day_names, get_month_names
from plotly.offline import get_plotlyjs

from calibration.arrivals import ArrivalFit
from calibration.durations import DurationFit
from calibration.effort_periods import MATERIAL_CHANGE
from calibration.estimates import Fitted, fmt
from calibration.mixes import Proportions
from calibration.types import Calibration, StageFit
from calibration.wording import Message, catalogue, choice, render, text
from model.formats import LOCALES, long_date, number, percent
from model.results import package_version

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;
max-width:70rem;padding:0 1rem;color:#1b1b1b;line-height:1.45}
h1{font-size:1.7rem}h2{border-bottom:2px solid #ddd;padding-bottom:.2rem;margin-top:2.2rem}
table{border-collapse:collapse;margin:.6rem 0 1.2rem;font-size:.9rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#555;font-size:.9rem}
.warn{background:#fff4d6;padding:.5rem .8rem;border-left:4px solid #e0a800}
pre{background:#f7f7f7;padding:1rem;overflow:auto;font-size:.8rem}
"""


class EnglishText(str):
    """A line written by the fitting code (a warning, a note, an effort basis): English
    whatever the report's language, so its element says ``lang="en"`` and a screen reader
    reads it with an English voice."""


EN_ATTR = " lang='en'"


def esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def table(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """An HTML table; numbers are right-aligned, everything is escaped."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for cell in row:
            numeric = isinstance(cell, int | float) and not isinstance(cell, bool)
            text = fmt(cell) if isinstance(cell, float) else cell
            attr = EN_ATTR if isinstance(cell, EnglishText) else ""
            cells.append(
                f'<td class="num">{esc(text)}</td>' if numeric else f"<td{attr}>{esc(text)}</td>"
            )
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def figure(fig: go.Figure, height: int = 340) -> str:
    fig.update_layout(height=height, margin={"l": 50, "r": 20, "t": 40, "b": 40})
    return fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})


def plotly_locale(lang: str) -> str:
    """For a page not in English, a script that gives plotly.js's own words (the chart
    toolbar's tooltips, its download messages) and its month and day names in ``lang``:
    the catalogue's ``plotly.*`` phrases (the English value is plotly's own text) and
    Babel's calendar names. Nothing is fetched; it is registered after plotly.js."""
    if lang == "en":
        return ""
    english, words = catalogue("en"), catalogue(lang)
    dictionary = {english[key]: words[key] for key in english if key.startswith("plotly.")}
    locale = LOCALES[lang]
    names = {
        "months": get_month_names("wide", locale=locale),
        "shortMonths": get_month_names("abbreviated", locale=locale),
        "days": get_day_names("wide", locale=locale),
        "shortDays": get_day_names("abbreviated", locale=locale),
    }
    # Babel numbers months 1-12 and days from Monday (0); plotly wants January and Sunday
    # first
    fmt_names = {
        "months": [names["months"][m] for m in range(1, 13)],
        "shortMonths": [names["shortMonths"][m] for m in range(1, 13)],
        "days": [names["days"][d] for d in (6, 0, 1, 2, 3, 4, 5)],
        "shortDays": [names["shortDays"][d] for d in (6, 0, 1, 2, 3, 4, 5)],
    }
    spec = {
        "moduleType": "locale",
        "name": lang,
        "dictionary": dictionary,
        "format": {**fmt_names, "date": "%d/%m/%Y", "decimal": ".", "thousands": ","},
    }
    payload = json.dumps(spec, ensure_ascii=True).replace("</", "<\\/")
    return (
        f"<script>Plotly.register({payload});"
        f"Plotly.setPlotConfig({{locale: {json.dumps(lang)}}});</script>"
    )


def page(title: str, intro: str, sections: list[tuple[str, str]], lang: str = "en") -> str:
    """A whole offline page: plotly.js inline, a contents list, then the sections.

    ``lang`` is the page's ``<html lang>`` (screen readers pick their voice from it)."""
    contents = "".join(
        f'<li><a href="#s{i}">{esc(heading)}</a></li>' for i, (heading, _) in enumerate(sections)
    )
    body = "".join(
        f'<h2 id="s{i}">{esc(heading)}</h2>{content}'
        for i, (heading, content) in enumerate(sections)
    )
    return (
        f"<!DOCTYPE html><html lang='{esc(lang)}'><head><meta charset='utf-8'>"
        f"<title>{esc(title)}</title><style>{_STYLE}</style>"
        f"<script>{get_plotlyjs()}</script>{plotly_locale(lang)}</head><body>"
        f"<h1>{esc(title)}</h1>{intro}<ul>{contents}</ul>{body}"
        f"<p class='note'>acusim {esc(package_version())}</p></body></html>"
    )


def line_element(tag: str, line: object, lang: str, attrs: str = "") -> str:
    """One message as an element: a catalogue :class:`Message` in the report's language;
    any other line (from a library) as it is, marked ``lang="en"`` if the report is not."""
    english = not isinstance(line, Message) and lang != "en"
    return f"<{tag}{attrs}{EN_ATTR if english else ''}>{esc(render(line, lang))}</{tag}>"


def _basis(basis: object, lang: str) -> str:
    """Where a touch share came from, in ``lang`` when it is a catalogue message."""
    return render(basis, lang) if isinstance(basis, Message) else EnglishText(basis)


def ci(f: Fitted | None, lang: str = "en") -> str:
    if f is None:
        return "-"
    if not (math.isfinite(f.low) and math.isfinite(f.high)):
        return text(lang, "words.not_available")
    return text(lang, "words.ci", low=fmt(f.low), high=fmt(f.high))


# --------------------------------------------------------------------------- sections


def _summary(cal: Calibration, spread_note: str | None, lang: str = "en") -> str:
    s = cal.settings
    as_of = f"{long_date(cal.as_of.date(), lang)} {cal.as_of.strftime('%H:%M')}"
    sentences = [
        text(
            lang,
            "summary.received",
            referrals=number(cal.n_referrals, 0, lang),
            events=number(cal.n_events, 0, lang),
            start=long_date(cal.window_start, lang),
            as_of=as_of,
            weeks=number(cal.window_days / 7, 1, lang),
            referrals_file=cal.files["referrals"],
            events_file=cal.files["events"],
        )
    ]
    if cal.files.get("staffing"):
        sentences.append(text(lang, "summary.staffing", file=cal.files["staffing"]))
    sentences.append(
        text(
            lang,
            "summary.settings",
            confidence=percent(s.confidence, 0, lang),
            alpha=f"{s.alpha:g}",
            utilisation=percent(s.utilisation, 0, lang),
        )
    )
    given = "summary.template_given" if cal.template is not None else "summary.template_none"
    sentences.append(text(lang, given))
    parts = ["<p>", esc(" ".join(sentences)), "</p>"]
    if cal.skipped:
        skipped = ", ".join(
            text(lang, "summary.skipped_file", file=k, n=number(v, 0, lang))
            for k, v in cal.skipped.items()
        )
        parts.append(
            f"<div class='warn'><b>{esc(text(lang, 'summary.skipped'))}</b> {esc(skipped)}<ul>"
        )
        parts.extend(line_element("li", line, lang) for line in cal.skipped_problems)
        parts.append("</ul></div>")
    if cal.warnings:
        parts.append(f"<div class='warn'><b>{esc(text(lang, 'summary.warnings'))}</b><ul>")
        parts.extend(line_element("li", w, lang) for w in cal.warnings)
        parts.append("</ul></div>")
    if lang != "en":
        parts.append(f"<p class='note'>{esc(text(lang, 'summary.messages_note'))}</p>")
    if spread_note:
        parts.append(f"<p>{esc(spread_note)}</p>")
    return "".join(parts)


def _arrivals(cal: Calibration, lang: str = "en") -> str:
    def w(key: str, /, **fields: object) -> str:
        return text(lang, f"arrivals.{key}", **fields)

    parts = [f"<p class='note'>{esc(w('note'))}</p>"]
    rows = []
    for name, fit in cal.arrivals.items():
        p_value = fit.dispersion_test[1]
        rows.append(
            [
                name,
                fit.n,
                _with_ci(fit.base_per_week, lang),
                _with_ci(fit.current_per_week, lang),
                _change_text(fit, lang),
                "-"
                if fit.trend_factor is None
                else text(lang, "words.times", value=_with_ci(fit.trend_factor, lang)),
                choice(fit.structure.season, lang) if fit.structure.season else "-",
                "-" if fit.burst_cv is None else _with_ci(fit.burst_cv, lang),
                "-" if not math.isfinite(p_value) else f"{p_value:.3g}",
            ]
        )
    columns = ("source", "n", "start", "as_of", "change", "trend", "season", "burst", "p")
    parts.append(table([w(f"col_{c}") for c in columns], rows))
    for name, fit in cal.arrivals.items():
        weeks = np.arange(1, len(fit.weekly_observed) + 1)
        fig = go.Figure()
        fig.add_bar(x=weeks, y=fit.weekly_observed, name=w("observed"), marker_color="#9bb7d4")
        fig.add_scatter(x=weeks, y=fit.weekly_expected, name=w("fitted"), line={"color": "#c0392b"})
        if fit.change is not None:
            fig.add_vline(x=fit.change.day / 7 + 1, line_dash="dash", line_color="#555")
        fig.update_layout(
            title=w("chart_title", source=name),
            xaxis_title=w("x_title"),
            yaxis_title=w("y_title"),
        )
        parts.append(figure(fig, 300))
        selection = ("trend_term", "change_term", "season_term", "loglik", "parameters")
        parts.append(
            "<details><summary>"
            + esc(w("selection", source=name))
            + "</summary>"
            + table(
                [w(f"col_{c}") for c in (*selection, "bic", "chosen")],
                [
                    [
                        choice(r["trend"], lang),
                        choice(r["change_point"], lang),
                        choice(r["seasonal"], lang),
                        float(r["log_likelihood"]),
                        r["parameters"],
                        float(r["bic"]),
                        text(lang, "words.answer_yes") if r["chosen"] else "",
                    ]
                    for r in fit.candidates
                ],
            )
            + "".join(line_element("p", n, lang, " class='note'") for n in fit.notes)
            + "</details>"
        )
    return "".join(parts)


def _with_ci(f: Fitted, lang: str = "en") -> str:
    return text(lang, "words.value_ci", value=fmt(f.value), ci=ci(f, lang))


def _change_text(fit: ArrivalFit, lang: str = "en") -> str:
    change = fit.change
    if change is None:
        return "-"
    if change.known:
        when = text(lang, "words.given")
    else:
        when = text(
            lang,
            "words.ci",
            low=long_date(change.low_date, lang),
            high=long_date(change.high_date, lang),
        )
    return text(
        lang,
        "arrivals.change",
        date=long_date(change.date, lang),
        when=when,
        factor=text(lang, "words.times", value=_with_ci(change.factor, lang)),
    )


def _proportion_rows(props: Proportions, lang: str = "en") -> list[list[object]]:
    """Label, count, share and interval; fixed words (priorities) in ``lang``."""
    return [
        [choice(label, lang), int(count), f.value, ci(f, lang)]
        for label, count, f in zip(props.labels, props.counts, props.fitted, strict=True)
    ]


def _share_headers(first: str, lang: str) -> list[str]:
    return [first] + [text(lang, f"mixes.col_{c}") for c in ("count", "share", "ci")]


def _mixes(cal: Calibration, lang: str = "en") -> str:
    def w(key: str, /, **fields: object) -> str:
        return text(lang, f"mixes.{key}", **fields)

    parts = [f"<p class='note'>{esc(w('note'))}</p>"]
    for name, mix in cal.mixes.items():
        entry = cal.entries.get(name)
        parts.append(f"<h3>{esc(name)}</h3><p>")
        sentences = [w("referrals", n=number(mix.n, 0, lang), apsp=_with_ci(mix.apsp, lang)) + "."]
        if mix.apsp_priority:
            sentences.append(w("apsp_priority", priority=choice(mix.apsp_priority, lang)))
        if entry:
            sentences.append(
                w(
                    "entry",
                    stage=entry.stage,
                    share=percent(entry.share, 0, lang),
                    n=number(entry.n, 0, lang),
                )
            )
        parts.append(esc(" ".join(sentences)))
        parts.append("</p>")
        parts.append(
            table(_share_headers(w("col_category"), lang), _proportion_rows(mix.category, lang))
        )
        parts.append(
            table(_share_headers(w("col_priority"), lang), _proportion_rows(mix.priority, lang))
        )
        if mix.apsp_by_category:
            parts.append(
                table(
                    [w("col_category"), w("col_apsp_share"), w("col_ci"), w("col_n")],
                    [[c, f.value, ci(f, lang), f.n] for c, f in mix.apsp_by_category.items()],
                )
            )
    return "".join(parts)


def _routing(cal: Calibration, lang: str = "en") -> str:
    def w(key: str, /, **fields: object) -> str:
        return text(lang, f"routing.{key}", **fields)

    parts = [f"<p class='note'>{esc(w('note'))}</p>"]
    for name, stage in cal.stages.items():
        routing = stage.routing
        parts.append(f"<h3>{esc(name)}</h3>")
        if routing is None:
            parts.append(f"<p>{esc(w('none'))}</p>")
            continue
        parts.append(
            esc(
                w(
                    "counts",
                    finished=number(routing.finished, 0, lang),
                    open=number(routing.unfinished, 0, lang),
                )
                + " "
            )
            + esc(
                w(
                    "test",
                    g=f"{routing.test[0]:.1f}",
                    df=routing.test[1],
                    p=f"{routing.test[2]:.3g}",
                )
            )
        )
        headers = _share_headers(w("col_to"), lang)
        parts.append(table(headers, _proportion_rows(routing.default, lang)))
        if routing.apsp_rule is not None:
            parts.append(f"<p>{esc(w('apsp_cases'))}</p>")
            parts.append(table(headers, _proportion_rows(routing.apsp_rule, lang)))
    return "".join(parts)


def _duration_figure(fit: DurationFit, title: str, lang: str = "en") -> str:
    def w(key: str, /, **fields: object) -> str:
        return text(lang, f"durations.{key}", **fields)

    fig = go.Figure()
    km = fit.km
    top = fit.mean_days * 4
    if km is not None and len(km["time"]):
        km = {k: np.concatenate([[0.0 if k == "time" else 1.0], v]) for k, v in km.items()}
        t = km["time"]
        top = max(float(t.max()), 1e-6)
        fig.add_scatter(
            x=t, y=km["high"], line={"width": 0, "shape": "hv"}, showlegend=False, hoverinfo="skip"
        )
        fig.add_scatter(
            x=t,
            y=km["low"],
            fill="tonexty",
            line={"width": 0, "shape": "hv"},
            fillcolor="rgba(80,120,200,0.2)",
            name=w("km_band", level=percent(fit.confidence, 0, lang)),
        )
        fig.add_scatter(
            x=t, y=km["survival"], line={"color": "#2c5aa0", "shape": "hv"}, name=w("km")
        )
    grid = np.linspace(0, top, 200)
    fig.add_scatter(
        x=grid,
        y=fit.survival(grid),
        name=w("fitted", family=choice(fit.chosen.family, lang)),
        line={"color": "#c0392b"},
    )
    fig.update_layout(title=title, xaxis_title=w("x_title"), yaxis_title=w("y_title"))
    return figure(fig, 300)


def _duration_rows(label: str, fit: DurationFit | None, lang: str = "en") -> list[object]:
    if fit is None:
        return [label, "-", "-", "-", "-", "-", "-"]
    params = "; ".join(
        f"{choice(k, lang)} {_with_ci(v, lang)}" for k, v in fit.chosen.parameters.items()
    )
    return [
        label,
        fit.n,
        fit.censored,
        choice(fit.chosen.family, lang),
        params,
        text(lang, "words.value_ci", value=fmt(fit.mean_days), ci=ci(fit.chosen.mean, lang)),
        fit.closed_mean,
    ]


def _durations(cal: Calibration, lang: str = "en") -> str:
    def w(key: str, /, **fields: object) -> str:
        return text(lang, f"durations.{key}", **fields)

    parts = [f"<p class='note'>{esc(w('note'))}</p>"]
    rows = []
    figures = []
    for name, stage in cal.stages.items():
        for kind, fit in _kinds(stage):
            kind_words = w(f"kind_{kind}")
            rows.append(_duration_rows(w("row", stage=name, kind=kind_words), fit, lang))
            if fit is not None:
                title = w("chart_title", stage=name, kind=kind_words)
                figures.append(_duration_figure(fit, title, lang))
                alts = ", ".join(
                    w(
                        "alternative",
                        family=choice(a.family, lang),
                        difference=f"{a.aic - fit.chosen.aic:+.1f}",
                    )
                    for a in fit.alternatives
                )
                figures.append(f"<p class='note'>{esc(alts)}</p>")
    columns = ("duration", "n", "open", "family", "parameters", "mean", "closed_mean")
    parts.append(table([w(f"col_{c}") for c in columns], rows))
    parts.extend(figures)
    return "".join(parts)


def _kinds(stage: StageFit) -> list[tuple[str, DurationFit | None]]:
    """The durations fitted for a stage, by catalogue word (``durations.kind_*``)."""
    kinds = [("wait", stage.wait)]
    if stage.role is not None:
        kinds.append(("service", stage.service))
    else:
        kinds.append(("sojourn", stage.sojourn))
    return kinds


def _effort(cal: Calibration, lang: str = "en") -> str:
    def w(key: str, /, **fields: object) -> str:
        return text(lang, f"effort.{key}", **fields)

    # The catalogue's own HTML (italics and code only), not user text.
    parts = [f"<p>{w('intro_html')}</p>"]
    rows = []
    for name, e in cal.efforts.items():
        spec = cal.roles[name]
        rows.append(
            [
                name,
                e.fte_days,
                e.case_days,
                e.utilisation,
                e.full_touch_utilisation,
                e.implied_utilisation,
                e.hours_per_day,
                w(
                    "basis",
                    parameters=choice(spec.parameters_from, lang),
                    fte=choice(spec.history_from, lang),
                ),
            ]
        )
    columns = ("role", "fte_days", "case_days", "u", "full_touch", "implied", "hours", "basis")
    parts.append(table([w(f"col_{c}") for c in columns], rows))
    stage_rows = [
        [stage, name, share, _basis(e.basis[stage], lang)]
        for name, e in cal.efforts.items()
        for stage, share in e.touch.items()
    ]
    parts.append(table([w(f"col_{c}") for c in ("stage", "role", "touch", "basis")], stage_rows))
    parts.append(_effort_periods(cal, lang))
    return "".join(parts)


def _effort_periods(cal: Calibration, lang: str = "en") -> str:
    """Effort per period: each candidate period's service time and effort, and whether the
    scenario changes the effort there (calibration/effort_periods.py)."""

    def w(key: str, **fields: object) -> str:
        return text(lang, f"effort_periods.{key}", **fields)

    rows = []
    for name, fit in cal.stages.items():
        if fit.role is None or fit.service is None or name not in cal.efforts[fit.role].touch:
            continue
        effort = cal.efforts[fit.role]
        touch, hours = effort.touch[name], cal.roles[fit.role].hours_per_day
        written = {p.start_day for p in fit.periods}
        shown = fit.periods or fit.period_candidates
        for i, p in enumerate(shown):
            end = cal.window_start + dt.timedelta(days=round(p.end_day))
            mean = p.service.chosen.mean
            if fit.periods:
                verdict = w("own") if p.start_day in written else w("merged")
            else:
                verdict = w("one")
            rows.append(
                [
                    name,
                    long_date(p.date if i else cal.window_start, lang),
                    long_date(end, lang),
                    p.service.n,
                    "-" if mean is None else _with_ci(mean, lang),
                    p.effort_mean(touch, hours),
                    verdict,
                ]
            )
    checks = [
        [
            m.role,
            long_date(p["from"], lang),
            long_date(p["to"], lang),
            p["observed"],
            p["simulated"],
            percent(p["utilisation"], 0, lang),
            p.get("factor", 1.0),
        ]
        for m in cal.role_checks
        for p in m.periods
    ]
    if not rows and not checks:
        return ""
    columns = ("stage", "from", "to", "started", "service", "effort", "written")
    intro = w("intro", material=percent(MATERIAL_CHANGE, 0, lang))
    parts = [f"<h3>{esc(w('title'))}</h3><p>{esc(intro)}</p>"]
    if rows:
        parts.append(table([w(f"col_{c}") for c in columns], rows))
    if checks:
        parts.append(f"<p>{esc(w('check_intro'))}</p>")
        check_columns = ("role", "from", "to", "observed", "simulated", "utilisation", "factor")
        parts.append(table([w(f"col_{c}") for c in check_columns], checks))
    return "".join(parts)


def _backlog(cal: Calibration, lang: str = "en") -> str:
    def w(key: str) -> str:
        return text(lang, f"backlog.{key}")

    if not cal.backlog:
        return f"<p>{esc(w('none'))}</p>"
    rows = [
        [g.stage, g.source, g.waiting, g.in_progress, float(np.mean(g.ages)), float(np.max(g.ages))]
        for g in cal.backlog
    ]
    columns = ("stage", "source", "waiting", "in_progress", "mean_age", "oldest")
    return table([w(f"col_{c}") for c in columns], rows)


def calibration_report(
    cal: Calibration,
    scenario_text: str,
    spread: list[dict[str, object]] | None = None,
    lang: str = "en",
) -> str:
    """The whole report as one HTML string, in ``lang`` ("en" or "cy", see
    ``calibration/wording.py``). Names from the extract (sources, stages, roles,
    categories) and the fitting code's warning lines are shown as they are."""

    def heading(key: str) -> str:
        return text(lang, f"sections.{key}")

    sections = [
        (heading("arrivals"), _arrivals(cal, lang)),
        (heading("mixes"), _mixes(cal, lang)),
        (heading("routing"), _routing(cal, lang)),
        (heading("durations"), _durations(cal, lang)),
        (heading("effort"), _effort(cal, lang)),
        (heading("backlog"), _backlog(cal, lang)),
    ]
    note = None
    if spread:
        columns = ("value", "fitted", "low", "median", "high", "samples")
        sections.append(
            (
                heading("spread"),
                f"<p class='note'>{esc(text(lang, 'spread.note'))}</p>"
                + table(
                    [text(lang, f"spread.col_{c}") for c in columns],
                    [
                        [r["path"], r["fitted"], r["p2_5"], r["median"], r["p97_5"], r["n"]]
                        for r in spread
                    ],
                ),
            )
        )
        note = text(lang, "summary.spread", n=number(int(spread[0]["n"]), 0, lang))
    sections.append((heading("scenario"), f"<pre>{esc(scenario_text)}</pre>"))
    return page(text(lang, "title"), _summary(cal, note, lang), sections, lang)
