"""Results on disk: Parquet tables and ``summary.json`` (schema in docs/outputs.md).

The summary is deterministic (no timestamps, keys in a fixed order) so two
runs with the same scenario and seed can be compared byte for byte, whatever
the number of worker processes.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from model.files import write_atomic
from model.overload import all_stage_waits, first_action_waits
from model.replications import DEFAULT_CONFIDENCE, RunResults, estimate
from model.scenario import CATEGORIES
from model.workforce_outputs import workforce_summary

SUMMARY_SCHEMA = "acusim.summary/1"


def package_version() -> str:
    try:
        return version("acusim")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


def _clean(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return None
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def summary_dict(results: RunResults, confidence: float = DEFAULT_CONFIDENCE) -> dict[str, Any]:
    """Everything a reader needs to trust and reproduce the headline figures."""
    scenario = results.scenario
    targets = results.target_status(confidence)
    summary = {
        "schema": SUMMARY_SCHEMA,
        "package_version": package_version(),
        "scenario": {
            "name": scenario.name,
            "content_hash": scenario.content_hash(),
            "start_date": scenario.start_date.isoformat(),
            "horizon_years": scenario.horizon_years,
            "warmup_days": scenario.warmup_days,
        },
        "seed": results.seed,
        "replications": results.n,
        "confidence": confidence,
        "kpis": {k: e.as_dict() for k, e in sorted(results.estimates(confidence).items())},
        "targets": {
            row["target"]: {k: _clean(v) for k, v in row.items() if k != "target"}
            for row in targets.to_dict(orient="records")
        },
        "yearly": [
            {k: _clean(v) for k, v in row.items()}
            for row in results.yearly(confidence).to_dict(orient="records")
        ],
        "waits": waits_dict(results, confidence),
    }
    workforce = workforce_summary(results, confidence)  # only with turnover (docs/outputs.md)
    if workforce is not None:
        summary["workforce"] = workforce
    return summary


def waits_dict(results: RunResults, confidence: float = DEFAULT_CONFIDENCE) -> dict[str, Any]:
    """Censored waits and overload verdicts by stage, and the first action (``waits``)."""
    return {
        "stages": {
            stage: {k: _clean(v) for k, v in w.as_dict().items()}
            for stage, w in all_stage_waits(results, confidence).items()
        },
        "first_action": first_action_waits(results, confidence),
    }


def summary_json(results: RunResults, confidence: float = DEFAULT_CONFIDENCE) -> str:
    return json.dumps(summary_dict(results, confidence), indent=2, sort_keys=False)


def _atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def weekly_long(results: RunResults) -> pd.DataFrame:
    """Every weekly series of every replication in one long table."""
    start = pd.Timestamp(results.scenario.start_date)
    frames = []
    for r in results.replications:
        for name, data in r.series.items():
            weeks = data.shape[0]
            frame = pd.DataFrame(data, columns=r.labels[name])
            frame.insert(0, "week", range(1, weeks + 1))
            long = frame.melt(id_vars="week", var_name="key", value_name="value")
            long.insert(0, "series", name)
            long.insert(0, "replication", r.replication)
            frames.append(long)
    table = pd.concat(frames, ignore_index=True)
    table.insert(3, "week_ending", start + pd.to_timedelta(7 * table["week"], unit="D"))
    return table


def write_outputs(
    results: RunResults, out_dir: str | Path, confidence: float = DEFAULT_CONFIDENCE
) -> list[Path]:
    """Write summary.json, kpis/weekly/yearly (and cases, if recorded) Parquet files."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    kpis = results.kpi_frame().reset_index()
    tables = {
        "kpis.parquet": kpis,
        "weekly.parquet": weekly_long(results),
        "yearly.parquet": results.yearly(confidence),
    }
    cases = results.cases()
    if cases is not None:
        tables["cases.parquet"] = cases
    tables.update(financial_year_outputs(results, confidence))
    for name, frame in tables.items():
        _atomic_parquet(frame, out / name)
        written.append(out / name)
    summary = out / "summary.json"
    write_atomic(summary, summary_json(results, confidence))
    written.append(summary)
    return written


# --------------------------------------------------------------------------- financial years
#
# Forces plan and report by financial year (1 April to 31 March): the Force Management
# Statement's four-year demand, the budget, the annual counter-corruption threat
# assessment. The weekly series are whole weeks from the start date, so a financial year
# here is the weeks whose first day falls in it (52 or 53 weeks; the first and last may be
# part years, and the ``weeks`` column says how many). The same rule assigns a case to the
# week it was received in, so a year's referrals by category add up to its referrals by
# source exactly.

FY_ESTIMATE_COLUMNS = ["mean", "ci_low", "ci_high", "half_width", "n"]


def financial_year(day: dt.date) -> int:
    """The calendar year in which ``day``'s financial year (April to March) starts."""
    return day.year if day.month >= 4 else day.year - 1


def financial_year_label(year: int) -> str:
    """``2027`` -> ``2027/28``."""
    return f"{year}/{(year + 1) % 100:02d}"


def week_financial_years(results: RunResults) -> np.ndarray:
    """The financial year (its starting calendar year) of each week of the weekly series."""
    start = results.scenario.start_date
    n_weeks = results.replications[0].series["arrivals"].shape[0]
    return np.array(
        [financial_year(start + dt.timedelta(days=7 * k)) for k in range(n_weeks)], dtype=int
    )


def _fy_estimates(per_replication: pd.DataFrame, confidence: float) -> pd.DataFrame:
    """Estimate ``value`` across replications for each (financial_year, metric, key)."""
    rows = []
    keys = ["financial_year", "metric", "key"]
    for (year, metric, key), group in per_replication.groupby(keys, sort=False):
        e = estimate(group["value"], confidence)
        rows.append({"financial_year": year, "metric": metric, "key": key, **e.__dict__})
    return pd.DataFrame(rows, columns=[*keys, *FY_ESTIMATE_COLUMNS])


def _with_fy_labels(table: pd.DataFrame, years: np.ndarray) -> pd.DataFrame:
    weeks = pd.Series(years).value_counts()
    table.insert(1, "label", table["financial_year"].map(financial_year_label))
    table.insert(2, "weeks", table["financial_year"].map(weeks).astype(int))
    return table


def financial_year_table(
    results: RunResults, confidence: float = DEFAULT_CONFIDENCE
) -> pd.DataFrame:
    """Per financial year, from the weekly series: referrals by source (``arrivals``, key
    ``all`` for the total), ``staff_hours`` by role (``all``: every role), ``fte_needed``
    by role (the year's staff-hours over one FTE's casework hours in those weeks: people
    busy 100% of the time, a floor), mean weekly ``utilisation`` by role, and
    ``backlog_end`` by stage (waiting plus in progress at the end of the year's last week;
    key ``all`` for the unit).

    Columns: financial_year (starting calendar year), label (``2027/28``), weeks, metric,
    key, mean, ci_low, ci_high, half_width, n."""
    scenario = results.scenario
    years = week_financial_years(results)
    hours_per_week = {
        role: definition.casework_hours_per_day * 7 for role, definition in scenario.roles.items()
    }
    rows = []
    for r in results.replications:
        series = r.series
        backlog = series["backlog_waiting"] + series["backlog_in_progress"]
        for year in dict.fromkeys(years.tolist()):
            weeks = years == year
            last = int(np.flatnonzero(weeks)[-1])
            n_weeks = int(weeks.sum())
            arrivals = series["arrivals"][weeks].sum(axis=0)
            for label, value in zip(r.labels["arrivals"], arrivals, strict=True):
                rows.append((r.replication, year, "arrivals", label, float(value)))
            rows.append((r.replication, year, "arrivals", "all", float(arrivals.sum())))
            hours = series["staff_hours"][weeks].sum(axis=0)
            rows.append((r.replication, year, "staff_hours", "all", float(hours.sum())))
            busy = series["utilisation"][weeks]
            for i, role in enumerate(r.labels["staff_hours"]):
                rows.append((r.replication, year, "staff_hours", role, float(hours[i])))
                fte = (
                    hours[i] / (hours_per_week[role] * n_weeks) if hours_per_week[role] else np.nan
                )
                rows.append((r.replication, year, "fte_needed", role, float(fte)))
                column = busy[:, r.labels["utilisation"].index(role)]
                finite = column[np.isfinite(column)]
                mean = float(finite.mean()) if finite.size else np.nan
                rows.append((r.replication, year, "utilisation", role, mean))
            for label, value in zip(r.labels["backlog_waiting"], backlog[last], strict=True):
                rows.append((r.replication, year, "backlog_end", label, float(value)))
            rows.append((r.replication, year, "backlog_end", "all", float(backlog[last].sum())))
    frame = pd.DataFrame(rows, columns=["replication", "financial_year", "metric", "key", "value"])
    return _with_fy_labels(_fy_estimates(frame, confidence), years)


def _case_weeks(days: pd.Series, warmup: float) -> pd.Series:
    """The week of the weekly series a simulation day falls in (0 = the first)."""
    return np.floor((days - warmup) / 7).astype("Int64")


def financial_year_case_table(
    results: RunResults, confidence: float = DEFAULT_CONFIDENCE
) -> pd.DataFrame | None:
    """Per financial year, from case records (None without them): ``referrals_by_category``
    (key: national corruption category, every one of the 12, zeros included; they add up to
    the year's referrals), ``wait_mean_days`` by stage (days from entering the stage to
    allocation, for visits allocated in the year), and ``pcc_open_over_at_end`` (key: the
    investigation stage; investigations in it longer than the PCC reporting threshold at the
    end of the year's last week). Columns as :func:`financial_year_table`."""
    cases = results.cases()
    if cases is None:
        return None
    scenario = results.scenario
    warmup = float(scenario.warmup_days)
    years = week_financial_years(results)
    n_weeks = len(years)
    reps = [r.replication for r in results.replications]
    order = list(dict.fromkeys(years.tolist()))
    rows: list[pd.DataFrame] = []

    def add(metric: str, table: pd.DataFrame) -> None:
        """``table``: replication x (financial_year, key) counts or values."""
        long = table.stack(["financial_year", "key"], future_stack=True).rename("value")
        long = long.reset_index()
        long.insert(2, "metric", metric)
        rows.append(long)

    # Referrals by category: one row a case, in the week it was received.
    first = cases.drop_duplicates(["replication", "case_id"])
    week = _case_weeks(first["received_day"], warmup)
    inside = (week >= 0) & (week < n_weeks)
    received = first[inside.fillna(False).to_numpy()].copy()
    received["financial_year"] = years[week[inside.fillna(False)].astype(int).to_numpy()]
    counts = received.groupby(["replication", "financial_year", "category"]).size()
    index = pd.MultiIndex.from_product(
        [reps, order, list(CATEGORIES)], names=["replication", "financial_year", "key"]
    )
    counts.index = counts.index.set_names(["replication", "financial_year", "key"])
    add(
        "referrals_by_category",
        counts.reindex(index, fill_value=0).astype(float).unstack(["financial_year", "key"]),
    )

    # Waits: visits allocated in the year.
    visits = cases[cases["allocated_day"].notna() & cases["stage"].notna()].copy()
    week = _case_weeks(visits["allocated_day"], warmup)
    inside = ((week >= 0) & (week < n_weeks)).fillna(False).to_numpy()
    visits = visits[inside].copy()
    visits["financial_year"] = years[week[inside].astype(int).to_numpy()]
    visits["wait"] = visits["allocated_day"] - visits["queued_day"]
    worked = [name for name, stage in scenario.stages.items() if stage.role]
    waits = (
        visits[visits["stage"].isin(worked)]
        .groupby(["replication", "financial_year", "stage"])["wait"]
        .mean()
    )
    index = pd.MultiIndex.from_product(
        [reps, order, worked], names=["replication", "financial_year", "key"]
    )
    waits.index = waits.index.set_names(["replication", "financial_year", "key"])
    add("wait_mean_days", waits.reindex(index).unstack(["financial_year", "key"]))

    # Investigations open beyond the PCC threshold at each year's end.
    stage = scenario.reporting.investigation_stage
    if stage is not None:
        threshold = float(scenario.reporting.pcc_report_after_days)
        inv = cases[cases["stage"] == stage]
        values = {}
        for year in order:
            end = warmup + 7 * (int(np.flatnonzero(years == year)[-1]) + 1)
            open_then = inv[
                (inv["queued_day"] <= end - threshold)
                & (inv["left_day"].isna() | (inv["left_day"] > end))
            ]
            values[(year, stage)] = (
                open_then.groupby("replication").size().reindex(reps, fill_value=0).astype(float)
            )
        table = pd.DataFrame(values)
        table.columns = table.columns.set_names(["financial_year", "key"])
        table.index.name = "replication"
        add("pcc_open_over_at_end", table)
    frame = pd.concat(rows, ignore_index=True)
    frame = frame[["replication", "financial_year", "metric", "key", "value"]]
    return _with_fy_labels(_fy_estimates(frame, confidence), years)


def financial_year_outputs(
    results: RunResults, confidence: float = DEFAULT_CONFIDENCE
) -> dict[str, pd.DataFrame]:
    """The per-financial-year tables ``acusim run --out`` writes: ``financial_years.parquet``
    (every metric of :func:`financial_year_table`, plus waits and investigations over the
    PCC threshold when cases are recorded) and ``categories.parquet`` (referrals by national
    corruption category and financial year; needs case records)."""
    years = financial_year_table(results, confidence)
    by_case = financial_year_case_table(results, confidence)
    if by_case is None:
        return {"financial_years.parquet": years}
    category = by_case["metric"] == "referrals_by_category"
    return {
        "financial_years.parquet": pd.concat([years, by_case[~category]], ignore_index=True),
        "categories.parquet": by_case[category].reset_index(drop=True),
    }
