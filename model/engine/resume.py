"""Open cases resume, not restart: the time still to run for a case already in service.

A case in progress at the start of a run (a scenario's ``initial_backlog``, or a
backtest's cut) has already spent ``a`` days in its stage. Drawing its whole stay afresh
makes long-open cases look new, and over-predicts how many are still open weeks later
(the longest cases are the ones most likely to be open at any moment: length-biased).
So, when the backlog entry gives each case's time in service (``in_service_days``),
its stay in the stage is drawn from the stage's own stay model *conditional on
exceeding a*, and only the remainder is simulated.

In the engine a stay in service is one person's work, ``effort / casework hours per
day``, followed by the stage's external delays in order (each taken with its
probability). Conditioning that sum on ``> a`` is done exactly by rejection: draw whole
stays until one exceeds ``a`` and keep what is left of each phase (work first, then the
delays). When the stay has a single phase (work only, or one certain delay), the
family's own exact tail sampler (:meth:`model.distributions._Dist.sample_remaining`)
is used instead. If no candidate of ``MAX_CANDIDATES`` exceeds ``a`` (an age beyond
anything the model produces), the phase with the largest mean is conditioned on the
whole age and the later phases run in full: an approximation, stated in
docs/calibration.md.

Who the open cases are matters as much as how long they have been open: the cases open
at a date are not a sample of the arrival mix (a priority queue has served its
high-priority cases, APSP ones among them, first). A backlog entry may fix the
category, APSP flag and priority of its cases (:func:`backlog_mix`), and the calibration
writes one entry per combination it found open.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from model.distributions import Distribution

if TYPE_CHECKING:
    from model.scenario.contract import AttributeMix, BacklogEntry

BATCH = 256
"""Candidate stays drawn at a time when conditioning by rejection."""
MAX_CANDIDATES = 16 * BATCH
"""Candidates tried before the approximation for ages beyond the modelled tail."""


@dataclass(frozen=True)
class Resumed:
    """What is left of an open case's stay: work (staff-hours) and each delay (days)."""

    hours: float
    delays: tuple[float, ...]


@dataclass(frozen=True)
class StayPhase:
    """One phase of a stay: its duration (days) is ``scale x dist`` with ``probability``."""

    dist: Distribution
    scale: float
    probability: float


def remaining_stay(phases: list[StayPhase], age: float, rng: np.random.Generator) -> list[float]:
    """Days left in each phase of a stay known to exceed ``age`` (the hook's core).

    ``phases`` run one after another (the work phase first when the stage is staffed)."""
    if not phases:
        return []
    if age <= 0:
        return [_draw_phase(p, rng, 1)[0] for p in phases]
    certain = [i for i, p in enumerate(phases) if p.probability >= 1.0]
    if len(phases) == 1 and certain:
        p = phases[0]
        return [p.scale * float(p.dist.sample_remaining(rng, np.array([age / p.scale]))[0])]
    for _ in range(MAX_CANDIDATES // BATCH):
        draws = np.column_stack([_draw_phase(p, rng, BATCH) for p in phases])
        ok = np.flatnonzero(draws.sum(axis=1) > age)
        if ok.size:
            return _left_after(draws[ok[0]], age)
    # Beyond the modelled tail: condition the longest phase on the whole age.
    k = int(np.argmax([p.scale * p.dist.mean() * p.probability for p in phases]))
    out = [0.0] * len(phases)
    p = phases[k]
    out[k] = p.scale * float(p.dist.sample_remaining(rng, np.array([age / p.scale]))[0])
    for j in range(k + 1, len(phases)):
        out[j] = float(_draw_phase(phases[j], rng, 1)[0])
    return out


def _draw_phase(phase: StayPhase, rng: np.random.Generator, size: int) -> np.ndarray:
    taken = rng.random(size) < phase.probability
    return np.where(taken, phase.scale * phase.dist.sample(rng, size), 0.0)


def _left_after(durations: np.ndarray, age: float) -> list[float]:
    """What remains of consecutive phases after ``age`` days have passed."""
    ends = np.cumsum(durations)
    starts = ends - durations
    return [float(v) for v in np.clip(ends - np.maximum(starts, age), 0.0, None)]


def resume_open_case(
    effort: Distribution | None,
    hours_per_day: float | None,
    delays: list[tuple[Distribution, float]],
    age: float,
    rng: np.random.Generator,
) -> Resumed:
    """The engine's hook: remaining effort and delays of a case ``age`` days into service.

    ``effort``/``hours_per_day``: the stage's effort and its role's casework hours per
    day (``None`` for a stage with no role); ``delays``: (duration, probability) of each
    external delay that applies to the case, in the stage's order."""
    phases = []
    if effort is not None and hours_per_day:
        phases.append(StayPhase(effort, 1.0 / hours_per_day, 1.0))
    phases.extend(StayPhase(d, 1.0, p) for d, p in delays)
    left = remaining_stay(phases, age, rng)
    if effort is not None and hours_per_day:
        return Resumed(left[0] * hours_per_day, tuple(left[1:]))
    return Resumed(0.0, tuple(left))


def backlog_mix(mix: AttributeMix, entry: BacklogEntry) -> AttributeMix:
    """The mix a backlog entry's cases are drawn from: the source's, with the attributes
    the entry fixes (``category``, ``apsp``, ``priority``) made certain. An entry that
    fixes none gets the source's own mix object, so its draws are unchanged."""
    update: dict = {}
    if entry.category is not None:
        update["category"] = {entry.category: 1.0}
    if entry.apsp is not None:
        update["apsp_probability"] = 1.0 if entry.apsp else 0.0
        update["apsp_probability_by_category"] = {}
    if entry.priority is not None:
        update["priority"] = {entry.priority: 1.0}
        update["apsp_priority"] = None
    return mix.model_copy(update=update) if update else mix
