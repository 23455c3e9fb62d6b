"""Fitted values with their intervals, and the small statistical tools every fit shares.

Every number calibration writes into a scenario is a :class:`Fitted`: the estimate, its
confidence interval, the sample size behind it and the method, so the scenario file can
say in a comment where each value came from. The interval helpers are textbook
formulas kept in one place so arrivals, mixes and durations state their intervals the
same way.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Fitted:
    """An estimate with its two-sided confidence interval, sample size and method."""

    value: float
    low: float
    high: float
    n: int
    what: str = ""
    """What ``n`` counts (e.g. 'referrals', 'finished visits')."""
    method: str = ""

    def interval_text(self, digits: int = 3) -> str:
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            return "CI not available"
        return f"CI {fmt(self.low, digits)} to {fmt(self.high, digits)}"

    def comment(self, confidence: float, digits: int = 3, prefix: str = "fitted") -> str:
        """One line for a YAML comment: estimate, CI, sample size, method."""
        level = f"{confidence:.0%}"
        parts = [f"{prefix} {fmt(self.value, digits)} ({level} {self.interval_text(digits)})"]
        parts.append(f"n={self.n}{' ' + self.what if self.what else ''}")
        if self.method:
            parts.append(self.method)
        return "; ".join(parts)

    def contains(self, x: float) -> bool:
        return self.low <= x <= self.high

    def scaled(self, factor: float) -> Fitted:
        lo, hi = sorted((self.low * factor, self.high * factor))
        return Fitted(self.value * factor, lo, hi, self.n, self.what, self.method)


def fmt(x: float, digits: int = 3) -> str:
    """A compact number for comments and tables: significant digits, no exponent clutter."""
    if x is None or not math.isfinite(x):
        return "-"
    if abs(x) < 1e-12:
        return "0"
    if abs(x) < 1e-4:
        return f"{x:.{max(digits - 1, 0)}e}"
    magnitude = math.floor(math.log10(abs(x)))
    decimals = max(0, digits - 1 - magnitude)
    return f"{x:,.{min(decimals, 8)}f}"


def z_value(confidence: float) -> float:
    """The two-sided standard normal quantile for ``confidence``."""
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


def numeric_hessian(f: Callable[[np.ndarray], float], x: np.ndarray) -> np.ndarray:
    """Central-difference Hessian of a scalar function (for Wald intervals at an MLE).

    Steps scale with each coordinate (about the cube root of machine precision), which
    is the usual compromise between truncation and rounding error."""
    x = np.asarray(x, dtype=float)
    k = x.size
    h = 1e-4 * np.maximum(np.abs(x), 1.0)
    hess = np.empty((k, k))
    f0 = f(x)
    for i in range(k):
        ei = np.zeros(k)
        ei[i] = h[i]
        hess[i, i] = (f(x + ei) - 2.0 * f0 + f(x - ei)) / h[i] ** 2
        for j in range(i + 1, k):
            ej = np.zeros(k)
            ej[j] = h[j]
            value = (f(x + ei + ej) - f(x + ei - ej) - f(x - ei + ej) + f(x - ei - ej)) / (
                4.0 * h[i] * h[j]
            )
            hess[i, j] = hess[j, i] = value
    return hess


def hessian_from_gradient(
    gradient: Callable[[np.ndarray], np.ndarray], x: np.ndarray
) -> np.ndarray:
    """Hessian by central differences of an analytic gradient (2k gradient calls)."""
    x = np.asarray(x, dtype=float)
    k = x.size
    h = 1e-5 * np.maximum(np.abs(x), 1.0)
    hess = np.empty((k, k))
    for j in range(k):
        step = np.zeros(k)
        step[j] = h[j]
        hess[:, j] = (gradient(x + step) - gradient(x - step)) / (2.0 * h[j])
    return (hess + hess.T) / 2.0


def covariance_from_hessian(hessian: np.ndarray) -> np.ndarray:
    """Inverse of the observed information (the Hessian of the negative log-likelihood).

    A singular or indefinite information matrix (a parameter at a boundary, too few
    data) gives infinite variances rather than a misleadingly narrow interval."""
    try:
        cov = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return np.full(hessian.shape, np.inf)
    diagonal = np.diag(cov)
    if not np.all(np.isfinite(diagonal)) or np.any(diagonal <= 0):
        bad = ~np.isfinite(diagonal) | (diagonal <= 0)
        cov = cov.copy()
        cov[bad, :] = np.inf
        cov[:, bad] = np.inf
    return cov


def log_scale_interval(
    log_value: float, variance: float, confidence: float, n: int, what: str, method: str
) -> Fitted:
    """A positive quantity estimated on the log scale: exp of a Wald interval."""
    if math.isfinite(variance) and variance >= 0:
        half = z_value(confidence) * math.sqrt(variance)
        low, high = math.exp(log_value - half), math.exp(min(log_value + half, 700.0))
    else:
        low, high = 0.0, math.inf
    return Fitted(math.exp(log_value), low, high, n, what, method)


def delta_variance(gradient: np.ndarray, cov: np.ndarray) -> float:
    """Variance of a smooth function of the parameters by the delta method."""
    g = np.asarray(gradient, dtype=float)
    mask = g != 0
    if not mask.any():
        return 0.0
    sub = cov[np.ix_(mask, mask)]
    if not np.all(np.isfinite(sub)):
        return math.inf
    return float(g[mask] @ sub @ g[mask])


def goodman_intervals(
    counts: np.ndarray, confidence: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Simultaneous confidence intervals for multinomial proportions (Goodman 1965).

    Simultaneous, so "every probability in this routing table lies in its interval"
    holds at the stated confidence, not just each one on its own."""
    counts = np.asarray(counts, dtype=float)
    total = counts.sum()
    k = max(len(counts), 1)
    if total <= 0:
        nan = np.full(len(counts), np.nan)
        return nan, nan, nan
    a = float(stats.chi2.ppf(1.0 - (1.0 - confidence) / k, 1))
    p = counts / total
    spread = np.sqrt(a * (a + 4.0 * counts * (total - counts) / total))
    low = (a + 2.0 * counts - spread) / (2.0 * (total + a))
    high = (a + 2.0 * counts + spread) / (2.0 * (total + a))
    return p, np.clip(low, 0.0, 1.0), np.clip(high, 0.0, 1.0)


def wilson_interval(successes: float, trials: float, confidence: float) -> tuple[float, float]:
    """Wilson score interval for one proportion (sensible at 0 and at small n)."""
    if trials <= 0:
        return math.nan, math.nan
    z = z_value(confidence)
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    half = (
        z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / (1 + z * z / trials)
    )
    return max(0.0, centre - half), min(1.0, centre + half)


def g_test(table: np.ndarray) -> tuple[float, int, float]:
    """Likelihood-ratio (G) test of homogeneity of the rows of a contingency table.

    Returns (statistic, degrees of freedom, p-value); columns empty in every row drop
    out, so a destination nobody reached does not add a degree of freedom."""
    table = np.asarray(table, dtype=float)
    table = table[:, table.sum(axis=0) > 0]
    table = table[table.sum(axis=1) > 0]
    if table.shape[0] < 2 or table.shape[1] < 2:
        return 0.0, 0, 1.0
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(table > 0, table * np.log(table / expected), 0.0)
    statistic = 2.0 * float(terms.sum())
    dof = (table.shape[0] - 1) * (table.shape[1] - 1)
    return statistic, dof, float(stats.chi2.sf(statistic, dof))
