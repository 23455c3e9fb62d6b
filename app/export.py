"""Downloads: the adjusted scenario as YAML, the results as CSV, and an HTML report.

The YAML is the full validated scenario (every field, defaults included), so loading it
with ``acusim run`` reproduces the app's figures exactly (same content hash). The report
is one self-contained HTML file for a board paper: charts with plotly.js embedded (it
works offline and sends nothing anywhere), the headline figures with intervals, the
assumptions, the seed, the number of runs and the software version.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence

import pandas as pd
import yaml

from app import views
from app.i18n import current_language, number, percent, t
from app.ui import ci_text, date_text, level, years_text
from model.replications import RunResults
from model.results import package_version
from model.scenario import MonitoringSource, RateSource, Scenario

REPORT_CSS = """
body { font-family: Arial, Helvetica, sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.8rem; } h2 { margin-top: 2.2rem; border-bottom: 2px solid #0072B2; }
table { border-collapse: collapse; margin: 0.6rem 0 1.2rem; font-size: 0.92rem; }
th, td { border: 1px solid #999; padding: 0.25rem 0.5rem; text-align: left; }
th { background: #eef3f8; } td.n { text-align: right; }
.reading { font-weight: bold; } .note { color: #444; font-size: 0.9rem; }
@media print { h2 { page-break-before: auto; } .chart { page-break-inside: avoid; } }
"""
REPORT_TABLE_ROWS = 60
"""Longest data table printed under a chart; longer ones (weekly series) are thinned."""


def scenario_yaml(scenario: Scenario, changes: Sequence[str], origin: str) -> str:
    """The adjusted scenario as a YAML file that ``acusim`` loads as it is."""
    header = [
        t("export.yaml_header", origin=origin),
        *(f"  - {line}" for line in changes),
    ]
    if not changes:
        header.append("  " + t("scenario.no_changes"))
    body = yaml.safe_dump(
        scenario.model_dump(mode="json", by_alias=True),
        sort_keys=False,
        allow_unicode=True,
        width=100,
    )
    return "".join(f"# {line}\n" for line in header) + body


def results_csv(results: RunResults) -> bytes:
    """Every KPI's mean, interval and n, with what was run (scenario hash, seed)."""
    summary = results.summary().rename_axis("kpi").reset_index()
    summary.insert(0, "seed", results.seed)
    summary.insert(0, "content_hash", results.scenario.content_hash())
    summary.insert(0, "scenario", results.scenario.name)
    summary.insert(4, "label", [views.kpi_label(results.scenario, k) for k in summary["kpi"]])
    return summary.to_csv(index=False).encode("utf-8")


def _table_html(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False):
        cells = []
        for value in record:
            cls = ' class="n"' if isinstance(value, int | float) else ""
            cells.append(f"<td{cls}>{html.escape(_cell(value))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _cell(value) -> str:
    if isinstance(value, float):
        return number(value, 3) if abs(value) < 10 else number(value, 1)
    return str(value)


def _thin(table: pd.DataFrame) -> pd.DataFrame:
    if len(table) <= REPORT_TABLE_ROWS:
        return table
    step = -(-len(table) // REPORT_TABLE_ROWS)
    return table.iloc[::step]


def _assumptions(scenario: Scenario) -> str:
    roles = pd.DataFrame(
        [
            {
                t("cols.role"): views.role_name(scenario, key),
                t("cols.fte"): role.fte,
                t("cols.hours_week"): role.contracted_hours_per_week,
                t("cols.abstraction"): percent(role.abstraction_rate, 1),
                t("cols.casework"): percent(role.casework_share, 0),
                t("cols.cost"): (
                    "–"
                    if role.cost_per_fte_per_year_gbp is None
                    else f"£{role.cost_per_fte_per_year_gbp:,.0f}"
                ),
            }
            for key, role in scenario.roles.items()
        ]
    )
    sources = []
    for key, source in scenario.sources.items():
        if isinstance(source, MonitoringSource):
            rate = t(
                "export.monitoring_rate",
                devices=number(source.devices_covered, 0),
                rate=number(source.alerts_per_device_per_week, 4),
            )
        elif isinstance(source, RateSource):
            rate = t("export.rate", rate=number(source.rate_per_week, 2))
        else:
            rate = "–"
        sources.append(
            {
                t("cols.source"): views.source_name(scenario, key),
                t("cols.rate"): rate,
                t("cols.switched_on"): t("ui.on") if source.enabled else t("ui.off"),
            }
        )
    return (
        f"<h3>{html.escape(t('export.roles_title'))}</h3>{_table_html(roles)}"
        f"<h3>{html.escape(t('export.sources_title'))}</h3>{_table_html(pd.DataFrame(sources))}"
    )


def html_report(
    results: RunResults, changes: Sequence[str], origin: str, today: dt.date | None = None
) -> str:
    """A self-contained HTML report of a run, in the current language."""
    scenario = results.scenario
    lang = current_language()
    about = pd.DataFrame(
        [
            (t("export.about_scenario"), views.scenario_title(scenario)),
            (t("export.about_origin"), origin),
            (t("export.about_hash"), scenario.content_hash()),
            (t("export.about_start"), date_text(scenario.start_date)),
            (t("export.about_horizon"), years_text(scenario.horizon_years)),
            (t("export.about_seed"), str(results.seed)),
            (t("export.about_runs"), str(results.n)),
            (t("export.about_confidence"), level()),
            (t("export.about_version"), package_version()),
        ],
        columns=[t("cols.item"), t("cols.value")],
    )
    headline_rows = [
        {
            t("cols.figure"): card.label,
            t("cols.mean"): percent(card.estimate.mean, 1)
            if card.as_percent
            else number(card.estimate.mean, card.digits),
            t("cols.interval"): ci_text(card.estimate, card.digits, card.as_percent),
            t("cols.verdict"): card.verdict or "–",
        }
        for card in views.headlines(results)
    ]
    shown = [
        v
        for v in (
            views.backlog(results),
            views.waits(results),
            views.time_to_outcome(results),
            views.targets(results),
            views.utilisation(results),
            views.outcomes(results),
            views.referrals(results),
        )
        if v is not None
    ]
    parts = []
    for i, view in enumerate(shown):
        chart = view.figure.to_html(
            full_html=False,
            include_plotlyjs=(i == 0),  # plotly.js once, inline: the file works offline
            config={"displayModeBar": False, "responsive": True},
            div_id=f"chart-{view.key}",
        )
        parts.append(
            f'<section class="chart"><h3>{html.escape(view.title)}</h3>'
            f'<p class="reading">{html.escape(view.reading)}</p>{chart}'
            f'<p class="note">{html.escape(view.note)}</p>'
            f"<details><summary>{html.escape(t('ui.data_table'))}</summary>"
            f"{_table_html(_thin(view.table))}</details></section>"
        )
    change_list = "".join(f"<li>{html.escape(c)}</li>" for c in changes) or (
        f"<li>{html.escape(t('scenario.no_changes'))}</li>"
    )
    today = today or dt.date.today()
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(t("export.report_title", name=views.scenario_title(scenario)))}</title>
<style>{REPORT_CSS}</style></head>
<body>
<h1>{html.escape(t("export.report_title", name=views.scenario_title(scenario)))}</h1>
<p>{html.escape(t("export.report_intro", date=date_text(today)))}</p>
<p>{html.escape(scenario.description)}</p>
<h2>{html.escape(t("export.about_title"))}</h2>{_table_html(about)}
<h2>{html.escape(t("export.headlines_title"))}</h2>{_table_html(pd.DataFrame(headline_rows))}
<p class="note">{html.escape(t("export.how_to_read", level=level(), n=results.n))}</p>
<h2>{html.escape(t("export.charts_title"))}</h2>
{"".join(parts)}
<h2>{html.escape(t("export.assumptions_title"))}</h2>
<h3>{html.escape(t("export.changes_title"))}</h3><ul>{change_list}</ul>
{_assumptions(scenario)}
<p class="note">{html.escape(t("export.assumptions_note"))}</p>
</body></html>
"""
