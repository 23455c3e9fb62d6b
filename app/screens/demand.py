"""Where the work comes from: referrals and staff-hours by source, and the same force with
and without ICT monitoring side by side (the question in the Commissioner's letter).

Tables come from ``planning.demand`` (staff-hours by role and source with intervals and FTE
equivalents; paired differences between two runs with common random numbers)."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from app import charts, runs, state, ui, views
from app.i18n import number, percent, t
from app.workforce_view import workforce_view
from model.compare import paired_differences
from model.replications import RunResults
from model.scenario import MonitoringSource, Scenario, with_overrides
from planning.demand import ALL_SOURCES, compare_demand, demand_by_role, demand_table

WITHOUT_SUFFIX = "_without_monitoring"
HEADLINE_KPIS = ("backlog_end_total", "pcc_investigations_over_share", "referrals_total")


def hours_view(results: RunResults) -> views.View:
    scenario = results.scenario
    table = demand_table(results)
    table["label"] = [views.role_name(scenario, r) for r in table["role"]]
    table["series"] = [views.source_name(scenario, s) for s in table["source"]]
    table["value"] = table["mean"]
    figure = charts.stacked_bars(
        table,
        title=t("demand.hours_title"),
        x_title=t("demand.hours_axis"),
        y_title="",
    )
    top = table.loc[table["mean"].idxmax()]
    reading = t(
        "demand.hours_reading",
        role=top["label"],
        source=top["series"],
        hours=number(top["mean"], 0),
        ci=t(
            "ui.ci",
            level=ui.level(),
            low=number(top["ci_low"], 0),
            high=number(top["ci_high"], 0),
            n=int(top["n"]),
        ),
        fte=number(top["fte"], 2),
    )
    shown = views.data_table(
        table,
        {
            "label": "cols.role",
            "series": "cols.source",
            "mean": "cols.hours_year",
            "ci_low": "cols.ci_low",
            "ci_high": "cols.ci_high",
            "n": "cols.n",
            "fte": "cols.fte_equivalent",
            "fte_ci_low": "cols.fte_ci_low",
            "fte_ci_high": "cols.fte_ci_high",
        },
        2,
    )
    return views.View(
        "hours_by_source",
        t("demand.hours_title"),
        figure,
        shown,
        reading,
        t("demand.hours_note", level=ui.level(), n=results.n),
    )


def without_monitoring(scenario: Scenario) -> Scenario:
    """The same scenario with every monitoring source switched off (nothing else changes)."""
    off = {
        f"sources.{name}.enabled": False
        for name, source in scenario.sources.items()
        if isinstance(source, MonitoringSource)
    }
    off["name"] = f"{scenario.name}{WITHOUT_SUFFIX}"
    return with_overrides(scenario, off, scenario.name)


def side_by_side_view(with_m: RunResults, without_m: RunResults) -> views.View:
    scenario = with_m.scenario
    frames = []
    for result, label in ((with_m, t("demand.with")), (without_m, t("demand.without"))):
        by_role = demand_by_role(result)
        by_role["label"] = [views.role_name(scenario, r) for r in by_role["role"]]
        by_role["series"] = label
        by_role["value"] = by_role["mean"]
        frames.append(by_role)
    frame = pd.concat(frames, ignore_index=True)
    figure = charts.grouped_bars(
        frame, title=t("demand.side_title"), x_title=t("demand.hours_axis"), y_title=""
    )
    shown = views.data_table(
        frame,
        {
            "series": "cols.scenario",
            "label": "cols.role",
            "mean": "cols.hours_year",
            "ci_low": "cols.ci_low",
            "ci_high": "cols.ci_high",
            "n": "cols.n",
            "fte": "cols.fte_equivalent",
            "fte_now": "cols.fte_now",
        },
        2,
    )
    totals = frame.groupby("series", sort=False)["mean"].sum()
    reading = t(
        "demand.side_reading",
        with_hours=number(totals.iloc[0], 0),
        without_hours=number(totals.iloc[1], 0),
    )
    return views.View(
        "with_without_monitoring",
        t("demand.side_title"),
        figure,
        shown,
        reading,
        ui_note("bars", with_m.n),
    )


def ui_note(kind: str, n: int) -> str:
    return t(f"ui.note_{kind}", level=ui.level(), n=n)


def difference_view(with_m: RunResults, without_m: RunResults) -> views.View:
    scenario = with_m.scenario
    diff = compare_demand(without_m, with_m)
    totals = diff[diff["source"] == ALL_SOURCES].copy()
    totals["label"] = [views.role_name(scenario, r) for r in totals["role"]]
    totals["series"] = t("demand.created")
    totals["mean"] = totals["difference"]
    figure = charts.intervals(
        totals,
        title=t("demand.diff_title"),
        x_title=t("demand.diff_axis"),
        reference=0.0,
        reference_label=t("compare.no_difference"),
    )
    finite = totals[totals["mean"].notna()]
    top = finite.loc[finite["mean"].idxmax()] if len(finite) else None
    if top is None or not math.isfinite(top["mean"]) or top["mean"] <= 0:
        reading = t("demand.diff_reading_none")
    else:
        reading = t(
            "demand.diff_reading",
            role=top["label"],
            hours=number(top["mean"], 0),
            ci=t(
                "ui.ci",
                level=ui.level(),
                low=number(top["ci_low"], 0),
                high=number(top["ci_high"], 0),
                n=int(top["n"]),
            ),
            fte=number(top["fte"], 2),
            fte_low=number(top["fte_ci_low"], 2),
            fte_high=number(top["fte_ci_high"], 2),
        )
    detail = diff.copy()
    detail["label"] = [views.role_name(scenario, r) for r in detail["role"]]
    detail["series"] = [
        t("demand.all_sources") if s == ALL_SOURCES else views.source_name(scenario, s)
        for s in detail["source"]
    ]
    shown = views.data_table(
        detail,
        {
            "label": "cols.role",
            "series": "cols.source",
            "base": "cols.without",
            "other": "cols.with",
            "difference": "cols.difference",
            "ci_low": "cols.ci_low",
            "ci_high": "cols.ci_high",
            "n": "cols.n",
            "fte": "cols.fte_equivalent",
            "fte_ci_low": "cols.fte_ci_low",
            "fte_ci_high": "cols.fte_ci_high",
        },
        2,
    )
    return views.View(
        "monitoring_difference",
        t("demand.diff_title"),
        figure,
        shown,
        reading,
        t("compare.diff_note", level=ui.level(), n=with_m.n),
    )


def headline_differences(with_m: RunResults, without_m: RunResults) -> pd.DataFrame:
    """Headline figures without and with monitoring, formatted for reading (percentages,
    thousands separators, one decimal); the CSV below holds the same numbers unrounded."""
    return _headline_frame(with_m, without_m, formatted=True)


def _headline_frame(with_m: RunResults, without_m: RunResults, formatted: bool) -> pd.DataFrame:
    scenario = with_m.scenario
    kpis = [k for k in HEADLINE_KPIS if k in with_m.kpi_frame().columns]
    diffs = paired_differences(without_m, with_m, kpis)
    rows = []
    for kpi, row in diffs.iterrows():
        pct = views.is_percent(kpi)

        def shown(value: float, signed: bool = False, pct: bool = pct) -> str | float:
            if not formatted:
                return float(value)
            text = percent(value, 1) if pct else number(value, 1)
            return "+" + text if signed and value > 0 else text

        rows.append(
            {
                t("cols.figure"): views.kpi_label(scenario, kpi),
                t("cols.without"): shown(row["base"]),
                t("cols.with"): shown(row["other"]),
                t("cols.difference"): shown(row["difference"], signed=True),
                t("cols.ci_low"): shown(row["ci_low"]),
                t("cols.ci_high"): shown(row["ci_high"]),
                t("cols.n"): int(row["n"]),
            }
        )
    return pd.DataFrame(rows)


ui.heading("demand")
scenario = ui.adjusted_scenario_or_stop()
ui.scenario_banner(scenario)
results = runs.results_or_stop(scenario, state.workers())
ui.show_view(views.referrals(results))
ui.show_view(hours_view(results))
ui.show_view(workforce_view(results))  # staff in post beside demand (roles with turnover)

ui.section(t("demand.monitoring_title"))
st.markdown(t("demand.monitoring_intro"))
monitoring = [s for s in scenario.sources.values() if isinstance(s, MonitoringSource)]
if not any(s.enabled for s in monitoring):
    st.info(t("demand.no_monitoring"))
    st.stop()
without = runs.run(without_monitoring(scenario), state.workers())
ui.show_view(side_by_side_view(results, without), level=3)
ui.show_view(difference_view(results, without), level=3)
ui.section(t("demand.headline_title"), level=3)
table = headline_differences(results, without)
st.table(table.set_index(t("cols.figure")))
st.caption(t("compare.diff_note", level=ui.level(), n=results.n))
st.caption(t("demand2.share_note"))
st.download_button(
    t("ui.download_csv"),
    _headline_frame(results, without, formatted=False).to_csv(index=False).encode("utf-8"),
    file_name="with-without-monitoring.csv",
    mime="text/csv",
    key="download:monitoring_headlines",
)
