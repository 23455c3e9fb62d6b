"""Comparing scenarios with common random numbers: paired differences per replication.

Two scenarios run with the same seed share every random stream that means the
same thing in both (a source's arrivals, a stage's effort for a given case),
so replication r of one is the twin of replication r of the other. The
difference of a KPI is then estimated from the per-replication differences,
whose variance is far smaller than the sum of the two variances when the
scenarios differ only a little (e.g. one more investigator).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from model.replications import (
    DEFAULT_CONFIDENCE,
    RunResults,
    estimate,
    run_replications,
)
from model.scenario import Scenario


def run_paired(
    scenarios: Sequence[Scenario],
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> list[RunResults]:
    """Run several scenarios with the same seed and replication indices (CRN)."""
    if not scenarios:
        return []
    seed = scenarios[0].seed if seed is None else seed
    n = scenarios[0].replications if replications is None else replications
    return [
        run_replications(s, replications=n, seed=seed, workers=workers, progress=progress)
        for s in scenarios
    ]


def paired_differences(
    base: RunResults,
    other: RunResults,
    kpis: Sequence[str] | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
) -> pd.DataFrame:
    """Per KPI: other - base, as mean and CI of the paired per-replication differences.

    Only replications present in both runs are paired (they must share a seed)."""
    if base.seed != other.seed:
        raise ValueError("paired differences need runs with the same seed")
    a, b = base.kpi_frame(), other.kpi_frame()
    common = a.index.intersection(b.index)
    columns = [k for k in (kpis or a.columns) if k in a.columns and k in b.columns]
    rows = []
    for kpi in columns:
        diff = b.loc[common, kpi] - a.loc[common, kpi]
        e = estimate(diff, confidence)
        rows.append(
            {
                "kpi": kpi,
                "base": estimate(a.loc[common, kpi], confidence).mean,
                "other": estimate(b.loc[common, kpi], confidence).mean,
                "difference": e.mean,
                "ci_low": e.ci_low,
                "ci_high": e.ci_high,
                "half_width": e.half_width,
                "n": e.n,
            }
        )
    return pd.DataFrame(rows).set_index("kpi") if rows else pd.DataFrame()
