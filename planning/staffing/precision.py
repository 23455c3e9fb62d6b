"""How many replications: the sequential method of Hoad, Robinson and Davies (2010).

Run a few replications; after each further one, compute the confidence
interval's half-width relative to the KPI's size; accept the first count
``n`` at which the relative half-width is within the precision *and stays
within it* for the next ``kLimit`` counts (the look-ahead, which guards
against stopping on a lucky streak). ``kLimit`` is ``look_ahead`` up to 100
replications and ``look_ahead / 100 x n`` beyond, as in the paper.

Two departures from ``sim_tools.output_analysis.ReplicationsAlgorithm``
(which implements the same paper, and which the tests use as the reference
on positive data), both because of what the targets here are:

* The relative half-width divides by ``max(|mean|, |threshold|)``, not by the
  mean. Target KPIs are often near zero or negative (backlog growth; the
  share of investigations open beyond 12 months), where the half-width over
  the mean is unbounded or negative - a negative mean would pass any
  precision check. Near the threshold, what matters is the half-width
  relative to the threshold being judged.
* Replications are run in batches across worker processes, not one at a
  time. The decision is still taken count by count over the prefixes of the
  replications in index order, so the answer is the one the one-at-a-time
  algorithm gives; a batch at most computes a few replications more.

Non-finite values (a share in a replication where no case qualified) are
left out, as everywhere else in the reports.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

MIN_REPLICATIONS = 3
"""Fewest replications with a defined precision (the paper's, and sim-tools', minimum)."""


@dataclass(frozen=True)
class PrecisionRule:
    """What 'precise enough' means for one run of the sequential method."""

    precision: float
    confidence: float
    initial: int
    look_ahead: int
    budget: int


def k_limit(n: int, look_ahead: int) -> int:
    """Look-ahead replications after a count of ``n`` (Hoad et al. 2010)."""
    return look_ahead if n <= 100 else int(look_ahead / 100 * n)


def relative_half_widths(
    values: Sequence[float], confidence: float, scale_floor: float = 0.0
) -> np.ndarray:
    """After each count n = 1, 2, ...: the CI half-width over max(|mean|, scale_floor).

    Entries before the third finite value are NaN (no usable interval yet); a zero
    half-width over a zero scale counts as precise (0), a positive one as never (inf)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    n = np.arange(1, x.size + 1)
    if x.size == 0:
        return np.empty(0)
    cumulative = np.cumsum(x)
    mean = cumulative / n
    squares = np.cumsum(x * x)
    with np.errstate(invalid="ignore", divide="ignore"):
        variance = np.maximum((squares - n * mean * mean) / (n - 1), 0.0)
        t = stats.t.ppf((1 + confidence) / 2, np.maximum(n - 1, 1))
        half = t * np.sqrt(variance / n)
        scale = np.maximum(np.abs(mean), abs(scale_floor))
        out = np.where(half == 0, 0.0, half / scale)
    out[n < MIN_REPLICATIONS] = np.nan
    return out


def replications_needed(
    values: Sequence[float],
    rule: PrecisionRule,
    scale_floor: float = 0.0,
) -> int | None:
    """The smallest n whose relative half-width, and that of the next kLimit(n) counts, are
    all within the precision; None if the values given do not show one (run more)."""
    widths = relative_half_widths(values, rule.confidence, scale_floor)
    within = np.isfinite(widths) & (widths <= rule.precision)
    available = widths.size
    for n in range(MIN_REPLICATIONS, available + 1):
        last = n + k_limit(n, rule.look_ahead)
        if last > available:
            return None
        if within[n - 1 : last].all():
            return n
    return None


@dataclass(frozen=True)
class PrecisionOutcome:
    """Replications each metric needs (None: not reached within the budget) and how many ran."""

    needed: dict[str, int | None]
    achieved: dict[str, float]
    run: int

    def replications(self, metrics: Sequence[str], rule: PrecisionRule) -> int:
        """Replications enough for all ``metrics``: the budget where one was not reached."""
        counts = [self.needed[m] if self.needed[m] is not None else rule.budget for m in metrics]
        return max([rule.initial, *counts])


def sequential_replications(
    fetch: Callable[[int], Mapping[str, Sequence[float]]],
    scale_floors: Mapping[str, float],
    rule: PrecisionRule,
    batch: int,
) -> PrecisionOutcome:
    """Run replications in batches until every metric's count is known or the budget is spent.

    ``fetch(n)`` must make at least ``n`` replications available and return each metric's
    values for replications 0..n-1 (more is fine); ``scale_floors`` maps each metric to the
    size below which its half-width is not judged relative to its mean (its threshold)."""
    n = min(max(rule.initial, MIN_REPLICATIONS), rule.budget)
    while True:
        values = fetch(n)
        n_have = min(len(v) for v in values.values()) if values else n
        needed = {
            m: replications_needed(list(values[m])[: rule.budget], rule, scale_floors[m])
            for m in scale_floors
        }
        if all(v is not None for v in needed.values()) or n_have >= rule.budget:
            break
        n = min(rule.budget, max(n_have, n) + max(1, batch))
    achieved = {}
    for m in scale_floors:
        widths = relative_half_widths(
            list(values[m])[: rule.budget], rule.confidence, scale_floors[m]
        )
        achieved[m] = float(widths[-1]) if widths.size else math.nan
    return PrecisionOutcome(needed=needed, achieved=achieved, run=n_have)
