"""Analytic queueing results the engine is checked against (and staffing starts from).

Notation: arrival rate ``lam``, service rate per server ``mu``, ``c`` servers,
offered load ``a = lam / mu``, utilisation ``rho = a / c``.
"""

from __future__ import annotations

import math


def erlang_c(c: int, a: float) -> float:
    """Probability an arrival waits in M/M/c (Erlang C); 1 if the system is unstable."""
    from scipy import special  # on first use: importing this module stays cheap

    if c <= 0 or a >= c:
        return 1.0
    # Stable form: ratio of Poisson terms avoids factorial overflow for large c.
    log_terms = [k * math.log(a) - special.gammaln(k + 1) for k in range(c)] if a > 0 else [0.0]
    top = c * math.log(a) - special.gammaln(c + 1) if a > 0 else -math.inf
    peak = max(max(log_terms), top)
    below = sum(math.exp(t - peak) for t in log_terms)
    tail = math.exp(top - peak) * c / (c - a)
    return tail / (below + tail)


def mmc_mean_wait(lam: float, mu: float, c: int) -> float:
    """Mean time in queue, M/M/c."""
    a = lam / mu
    if a >= c:
        return math.inf
    return erlang_c(c, a) / (c * mu - lam)


def mmc_p_wait_within(lam: float, mu: float, c: int, t: float) -> float:
    """P(wait <= t), M/M/c, FIFO."""
    a = lam / mu
    if a >= c:
        return 0.0
    return 1.0 - erlang_c(c, a) * math.exp(-(c * mu - lam) * t)


def priority_mm1_waits(lams: list[float], mu: float) -> list[float]:
    """Mean wait per class in a non-preemptive M/M/1 with classes in priority order (Cobham)."""
    w0 = sum(lam / mu**2 for lam in lams)  # mean residual work: sum lam_i E[S^2] / 2
    waits, sigma = [], 0.0
    for lam in lams:
        before = sigma
        sigma += lam / mu
        waits.append(w0 / ((1 - before) * (1 - sigma)))
    return waits


def mg1_mean_wait(lam: float, mean_service: float, second_moment: float) -> float:
    """Pollaczek-Khinchine mean wait in queue for M/G/1."""
    rho = lam * mean_service
    if rho >= 1:
        return math.inf
    return lam * second_moment / (2 * (1 - rho))
