"""Effort per period: a go-live or an uplift can change the work a case needs.

One effort per stage averages the periods of the window: where a go-live brought a
different kind of case, or a new way of working changed the work, the average is too high
in one period and too low in the other, and a replay of either period misses. So the
window is split into *periods* at the change points the fit already knows (each source's
arrival change point, each change of FTE in ``staffing.csv``), the stage's service time is
fitted in each period separately (visits by the day they started, the pooled fit's family,
right-censored as before), and the effort follows each period's service time (times the
role's mean rate per person in that period, see ``effort.py``).

**Material or not.** Each boundary between two periods is kept only when the two periods'
effort means differ by more than ``MATERIAL_CHANGE`` *and* by more than chance: a
two-sided Wald test on the difference of the log means (their standard errors from each
fit's interval) at level ``--alpha``, Bonferroni-corrected over the boundaries. Otherwise
the periods are merged, and where no boundary is kept the stage keeps one effort (its
pooled fit, as before). A period with fewer than ``MIN_FINISHED`` finished visits is
merged into the one before it (too few to tell anything apart).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from calibration.arrivals import ArrivalFit
from calibration.durations import DurationFit, DurationFitError, fit_duration, mle
from calibration.effort import FteHistory
from calibration.estimates import z_value
from calibration.extract import Extract
from calibration.structure import service_durations
from model.engine.sources import DAYS_PER_WEEK

MATERIAL_CHANGE = 0.10
"""Smallest relative change of a stage's effort mean between periods that is written as an
effort change. Basis: assumption; a change under 10% is within what one effort per stage
already gets wrong through the touch-share split, and not worth a schedule."""
MIN_FINISHED = 20
"""Fewest finished visits a period needs for a fit of its own (assumption: fewer give a
mean too uncertain to tell a real change from chance)."""
MIN_PERIOD_WEEKS = 4
"""Periods shorter than this are merged into their neighbour (a change point found within
weeks of another, or of the window's edge, cannot be told apart from it)."""


def change_days(
    extract: Extract, arrivals: Iterable[ArrivalFit], *, found_only: bool = False
) -> list[float]:
    """The days (from the window start, inside the window) where the work may have changed:
    each change of FTE in ``staffing.csv`` and each source's arrival change point, sorted.
    ``found_only``: only the change points the scan found (not given, not staffing), whose
    date is itself an estimate. One list for the effort periods and the history matching."""
    window = extract.window_days
    days: set[float] = set()
    if extract.staffing is not None and not found_only:
        days.update(float(d) for d in extract.staffing["from_day"] if 0 < d < window)
    for fit in arrivals:
        if fit.change is None or (found_only and fit.change.known):
            continue
        day = float((fit.change.date - extract.window_start).days)
        if 0 < day < window:
            days.add(day)
    return sorted(days)


def period_weeks(cut_days: list[float], n_weeks: int) -> list[tuple[int, int]]:
    """Week ranges between the cut days (days from the window start), short ones merged."""
    weeks = sorted({round(c / DAYS_PER_WEEK) for c in cut_days} | {0, n_weeks})
    spans: list[tuple[int, int]] = []
    for a, b in itertools.pairwise(weeks):
        if spans and b - a < MIN_PERIOD_WEEKS:
            spans[-1] = (spans[-1][0], b)
        elif b - a >= 1:
            spans.append((a, b))
    if len(spans) > 1 and spans[0][1] - spans[0][0] < MIN_PERIOD_WEEKS:
        spans[1] = (spans[0][0], spans[1][1])
        spans.pop(0)
    return spans


@dataclass
class EffortPeriod:
    """One period of a stage whose effort changes: its service-time fit and mean rate."""

    start_day: float
    end_day: float
    date: dt.date
    """The calendar date the period starts (the effort change's date)."""
    service: DurationFit
    speed: float
    """FTE-days / people's days of the role in the period (``RoleEffort.speed``)."""

    def effort_mean(self, touch: float, hours_per_day: float) -> float:
        """Mean staff-hours per case in the period."""
        return self.service.mean_days * touch * hours_per_day * self.speed


def _speed(history: FteHistory | None, start: float, end: float) -> float:
    if history is None:
        return 1.0
    people = history.server_days(start, end)
    return history.fte_days(start, end) / people if people > 0 else 1.0


def _log_se(fit: DurationFit) -> float:
    """Standard error of the log mean, from the fit's interval."""
    mean = fit.chosen.mean
    if mean is None or not (mean.low > 0 and math.isfinite(mean.high)):
        return math.inf
    z = z_value(fit.confidence)
    return (math.log(mean.high) - math.log(mean.low)) / (2 * z)


def _fit(rows: pd.DataFrame, label: str, window: float, family: str, confidence: float):
    data = service_durations(rows, window)
    if data.events < MIN_FINISHED:
        return None
    try:
        return fit_duration(label, data, confidence, "started visits", family, with_km=False)
    except DurationFitError:
        return None


def stage_periods(
    stage: str,
    rows: pd.DataFrame,
    spans: list[tuple[float, float]],
    window_start: dt.date,
    window_days: float,
    family: str,
    history: FteHistory | None,
    confidence: float,
    alpha: float,
    boundaries: tuple[float, ...] | None = None,
    movable: frozenset[float] = frozenset(),
) -> tuple[list[EffortPeriod], list[EffortPeriod]]:
    """The stage's effort periods (empty: one effort is enough; see the module docstring),
    and the candidate periods' own fits (what the report shows to explain the choice).

    ``spans``: (start day, end day) of the candidate periods; ``boundaries``: the start days
    to keep without testing (a bootstrap refit keeps the calibration's periods);
    ``movable``: span starts that come from a *found* change point, whose date is itself an
    estimate: a kept one moves to the week that best splits the service times."""
    started = rows["started"].to_numpy(dtype=float)

    def fit_span(a: float, b: float) -> EffortPeriod | None:
        inside = (started >= a) & (started < b)
        fit = _fit(
            rows.loc[inside], f"{stage} service from day {a:g}", window_days, family, confidence
        )
        if fit is None:
            return None
        date = window_start + dt.timedelta(days=round(a))
        return EffortPeriod(a, b, date, fit, _speed(history, a, b))

    if boundaries is not None:
        starts = [0.0, *boundaries]
        ends = [*boundaries, window_days]
        periods = [p for p in (fit_span(a, b) for a, b in zip(starts, ends, strict=True)) if p]
        return (periods if len(periods) > 1 else []), []
    candidates: list[EffortPeriod] = []
    for a, b in spans:
        period = fit_span(a, b)
        if period is None:  # too few finished visits: part of the period before
            if candidates:
                candidates[-1] = fit_span(candidates[-1].start_day, b) or candidates[-1]
            continue
        candidates.append(period)
    if len(candidates) < 2:
        return [], candidates
    z = z_value(1 - alpha / (len(candidates) - 1))  # two-sided, Bonferroni over boundaries
    keep = [0.0]  # the first period starts with the window, whatever was merged
    for before, after in itertools.pairwise(candidates):
        x = math.log(after.service.mean_days * after.speed) - math.log(
            before.service.mean_days * before.speed
        )
        se = math.hypot(_log_se(before.service), _log_se(after.service))
        if abs(x) > math.log1p(MATERIAL_CHANGE) and abs(x) > z * se:
            keep.append(after.start_day)
    if len(keep) < 2:
        return [], candidates
    for i in range(1, len(keep)):
        if keep[i] in movable:
            end = keep[i + 1] if i + 1 < len(keep) else window_days
            keep[i] = _best_boundary(rows, started, keep[i - 1], keep[i], end, window_days, family)
    ends = [*keep[1:], window_days]
    fitted = {(p.start_day, p.end_day): p for p in candidates}  # an unmoved span: same fit
    blocks = [fitted.get((a, b)) or fit_span(a, b) for a, b in zip(keep, ends, strict=True)]
    if any(b is None for b in blocks):
        return [], candidates
    return [b for b in blocks if b is not None], candidates


SEARCH_WEEKS = 13
"""How far (weeks) a boundary from a found change point may move to where the service time
changed: a found change date's interval is typically a few weeks wide (a quarter either way
covers it)."""


def _loglik(rows: pd.DataFrame, window: float, family: str) -> float:
    data = service_durations(rows, window)
    if data.events < MIN_FINISHED:
        return -math.inf
    found = mle(family, data)
    return -math.inf if found is None else found[1]


def _best_boundary(
    rows: pd.DataFrame,
    started: np.ndarray,
    start: float,
    day: float,
    end: float,
    window: float,
    family: str,
) -> float:
    """The week within ``SEARCH_WEEKS`` of ``day`` (leaving ``MIN_PERIOD_WEEKS`` each side)
    where splitting the service times in two gives the largest likelihood."""
    low = start + MIN_PERIOD_WEEKS * DAYS_PER_WEEK
    high = end - MIN_PERIOD_WEEKS * DAYS_PER_WEEK
    best, best_ll = day, -math.inf
    for k in range(-SEARCH_WEEKS, SEARCH_WEEKS + 1):
        c = day + k * DAYS_PER_WEEK
        if not low <= c <= high:
            continue
        before = (started >= start) & (started < c)
        after = (started >= c) & (started < end)
        ll = _loglik(rows.loc[before], window, family) + _loglik(rows.loc[after], window, family)
        if ll > best_ll:
            best, best_ll = c, ll
    return best


def candidate_spans(cut_days: list[float], window_days: float) -> list[tuple[float, float]]:
    """(start day, end day) of the periods between the cuts; the last ends at the as-of time."""
    n_weeks = math.floor(window_days / DAYS_PER_WEEK)
    spans = period_weeks(cut_days, n_weeks)
    days = [(a * DAYS_PER_WEEK, b * DAYS_PER_WEEK) for a, b in spans]
    if days:
        days[-1] = (days[-1][0], window_days)
    return days


def boundaries_of(periods: list[EffortPeriod]) -> tuple[float, ...]:
    """The start days of the periods after the first (what a bootstrap refit keeps)."""
    return tuple(p.start_day for p in periods[1:])


@dataclass
class EffortSegment:
    """A stretch of the window with one effort: its service-time fit, rate and touch factor."""

    start_day: float
    date: dt.date
    service: DurationFit
    speed: float
    factor: float
    """Multiplies the stage's touch share in this stretch (1: the matched one)."""


def effort_segments(
    periods: list[EffortPeriod],
    factors: list[tuple[float, float, float]],
    service: DurationFit,
    speed: float,
    window_start: dt.date,
    window_days: float,
) -> list[EffortSegment]:
    """The stage's schedule: a new segment wherever its service period or its role's touch
    factor changes (``factors``: (start day, end day, factor) from the history matching).
    Without periods or factors: one segment, the pooled fit."""
    days = {0.0} | {p.start_day for p in periods[1:]}
    for start, end, _ in factors:
        days |= {start, end}
    segments: list[EffortSegment] = []
    for day in sorted(d for d in days if 0 <= d < window_days):
        own = [p for p in periods if p.start_day <= day]
        fit, rate = (own[-1].service, own[-1].speed) if own else (service, speed)
        factor = next((g for a, b, g in factors if a <= day < b), 1.0)
        if segments and segments[-1].service is fit and segments[-1].factor == factor:
            continue
        date = window_start + dt.timedelta(days=round(day))
        segments.append(EffortSegment(day, date, fit, rate, factor))
    return segments
