"""Referral streams: rates over time, over-dispersion, monitoring rollout.

Arrivals are sampled exactly for a non-homogeneous Poisson process whose
rate is constant within each day: the count in a day is Poisson with mean
rate x 1 day (midpoint of the day), and the arrivals are spread uniformly
within it. Every modifier changes at day boundaries (dates) or smoothly
(ramps, logistic), so the daily resolution errs by well under a day's
arrivals. With ``burst_cv`` > 0 the rate in each burst period is multiplied
by a gamma variable with mean 1 (a gamma-Poisson, i.e. negative binomial,
count), which is what bursty demand looks like in weekly data.

All draws for a source happen in a few vectorised numpy calls per
replication: drawing one arrival at a time is what makes simulators slow.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from model.scenario import (
    CATEGORIES,
    PRIORITIES,
    AttributeMix,
    LogisticModifier,
    MonitoringSource,
    RampModifier,
    RateSource,
    Scenario,
    SeasonalModifier,
    StepModifier,
    days_from_start,
)

DAYS_PER_WEEK = 7.0
DAYS_PER_YEAR = 365.0


def _months(scenario: Scenario, t: np.ndarray) -> np.ndarray:
    """Calendar month index (0 = January) of clock times ``t``."""
    origin = np.datetime64(scenario.start_date, "D") - np.timedelta64(
        int(scenario.warmup_days), "D"
    )
    dates = origin + np.floor(t).astype("timedelta64[D]")
    return dates.astype("datetime64[M]").astype(int) % 12


def devices_covered(source: MonitoringSource, scenario: Scenario, t: np.ndarray) -> np.ndarray:
    """Devices covered at clock times ``t`` under the rollout schedule."""
    start = days_from_start(scenario, scenario.start_date)
    times = [start] + [days_from_start(scenario, step.date) for step in source.rollout]
    counts = [source.devices_covered] + [step.devices for step in source.rollout]
    if source.rollout_shape == "linear":
        return np.interp(t, times, counts)
    index = np.searchsorted(np.asarray(times), t, side="right") - 1
    return np.asarray(counts)[np.clip(index, 0, None)]


def rate_per_day(
    source: RateSource | MonitoringSource, scenario: Scenario, t: np.ndarray
) -> np.ndarray:
    """The source's expected referrals per day at clock times ``t`` (before bursts)."""
    t = np.asarray(t, dtype=float)
    if isinstance(source, MonitoringSource):
        rate = devices_covered(source, scenario, t) * source.alerts_per_device_per_week
    else:
        rate = np.full_like(t, source.rate_per_week)
    rate = rate / DAYS_PER_WEEK
    for modifier in source.modifiers:
        rate = rate * _multiplier(modifier, scenario, t)
    return rate


def _multiplier(modifier, scenario: Scenario, t: np.ndarray) -> np.ndarray:
    if isinstance(modifier, StepModifier):
        return np.where(t >= days_from_start(scenario, modifier.date), modifier.factor, 1.0)
    if isinstance(modifier, RampModifier):
        start = days_from_start(scenario, modifier.start)
        end = days_from_start(scenario, modifier.end)
        return np.interp(t, [start, end], [1.0, modifier.factor])
    if isinstance(modifier, LogisticModifier):
        midpoint = days_from_start(scenario, modifier.midpoint)
        k = modifier.growth_per_year / DAYS_PER_YEAR
        span = modifier.to_factor - modifier.from_factor
        return modifier.from_factor + span / (1.0 + np.exp(-k * (t - midpoint)))
    if isinstance(modifier, SeasonalModifier):
        return np.asarray(modifier.monthly)[_months(scenario, t)]
    raise TypeError(f"unknown modifier {modifier!r}")  # pragma: no cover - schema forbids


def day_edges(total_days: float) -> np.ndarray:
    """Bin edges of whole days from 0 to ``total_days`` (the last bin may be partial)."""
    edges = np.arange(0.0, np.ceil(total_days) + 1.0)
    edges[-1] = total_days
    return edges[: np.searchsorted(edges, total_days) + 1]


def expected_counts(
    source: RateSource | MonitoringSource, scenario: Scenario, edges: np.ndarray
) -> np.ndarray:
    """Expected arrivals in each bin: rate at the bin's midpoint x its width."""
    widths = np.diff(edges)
    return rate_per_day(source, scenario, edges[:-1] + widths / 2.0) * widths


def sample_arrival_times(
    source: RateSource | MonitoringSource,
    scenario: Scenario,
    total_days: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Sorted arrival times in [0, total_days) for one replication."""
    edges = day_edges(total_days)
    widths = np.diff(edges)
    mean = expected_counts(source, scenario, edges)
    if source.burst_cv > 0:
        shape = 1.0 / source.burst_cv**2
        midpoints = edges[:-1] + widths / 2.0
        period = np.floor(midpoints / source.burst_period_days).astype(int)
        bursts = rng.gamma(shape, 1.0 / shape, period[-1] + 1 if len(period) else 0)
        mean = mean * bursts[period]
    counts = rng.poisson(mean)
    starts = np.repeat(edges[:-1], counts)
    times = starts + rng.random(starts.size) * np.repeat(widths, counts)
    times.sort()
    return times


@dataclass(frozen=True)
class Attributes:
    """Case attributes for a batch of referrals, as small integer codes."""

    category: np.ndarray  # index into CATEGORIES
    apsp: np.ndarray  # bool
    priority: np.ndarray  # index into PRIORITIES (0 = high)


def sample_attributes(mix: AttributeMix, size: int, rng: np.random.Generator) -> Attributes:
    """Category, APSP flag and priority for ``size`` referrals from one source."""
    category_p = np.array([mix.category.get(c, 0.0) for c in CATEGORIES])
    category = rng.choice(len(CATEGORIES), size=size, p=category_p / category_p.sum())
    apsp_p = np.array(
        [mix.apsp_probability_by_category.get(c, mix.apsp_probability) for c in CATEGORIES]
    )
    apsp = rng.random(size) < apsp_p[category]
    priority_p = np.array([mix.priority.get(p, 0.0) for p in PRIORITIES])
    priority = rng.choice(len(PRIORITIES), size=size, p=priority_p / priority_p.sum())
    if mix.apsp_priority is not None:
        priority = np.where(apsp, PRIORITIES.index(mix.apsp_priority), priority)
    return Attributes(category=category, apsp=apsp, priority=priority)


ARRIVAL_CHUNK = 4096
"""Arrivals are merged into one time-ordered feed this many (about) at a time."""


def merged_arrivals(
    times: list[np.ndarray], chunk: int = ARRIVAL_CHUNK
) -> Iterator[tuple[list[float], list[int], list[int]]]:
    """Every source's sorted arrival times in one time order, a chunk at a time.

    Yields (times, source numbers, positions within the source) as plain lists: the order
    of sorting the tuples (t, s, j), ties by source and then position. A chunk is every
    arrival up to and including a cut time (so ties never straddle two chunks), the cut
    being the ``chunk``-th next arrival of the source that reaches it first; merged with
    numpy per chunk, so the engine takes the next arrival by indexing lists, and memory
    holds one chunk, not the run's arrivals."""
    starts = [0] * len(times)
    while True:
        remaining = [(s, t) for s, t in enumerate(times) if starts[s] < len(t)]
        if not remaining:
            return
        ahead = [t[starts[s] + chunk] for s, t in remaining if starts[s] + chunk < len(t)]
        cut = min(ahead) if ahead else np.inf
        parts_t, parts_s, parts_j = [], [], []
        for s, t in remaining:
            end = int(np.searchsorted(t, cut, side="right"))
            parts_t.append(t[starts[s] : end])
            parts_s.append(np.full(end - starts[s], s))
            parts_j.append(np.arange(starts[s], end))
            starts[s] = end
        t_all, s_all, j_all = (np.concatenate(p) for p in (parts_t, parts_s, parts_j))
        order = np.lexsort((j_all, s_all, t_all))
        yield t_all[order].tolist(), s_all[order].tolist(), j_all[order].tolist()
