"""Compare page: two to four scenarios side by side with common random numbers.

Every scenario runs with the adjusted scenario's horizon, seed and number of runs, so
run r of one is the twin of run r of another (same arrivals and efforts where they mean
the same thing); differences are then estimated from the paired runs
(``model.compare.paired_differences``), with much narrower intervals than two separate
estimates would give.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import charts, runs, state, ui, views
from app.i18n import number, percent, t
from app.verdict import show_verdict, verdict
from model.compare import paired_differences
from model.scenario import Scenario, ScenarioError

CURRENT = "__current__"
MAX_SCENARIOS = 4
MIN_SCENARIOS = 2


def _label(option: str, current: Scenario) -> str:
    """A scenario's name in the list and on the charts: its title, never a file name."""
    if option == CURRENT:
        return t("compare.current", name=views.scenario_title(current))
    return t("compare.shipped", file=ui.shipped_title(option))


def _scenario(option: str, current: Scenario) -> Scenario:
    if option == CURRENT:
        return current
    return runs.with_run_settings(state.load_shipped(option), current)


def _fmt(kpi: str, value: float) -> str:
    """A figure as people read it: shares as percentages, money in pounds, others with
    one decimal and thousands separators (the same formatter in both languages)."""
    if views.is_percent(kpi):
        return percent(value, 1)
    return number(value, 1)


def _fmt_difference(kpi: str, value: float) -> str:
    """A difference: percentage points for shares, with its sign."""
    text = _fmt(kpi, value)
    return text if text.startswith(("-", "−", "–")) or value == 0 else "+" + text


ui.heading("compare")
current = ui.adjusted_scenario_or_stop()

options = [CURRENT, *state.shipped_scenarios()]
chosen = state.origin().file
others = [o for o in options[1:] if o != chosen]
picked = st.multiselect(
    t("compare.pick"),
    options,
    key=ui.choice_key(state.COMPARE_PICK_KEY, [CURRENT, *others[:1]]),
    max_selections=MAX_SCENARIOS,
    format_func=lambda o: _label(o, current),
    help=t("compare.pick_help"),
)
ui.keep_choice(state.COMPARE_PICK_KEY, picked)  # the Staffing page offers the first option
st.caption(
    t(
        "compare.settings",
        years=ui.years_text(current.horizon_years),
        seed=current.seed,
        n=current.replications,
    )
)
if len(picked) < MIN_SCENARIOS:
    st.info(t("compare.need_two", n=MIN_SCENARIOS))
    st.stop()

try:
    scenarios = [_scenario(option, current) for option in picked]
except ScenarioError as exc:
    ui.errors(exc.lines, t("compare.invalid"))
    st.stop()
labels = [_label(option, current) for option in picked]
# A Run button only where pressing it would run something.
waiting = not all(runs.has_run(s) for s in scenarios)
if waiting:  # gone once pressed (runs.run_button), so no button sits above the results
    runs.run_button(t("compare.run"), "widget:compare_run", t("compare.not_run"))
results = [runs.run(s, state.workers()) for s in scenarios]

ui.section(t("verdict.compare_title"))
for i, (label, result) in enumerate(zip(labels, results, strict=True)):
    show_verdict(verdict(result), heading=label, level=3, note=i == len(results) - 1)

base, base_label = results[0], labels[0]
kpis = [
    k for k in views.comparison_kpis(current) if all(k in r.kpi_frame().columns for r in results)
]
kpi = st.selectbox(
    t("compare.kpi_pick"),
    kpis,
    format_func=lambda k: views.kpi_label(current, k),
    key="widget:compare_kpi:" + ",".join(kpis),
)
kpi_name = views.kpi_label(current, kpi)

# Side by side: each scenario's estimate with its interval.
rows = []
for label, result in zip(labels, results, strict=True):
    e = result.estimates()[kpi]
    rows.append(
        {
            "label": label,
            "series": kpi_name,
            "mean": e.mean,
            "ci_low": e.ci_low,
            "ci_high": e.ci_high,
            "n": e.n,
        }
    )
side = pd.DataFrame(rows)
figure = charts.intervals(
    side,
    title=t("compare.side_title", kpi=kpi_name),
    x_title=kpi_name,
    percent=views.is_percent(kpi),
)
best = side.loc[side["mean"].idxmax()] if side["mean"].notna().any() else None
side_title = t("compare.side_title", kpi=kpi_name)
ui.section(side_title)
ui.chart_block(
    "compare_side",
    figure,
    views.data_table(side, views.INTERVAL_COLUMNS, 4),
    t(
        "compare.side_reading",
        kpi=kpi_name,
        top=best["label"] if best is not None else "–",
        value=_fmt(kpi, best["mean"]) if best is not None else "–",
    ),
    t("ui.note_whiskers", level=ui.level(), n=base.n),
    side_title,
)

# Differences from the first scenario, from the paired runs.
diff_rows = []
for label, result in zip(labels[1:], results[1:], strict=True):
    d = paired_differences(base, result, [kpi]).loc[kpi]
    diff_rows.append(
        {
            "label": label,
            "series": t("compare.difference"),
            "mean": d["difference"],
            "ci_low": d["ci_low"],
            "ci_high": d["ci_high"],
            "n": int(d["n"]),
        }
    )
diffs = pd.DataFrame(diff_rows)
figure = charts.intervals(
    diffs,
    title=t("compare.diff_title", kpi=kpi_name, base=base_label),
    x_title=t("compare.diff_axis", kpi=kpi_name),
    percent=views.is_percent(kpi),
    reference=0.0,
    reference_label=t("compare.no_difference"),
)
clear = [r["label"] for r in diff_rows if r["ci_low"] > 0 or r["ci_high"] < 0]
reading = t("compare.diff_reading", base=base_label, kpi=kpi_name)
reading += " " + (
    t("compare.diff_clear", names="; ".join(clear)) if clear else t("compare.diff_none")
)
diff_title = t("compare.diff_title", kpi=kpi_name, base=base_label)
ui.section(diff_title)
ui.chart_block(
    "compare_difference",
    figure,
    views.data_table(diffs, views.INTERVAL_COLUMNS, 4),
    reading,
    t("compare.diff_note", level=ui.level(), n=base.n),
    diff_title,
)

# Every figure at once: differences with intervals.
ui.section(t("compare.all_title", base=base_label))
table_rows, raw_rows = [], []
for label, result in zip(labels[1:], results[1:], strict=True):
    frame = paired_differences(base, result, kpis)
    for name, row in frame.iterrows():
        raw_rows.append(
            {
                t("cols.scenario"): label,
                t("cols.figure"): views.kpi_label(current, name),
                **{
                    t(f"cols.{col}"): row[col]
                    for col in ("base", "other", "difference", "ci_low", "ci_high")
                },
                t("cols.n"): int(row["n"]),
            }
        )
        table_rows.append(
            {
                t("cols.scenario"): label,
                t("cols.figure"): views.kpi_label(current, name),
                t("cols.base"): _fmt(name, row["base"]),
                t("cols.other"): _fmt(name, row["other"]),
                t("cols.difference"): _fmt_difference(name, row["difference"]),
                t("cols.ci_low"): _fmt(name, row["ci_low"]),
                t("cols.ci_high"): _fmt(name, row["ci_high"]),
                t("cols.n"): int(row["n"]),
            }
        )
table = pd.DataFrame(table_rows)
# A static table wraps to the page's width (a scrolling grid cut the last columns off).
st.table(table.set_index([t("cols.scenario"), t("cols.figure")]))
st.download_button(
    t("ui.download_csv"),
    pd.DataFrame(raw_rows).to_csv(index=False).encode("utf-8"),
    file_name="comparison.csv",
    mime="text/csv",
    key="download:comparison",
)
