"""Results on disk: Parquet tables and ``summary.json`` (schema in docs/outputs.md).

The summary is deterministic (no timestamps, keys in a fixed order) so two
runs with the same scenario and seed can be compared byte for byte, whatever
the number of worker processes.
"""

from __future__ import annotations

import json
import os
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd

from model.files import write_atomic
from model.replications import DEFAULT_CONFIDENCE, RunResults
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
    }
    workforce = workforce_summary(results, confidence)  # only with turnover (docs/outputs.md)
    if workforce is not None:
        summary["workforce"] = workforce
    return summary


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
    for name, frame in tables.items():
        _atomic_parquet(frame, out / name)
        written.append(out / name)
    summary = out / "summary.json"
    write_atomic(summary, summary_json(results, confidence))
    written.append(summary)
    return written
