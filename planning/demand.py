"""Where the work comes from: staff-hours and referrals by source, and what a change makes.

The commissioner's question is the demand the monitoring technology creates.
Every replication records the staff-hours each role spent on each source's
cases (``staff_hours_per_year.<role>.<source>``), the referrals from each
source, and (with case records) where each stage sent them. These tables put
a confidence interval on each figure across replications; a comparison
between two scenarios run with the same seed uses the paired per-replication
differences (common random numbers), which is what makes "monitoring creates
N +/- m investigator-hours a year" sharp.

FTE equivalents divide staff-hours a year by the casework hours one FTE of
the role delivers in a year (contracted hours less abstraction and
non-casework time: ``Role.casework_hours_per_day`` x 365), so they are the
people needed at 100% utilisation - a floor, not a staffing recommendation
(see :mod:`planning.staffing.recommend` for that).
"""

from __future__ import annotations

import pandas as pd

from model.compare import paired_differences
from model.engine.sources import DAYS_PER_YEAR
from model.replications import DEFAULT_CONFIDENCE, RunResults, estimate

ALL_SOURCES = "all"
"""The ``source`` of a role's total row in :func:`compare_demand`."""

_ESTIMATE_COLUMNS = ["mean", "ci_low", "ci_high", "half_width", "n"]


def _hours_per_fte_year(results: RunResults, role: str) -> float:
    return results.scenario.roles[role].casework_hours_per_day * DAYS_PER_YEAR


def _with_fte(frame: pd.DataFrame, results: RunResults, columns: dict[str, str]) -> pd.DataFrame:
    """Add FTE-equivalent columns (``fte``, ...) dividing hours by each role's FTE-year."""
    hours = frame["role"].map(lambda r: _hours_per_fte_year(results, r))
    for source, target in columns.items():
        frame[target] = frame[source] / hours
    return frame


def demand_table(results: RunResults, confidence: float = DEFAULT_CONFIDENCE) -> pd.DataFrame:
    """Staff-hours a year by role and referral source, with CI, n and FTE equivalents.

    One row per (role, source): role, role_title, source, source_title, mean, ci_low,
    ci_high, half_width, n (hours a year), fte, fte_ci_low, fte_ci_high."""
    frame = results.kpi_frame()
    scenario = results.scenario
    rows = []
    for role, definition in scenario.roles.items():
        for source, stream in scenario.sources.items():
            e = estimate(frame[f"staff_hours_per_year.{role}.{source}"], confidence)
            rows.append(
                {
                    "role": role,
                    "role_title": definition.title,
                    "source": source,
                    "source_title": stream.title,
                    **{k: getattr(e, k) for k in _ESTIMATE_COLUMNS},
                }
            )
    table = pd.DataFrame(rows)
    return _with_fte(
        table, results, {"mean": "fte", "ci_low": "fte_ci_low", "ci_high": "fte_ci_high"}
    )


def demand_by_role(results: RunResults, confidence: float = DEFAULT_CONFIDENCE) -> pd.DataFrame:
    """Staff-hours a year by role (all sources), with CI, n and FTE equivalents."""
    frame = results.kpi_frame()
    rows = []
    for role, definition in results.scenario.roles.items():
        e = estimate(frame[f"staff_hours_per_year.{role}"], confidence)
        rows.append(
            {
                "role": role,
                "role_title": definition.title,
                "fte_now": definition.fte,
                **{k: getattr(e, k) for k in _ESTIMATE_COLUMNS},
            }
        )
    table = pd.DataFrame(rows)
    return _with_fte(
        table, results, {"mean": "fte", "ci_low": "fte_ci_low", "ci_high": "fte_ci_high"}
    )


def referrals_table(results: RunResults, confidence: float = DEFAULT_CONFIDENCE) -> pd.DataFrame:
    """Referrals a year by source (those arriving in the reported period), with CI and n."""
    frame = results.kpi_frame()
    rows = []
    for source, stream in results.scenario.sources.items():
        e = estimate(frame[f"arrivals_per_year.{source}"], confidence)
        rows.append(
            {
                "source": source,
                "source_title": stream.title,
                "enabled": stream.enabled,
                **{k: getattr(e, k) for k in _ESTIMATE_COLUMNS},
            }
        )
    return pd.DataFrame(rows)


def stage_outcomes_table(
    results: RunResults, confidence: float = DEFAULT_CONFIDENCE
) -> pd.DataFrame:
    """Where each stage sends each source's cases, a year: source, stage, next, mean, CI, n.

    Counts the stage visits that ended in the reported period, per replication (a
    replication where a route was never taken counts 0), so each stage's rows add up to
    its exits a year. Needs case records (``run_replications(..., record_cases=True)``)."""
    cases = results.cases()
    if cases is None:
        raise ValueError("stage outcomes need case records: run with record_cases=True")
    scenario = results.scenario
    done = cases[cases["left_day"].notna() & (cases["left_day"] >= 0)]  # days from start date
    counts = (
        done.groupby(["replication", "source", "stage", "next"], observed=True)
        .size()
        .unstack(["source", "stage", "next"], fill_value=0)
        .reindex([r.replication for r in results.replications], fill_value=0)
    )
    years = scenario.horizon_years
    rows = []
    for source, stage, following in counts.columns:
        e = estimate(counts[(source, stage, following)] / years, confidence)
        rows.append(
            {
                "source": source,
                "stage": stage,
                "next": following,
                "is_outcome": following in scenario.outcomes,
                **{k: getattr(e, k) for k in _ESTIMATE_COLUMNS},
            }
        )
    order = {name: i for i, name in enumerate(scenario.sources)}
    stages = {name: i for i, name in enumerate(scenario.stages)}
    table = pd.DataFrame(
        rows, columns=["source", "stage", "next", "is_outcome", *_ESTIMATE_COLUMNS]
    )
    if table.empty:
        return table
    table["_s"] = table["source"].map(order)
    table["_t"] = table["stage"].map(stages)
    return (
        table.sort_values(["_s", "_t", "mean"], ascending=[True, True, False])
        .drop(columns=["_s", "_t"])
        .reset_index(drop=True)
    )


def compare_demand(
    base: RunResults, other: RunResults, confidence: float = DEFAULT_CONFIDENCE
) -> pd.DataFrame:
    """Staff-hours a year, ``other`` minus ``base``, per role and per role x source.

    Both runs must share seed and replication indices (common random numbers); the CI is
    that of the paired per-replication differences. Rows: role, role_title, source
    (``"all"`` for the role's total), base, other, difference, ci_low, ci_high, half_width,
    n, and the FTE equivalents fte, fte_ci_low, fte_ci_high (of the difference, using
    ``base``'s roles)."""
    scenario = base.scenario
    kpis, keys = [], []
    for role in scenario.roles:
        kpis.append(f"staff_hours_per_year.{role}")
        keys.append((role, ALL_SOURCES))
        for source in scenario.sources:
            kpis.append(f"staff_hours_per_year.{role}.{source}")
            keys.append((role, source))
    diffs = paired_differences(base, other, kpis, confidence)
    rows = []
    for kpi, (role, source) in zip(kpis, keys, strict=True):
        if kpi not in diffs.index:
            continue
        row = diffs.loc[kpi]
        rows.append(
            {
                "role": role,
                "role_title": scenario.roles[role].title,
                "source": source,
                "base": row["base"],
                "other": row["other"],
                "difference": row["difference"],
                "ci_low": row["ci_low"],
                "ci_high": row["ci_high"],
                "half_width": row["half_width"],
                "n": int(row["n"]),
            }
        )
    table = pd.DataFrame(rows)
    return _with_fte(
        table, base, {"difference": "fte", "ci_low": "fte_ci_low", "ci_high": "fte_ci_high"}
    )


def compare_referrals(
    base: RunResults, other: RunResults, confidence: float = DEFAULT_CONFIDENCE
) -> pd.DataFrame:
    """Referrals a year by source, ``other`` minus ``base``: source, base, other, difference,
    ci_low, ci_high, half_width, n (paired differences; sources in both scenarios)."""
    sources = [s for s in base.scenario.sources if s in other.scenario.sources]
    diffs = paired_differences(base, other, [f"arrivals_per_year.{s}" for s in sources], confidence)
    table = diffs.reset_index(drop=True)
    table.insert(0, "source", sources)
    return table


def headline(row: pd.Series, base_name: str, other_name: str) -> str:
    """One line of :func:`compare_demand` in plain words (a role's total)."""
    change = -row["difference"]  # base minus other: what the base scenario needs beyond other
    half = row["half_width"]
    fte = -row["fte"]
    fte_half = (row["fte_ci_high"] - row["fte_ci_low"]) / 2
    if pd.isna(half):
        spread, fte_spread = "", ""
    else:
        spread, fte_spread = f" ± {half:,.0f}", f" ± {fte_half:.2f}"
    word = "more" if change >= 0 else "fewer"
    return (
        f"{base_name} needs {abs(change):,.0f}{spread} {word} {row['role_title']} hours a year "
        f"than {other_name}, i.e. {abs(fte):.2f}{fte_spread} FTE "
        f"({int(row['n'])} paired replications)."
    )
