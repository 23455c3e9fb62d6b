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

import html
import math
from collections.abc import Iterable, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from calibration.arrivals import ArrivalFit
from calibration.durations import DurationFit
from calibration.estimates import Fitted, fmt
from calibration.mixes import Proportions
from calibration.types import Calibration, StageFit
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
            cells.append(
                f'<td class="num">{esc(text)}</td>' if numeric else f"<td>{esc(text)}</td>"
            )
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def figure(fig: go.Figure, height: int = 340) -> str:
    fig.update_layout(height=height, margin={"l": 50, "r": 20, "t": 40, "b": 40})
    return fig.to_html(full_html=False, include_plotlyjs=False, config={"displaylogo": False})


def page(title: str, intro: str, sections: list[tuple[str, str]]) -> str:
    """A whole offline page: plotly.js inline, a contents list, then the sections."""
    contents = "".join(
        f'<li><a href="#s{i}">{esc(heading)}</a></li>' for i, (heading, _) in enumerate(sections)
    )
    body = "".join(
        f'<h2 id="s{i}">{esc(heading)}</h2>{content}'
        for i, (heading, content) in enumerate(sections)
    )
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{esc(title)}</title><style>{_STYLE}</style>"
        f"<script>{get_plotlyjs()}</script></head><body>"
        f"<h1>{esc(title)}</h1>{intro}<ul>{contents}</ul>{body}"
        f"<p class='note'>acusim {esc(package_version())}</p></body></html>"
    )


def ci(f: Fitted | None) -> str:
    if f is None:
        return "-"
    if not (math.isfinite(f.low) and math.isfinite(f.high)):
        return "not available"
    return f"{fmt(f.low)} to {fmt(f.high)}"


# --------------------------------------------------------------------------- sections


def _summary(cal: Calibration, spread_note: str | None) -> str:
    s = cal.settings
    parts = [
        "<p>",
        esc(
            f"{cal.n_referrals} referrals and {cal.n_events} stage events received from "
            f"{cal.window_start} to the as-of time {cal.as_of.isoformat(timespec='minutes')} "
            f"({cal.window_days / 7:.1f} weeks), from {cal.files['referrals']} and "
            f"{cal.files['events']}"
            + (
                f" with staffing history from {cal.files['staffing']}"
                if cal.files.get("staffing")
                else ""
            )
            + ". "
        ),
        esc(
            f"Intervals are {s.confidence:.0%}; tests use a {s.alpha:g} significance level; "
            f"effort assumes {s.utilisation:g} utilisation (--utilisation). "
        ),
        esc("Template: " + ("given" if cal.template is not None else "none") + "."),
        "</p>",
    ]
    if cal.skipped:
        skipped = ", ".join(f"{k}: {v} row(s)" for k, v in cal.skipped.items())
        parts.append(f"<div class='warn'><b>Rows skipped (--skip-bad-rows):</b> {esc(skipped)}<ul>")
        parts.extend(f"<li>{esc(line)}</li>" for line in cal.skipped_problems)
        parts.append("</ul></div>")
    if cal.warnings:
        parts.append("<div class='warn'><b>Warnings</b><ul>")
        parts.extend(f"<li>{esc(w)}</li>" for w in cal.warnings)
        parts.append("</ul></div>")
    if spread_note:
        parts.append(f"<p>{esc(spread_note)}</p>")
    return "".join(parts)


def _arrivals(cal: Calibration) -> str:
    parts = [
        "<p class='note'>Weekly referrals against the fitted expected count. Components "
        "(trend, change point, seasonality) are kept when they lower BIC; over-dispersion "
        "(negative binomial) when a likelihood-ratio test rejects Poisson.</p>"
    ]
    rows = []
    for name, fit in cal.arrivals.items():
        p_value = fit.dispersion_test[1]
        rows.append(
            [
                name,
                fit.n,
                _with_ci(fit.base_per_week),
                _with_ci(fit.current_per_week),
                _change_text(fit),
                "-" if fit.trend_factor is None else "x" + _with_ci(fit.trend_factor),
                fit.structure.season or "-",
                "-" if fit.burst_cv is None else _with_ci(fit.burst_cv),
                "-" if not math.isfinite(p_value) else f"{p_value:.3g}",
            ]
        )
    parts.append(
        table(
            [
                "source",
                "n",
                "per week at start (CI)",
                "per week at as-of (CI)",
                "change point",
                "trend to as-of",
                "seasonal",
                "burst cv",
                "p (NB vs Poisson)",
            ],
            rows,
        )
    )
    for name, fit in cal.arrivals.items():
        weeks = np.arange(1, len(fit.weekly_observed) + 1)
        fig = go.Figure()
        fig.add_bar(x=weeks, y=fit.weekly_observed, name="observed", marker_color="#9bb7d4")
        fig.add_scatter(x=weeks, y=fit.weekly_expected, name="fitted", line={"color": "#c0392b"})
        if fit.change is not None:
            fig.add_vline(x=fit.change.day / 7 + 1, line_dash="dash", line_color="#555")
        fig.update_layout(
            title=f"{name}: referrals per week",
            xaxis_title="week of the window",
            yaxis_title="referrals",
        )
        parts.append(figure(fig, 300))
        parts.append(
            "<details><summary>Model selection for "
            + esc(name)
            + "</summary>"
            + table(
                [
                    "trend",
                    "change point",
                    "seasonal",
                    "log-likelihood",
                    "parameters",
                    "BIC",
                    "chosen",
                ],
                [
                    [
                        r["trend"],
                        r["change_point"],
                        r["seasonal"],
                        float(r["log_likelihood"]),
                        r["parameters"],
                        float(r["bic"]),
                        "yes" if r["chosen"] else "",
                    ]
                    for r in fit.candidates
                ],
            )
            + "".join(f"<p class='note'>{esc(n)}</p>" for n in fit.notes)
            + "</details>"
        )
    return "".join(parts)


def _with_ci(f: Fitted) -> str:
    return f"{fmt(f.value)} ({ci(f)})"


def _change_text(fit: ArrivalFit) -> str:
    change = fit.change
    if change is None:
        return "-"
    when = "given" if change.known else f"{change.low_date} to {change.high_date}"
    return f"{change.date} ({when}); x{_with_ci(change.factor)}"


def _proportion_rows(props: Proportions) -> list[list[object]]:
    return [
        [label, int(count), f.value, ci(f)]
        for label, count, f in zip(props.labels, props.counts, props.fitted, strict=True)
    ]


def _mixes(cal: Calibration) -> str:
    parts = ["<p class='note'>Shares with Goodman simultaneous intervals; APSP with Wilson.</p>"]
    for name, mix in cal.mixes.items():
        entry = cal.entries.get(name)
        parts.append(f"<h3>{esc(name)}</h3><p>")
        parts.append(esc(f"{mix.n} referrals; APSP {fmt(mix.apsp.value)} ({ci(mix.apsp)})"))
        if mix.apsp_priority:
            parts.append(esc(f"; APSP referrals always {mix.apsp_priority} priority"))
        if entry:
            parts.append(esc(f"; enters at '{entry.stage}' ({entry.share:.0%} of {entry.n})"))
        parts.append("</p>")
        parts.append(table(["category", "count", "share", "CI"], _proportion_rows(mix.category)))
        parts.append(table(["priority", "count", "share", "CI"], _proportion_rows(mix.priority)))
        if mix.apsp_by_category:
            parts.append(
                table(
                    ["category", "APSP share", "CI", "n"],
                    [[c, f.value, ci(f), f.n] for c, f in mix.apsp_by_category.items()],
                )
            )
    return "".join(parts)


def _routing(cal: Calibration) -> str:
    parts = ["<p class='note'>From finished visits (open visits have no destination yet).</p>"]
    for name, stage in cal.stages.items():
        routing = stage.routing
        parts.append(f"<h3>{esc(name)}</h3>")
        if routing is None:
            parts.append("<p>No visit finished: routing from the template.</p>")
            continue
        parts.append(
            esc(f"{routing.finished} finished, {routing.unfinished} open. ")
            + esc(
                f"APSP vs other: G={routing.test[0]:.1f}, df={routing.test[1]}, "
                f"p={routing.test[2]:.3g}"
            )
        )
        parts.append(table(["to", "count", "share", "CI"], _proportion_rows(routing.default)))
        if routing.apsp_rule is not None:
            parts.append("<p>APSP cases:</p>")
            parts.append(table(["to", "count", "share", "CI"], _proportion_rows(routing.apsp_rule)))
    return "".join(parts)


def _duration_figure(fit: DurationFit, title: str) -> str:
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
            name=f"Kaplan-Meier {fit.confidence:.0%} CI",
        )
        fig.add_scatter(
            x=t, y=km["survival"], line={"color": "#2c5aa0", "shape": "hv"}, name="Kaplan-Meier"
        )
    grid = np.linspace(0, top, 200)
    fig.add_scatter(
        x=grid, y=fit.survival(grid), name=f"fitted {fit.chosen.family}", line={"color": "#c0392b"}
    )
    fig.update_layout(title=title, xaxis_title="days", yaxis_title="share still unfinished")
    return figure(fig, 300)


def _duration_rows(label: str, fit: DurationFit | None) -> list[object]:
    if fit is None:
        return [label, "-", "-", "-", "-", "-", "-"]
    params = "; ".join(f"{k} {fmt(v.value)} ({ci(v)})" for k, v in fit.chosen.parameters.items())
    return [
        label,
        fit.n,
        fit.censored,
        fit.chosen.family,
        params,
        f"{fmt(fit.mean_days)} ({ci(fit.chosen.mean)})",
        fit.closed_mean,
    ]


def _durations(cal: Calibration) -> str:
    parts = [
        "<p class='note'>Fitted by censored maximum likelihood (open visits count as "
        "'longer than so far'); the family with the lowest AIC is kept. The last column is "
        "the mean of finished visits only, which is biased low when many are open.</p>"
    ]
    rows = []
    figures = []
    for name, stage in cal.stages.items():
        for kind, fit in _kinds(stage):
            rows.append(_duration_rows(f"{name} {kind}", fit))
            if fit is not None:
                figures.append(_duration_figure(fit, f"{name}: {kind} (days)"))
                alts = ", ".join(
                    f"{a.family} AIC {a.aic - fit.chosen.aic:+.1f}" for a in fit.alternatives
                )
                figures.append(f"<p class='note'>{esc(alts)}</p>")
    parts.append(
        table(
            [
                "duration",
                "n",
                "open (censored)",
                "family",
                "parameters (CI)",
                "mean days (CI)",
                "closed-only mean",
            ],
            rows,
        )
    )
    parts.extend(figures)
    return "".join(parts)


def _kinds(stage: StageFit) -> list[tuple[str, DurationFit | None]]:
    kinds = [("wait", stage.wait)]
    if stage.role is not None:
        kinds.append(("service", stage.service))
    else:
        kinds.append(("time in stage", stage.sojourn))
    return kinds


def _effort(cal: Calibration) -> str:
    parts = [
        "<p>Effort is not in the extract. A stage's <i>touch share</i> is the share of its "
        "service time that is hands-on work: effort = touch share x casework hours per day x "
        "service time, and the rest of the service time is an external delay. Touch shares "
        "are given (--touch-share), taken from the template's effort and delays, or derived "
        "from the assumed utilisation u: min(1, u x FTE-days / case-days in service), after "
        "the fixed stages' work. If the full-touch utilisation is below u, staff had slack "
        "and service time is all work. Check the result with <code>acusim validate-fit"
        "</code>: simulated waits too long mean too much effort.</p>"
    ]
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
                f"parameters from {spec.parameters_from}; FTE from {spec.history_from}",
            ]
        )
    parts.append(
        table(
            [
                "role",
                "FTE-days",
                "case-days in service",
                "u (assumed)",
                "full-touch utilisation",
                "implied utilisation",
                "casework h/day per FTE",
                "basis",
            ],
            rows,
        )
    )
    stage_rows = [
        [stage, name, share, e.basis[stage]]
        for name, e in cal.efforts.items()
        for stage, share in e.touch.items()
    ]
    parts.append(table(["stage", "role", "touch share", "basis"], stage_rows))
    return "".join(parts)


def _backlog(cal: Calibration) -> str:
    if not cal.backlog:
        return "<p>No visit was open at the as-of time.</p>"
    rows = [
        [g.stage, g.source, g.waiting, g.in_progress, float(np.mean(g.ages)), float(np.max(g.ages))]
        for g in cal.backlog
    ]
    return table(
        ["stage", "source", "waiting", "in progress", "mean age (days)", "oldest (days)"], rows
    )


def calibration_report(
    cal: Calibration,
    scenario_text: str,
    spread: list[dict[str, object]] | None = None,
) -> str:
    """The whole report as one HTML string."""
    sections = [
        ("Referral rates", _arrivals(cal)),
        ("Attribute mixes and entry stages", _mixes(cal)),
        ("Routing", _routing(cal)),
        ("Waiting and service times", _durations(cal)),
        ("Effort (derived)", _effort(cal)),
        ("Open work at the as-of time", _backlog(cal)),
    ]
    note = None
    if spread:
        sections.append(
            (
                "Input uncertainty (bootstrap)",
                "<p class='note'>Spread of fitted values over bootstrap resamples of the "
                "extract (2.5th to 97.5th percentile).</p>"
                + table(
                    ["value", "fitted", "bootstrap 2.5%", "median", "97.5%", "samples"],
                    [
                        [r["path"], r["fitted"], r["p2_5"], r["median"], r["p97_5"], r["n"]]
                        for r in spread
                    ],
                ),
            )
        )
        note = f"Input uncertainty: {spread[0]['n']} bootstrap samples (see the last section)."
    sections.append(("The calibrated scenario", f"<pre>{esc(scenario_text)}</pre>"))
    return page("Calibration report", _summary(cal, note), sections)
