"""Waits with the cases still waiting counted: the Kaplan-Meier (product-limit) estimator.

Why: a wait is only observed once a case is started. At the end of a run the cases still
waiting have waited *at least* their age in the queue; leaving them out (a mean or a
percentile over the started cases only) understates waits, and badly so when a queue
grows: in an overloaded unit the cases never started are the ones with the longest waits.
The Kaplan-Meier estimator treats them as *right-censored* observations, so each still
contributes the time it is known to have waited.

Cases that joined the queue before the reporting window (warm-up cases, the open caseload
at the start date) are *left-truncated*: they are in the sample only because they had not
been started by the start date. Each enters the risk set at its wait so far on the start
date (``entry``), not at 0, which is the product-limit estimator for left-truncated,
right-censored data (Klein and Moeschberger, *Survival Analysis*, 2nd ed., 2003, 4.6).

Conventions (the usual ones): at a time with both events and censorings, the censored
cases are still at risk at that time (censoring happens just after the events); a case is
at risk at time u when ``entry <= u <= exit``, so waits of exactly 0 (started on arrival)
are events at 0. A quantile p is the smallest event time at which the survival curve
S(u) = P(wait > u) is at or below 1 - p; with no censoring this is the inverse of the
empirical distribution function (``numpy.quantile(method="inverted_cdf")``). When the
curve never gets that low (too many cases still waiting, before enough were started),
the quantile is *undefined*: NaN, with the reason from :func:`quantile_reason`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

TOLERANCE = 1e-12
"""Floating-point slack when comparing S(u) with 1 - p (S is a product of fractions)."""


@dataclass(frozen=True)
class SurvivalCurve:
    """S(u) = P(wait > u) just after each distinct event time ``times`` (ascending);
    ``n`` cases (sum of weights), ``censored`` of them still waiting at the end."""

    times: np.ndarray
    survival: np.ndarray
    n: float
    censored: float

    def quantile(self, p: float) -> float:
        """The smallest event time with S <= 1 - p; NaN when the curve never gets there."""
        below = np.nonzero(self.survival <= 1.0 - p + TOLERANCE)[0]
        return float(self.times[below[0]]) if below.size else math.nan

    def at(self, u: float) -> float:
        """S(u): the share of cases still waiting after waiting u days."""
        k = int(np.searchsorted(self.times, u, side="right"))
        return 1.0 if k == 0 else float(self.survival[k - 1])


def kaplan_meier(
    durations: np.ndarray,
    observed: np.ndarray,
    entry: np.ndarray | None = None,
    weights: np.ndarray | None = None,
) -> SurvivalCurve:
    """The product-limit estimate of the wait distribution.

    ``durations``: wait (started) or time waited so far (censored), per case;
    ``observed``: True where the case was started (an event), False where censored;
    ``entry``: the wait at which each case entered observation (0 unless left-truncated);
    ``weights``: how much each case counts (1 unless it is only expected to join the queue,
    :mod:`model.engine.reach`); deaths and risk sets are then sums of weights."""
    durations = np.asarray(durations, dtype=float)
    observed = np.asarray(observed, dtype=bool)
    entry = np.zeros_like(durations) if entry is None else np.asarray(entry, dtype=float)
    weights = np.ones_like(durations) if weights is None else np.asarray(weights, dtype=float)
    if not durations.shape == observed.shape == entry.shape == weights.shape:
        raise ValueError("durations, observed, entry and weights must have the same length")
    total = float(weights.sum())
    censored = float(weights[~observed].sum())
    keep = observed & (weights > 0)
    times, inverse = np.unique(durations[keep], return_inverse=True)
    if times.size == 0:
        return SurvivalCurve(times, np.empty(0), total, censored)
    deaths = np.bincount(inverse, weights=weights[keep], minlength=times.size)
    # At risk at u: entry <= u <= exit, i.e. weight with entry <= u less weight with exit < u
    # (every case has entry <= exit).
    by_entry = np.argsort(entry, kind="stable")
    entered = np.concatenate(([0.0], np.cumsum(weights[by_entry])))[
        np.searchsorted(entry[by_entry], times, side="right")
    ]
    by_exit = np.argsort(durations, kind="stable")
    left = np.concatenate(([0.0], np.cumsum(weights[by_exit])))[
        np.searchsorted(durations[by_exit], times, side="left")
    ]
    at_risk = entered - left
    survival = np.cumprod(1.0 - deaths / at_risk)
    return SurvivalCurve(times, np.clip(survival, 0.0, 1.0), total, censored)


def quantile_reason(curve: SurvivalCurve, p: float) -> str:
    """Why the p-quantile is undefined (empty string when it is defined)."""
    if curve.n == 0:
        return "no case entered the queue"
    if not math.isnan(curve.quantile(p)):
        return ""
    lowest = float(curve.survival[-1]) if curve.survival.size else 1.0
    return (
        f"the estimate never falls to {1 - p:.0%} not yet started (lowest {lowest:.0%}): "
        f"{curve.censored:.0f} of {curve.n:.0f} cases were still waiting at the end"
    )
