"""Staff effort per case, derived from service times and the staffing history.

The extract says when work on a case started and finished, not how many staff-hours it
took. In the engine a case in service at a staffed stage is worked by one person at the
role's casework rate (``casework_hours_per_day``) until its effort is done, and then
waits on external delays (IOPC, forensics) holding nobody. So the service time the
extract shows is work plus delays, and the split between them, the *touch share* of a
stage, is what must be assumed. A stage's effort is then its fitted service-time
distribution scaled by ``touch share x hours per day`` (same family and spread), and
the rest of its service time, ``1 - touch share``, is an external delay.

**The assumptions (parameters):**

* ``--touch-share STAGE=K`` fixes a stage's touch share. With a template, a stage that
  the template gives external delays gets, by default, the template's own work share:
  mean effort time / (mean effort time + expected delays).
* for every other stage, ``--utilisation u``: a share *u* of the role's available
  casework time over the window went on the extract's cases, spread over the cases in
  service in proportion to their time in service. What the fixed stages use comes off
  first; then for the role's other stages

      touch share = min(1, (u x FTE-days - fixed stages' work days) / their case-days)

  ``1`` means staff were busy with a case for its whole service time (no delays), which
  is exact for engine data without delays; less means cases spent part of their service
  time waiting on others. The FTE-days come from ``staffing.csv`` (or the template's FTE
  when there is no staffing file).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np

from calibration.wording import Message
from model.engine.staff import server_weights


@dataclass(frozen=True)
class FteHistory:
    """A role's FTE as a step function of days since the window start."""

    days: tuple[float, ...]
    fte: tuple[float, ...]

    def value_at(self, day: float) -> float:
        index = int(np.searchsorted(np.asarray(self.days), day, side="right")) - 1
        return self.fte[max(index, 0)]

    def server_days(self, start: float, end: float) -> float:
        """Integral of the number of people (a fractional FTE is one part-timer) over
        [start, end]: the engine's servers (``model.engine.staff.server_weights``)."""
        if end <= start:
            return 0.0
        points = [start, *[d for d in self.days if start < d < end], end]
        return float(
            sum(
                len(server_weights(self.value_at(a))) * (b - a)
                for a, b in itertools.pairwise(points)
            )
        )

    def fte_days(self, start: float, end: float) -> float:
        """Integral of FTE over [start, end]; before the first row its FTE applies."""
        if end <= start:
            return 0.0
        points = [start, *[d for d in self.days if start < d < end], end]
        return float(sum(self.value_at(a) * (b - a) for a, b in itertools.pairwise(points)))


@dataclass
class RoleEffort:
    """The derivation for one role, shown in the report and in the scenario comments."""

    role: str
    hours_per_day: float
    utilisation: float
    fte_days: float
    case_days: float
    touch: dict[str, float]
    """Stage -> touch share."""
    basis: dict[str, str]
    """Stage -> where its touch share came from."""

    @property
    def stages(self) -> list[str]:
        return list(self.touch)

    @property
    def full_touch_utilisation(self) -> float:
        """The utilisation implied if staff worked cases for their whole service time."""
        return self.case_days / self.fte_days if self.fte_days > 0 else math.inf

    @property
    def implied_utilisation(self) -> float:
        """The utilisation the derived effort implies (work days / server-days)."""
        days = self.server_days or self.fte_days
        if days <= 0:
            return math.nan
        return self.work_days / days

    work_days: float = 0.0
    speed: float = 1.0
    """FTE-days / server-days: the mean rate of the role's people as the engine runs them
    (a 0.5 FTE works at half rate). A case's time in the hands of one person is converted
    to staff-hours at this rate, so a part-timer's slower cases are not counted as more
    work and then slowed again by the engine (the fractional-FTE double slowing)."""
    server_days: float = 0.0
    period_factors: list[tuple[float, float, float]] = field(default_factory=list)
    """(start day, end day, factor): periods whose touch shares the history matching moved
    by ``factor`` on top of ``touch`` (``history_match.py``, per period)."""

    def explanation(self, stage: str) -> str:
        rate = "" if self.speed == 1.0 else f" at the role's mean rate {self.speed:.3f} per person"
        return (
            f"touch share {self.touch[stage]:.3f} ({self.basis[stage]}); "
            f"{self.hours_per_day:.2f} casework hours per FTE per day{rate}"
        )


class EffortError(ValueError):
    """A stage whose effort cannot be derived (its role had no staff in the window)."""


def case_days_in_service(started: np.ndarray, finished: np.ndarray, window_days: float) -> float:
    """Total time visits spent in service within the window (open visits up to as-of)."""
    started = np.asarray(started, dtype=float)
    finished = np.asarray(finished, dtype=float)
    keep = np.isfinite(started)
    end = np.where(np.isfinite(finished[keep]), finished[keep], window_days)
    return float(np.sum(np.clip(np.minimum(end, window_days) - started[keep], 0.0, None)))


def derive_role_effort(
    role: str,
    stages: list[str],
    case_days: dict[str, float],
    history: FteHistory,
    hours_per_day: float,
    utilisation: float,
    window_days: float,
    fixed: dict[str, tuple[float, str]] | None = None,
) -> RoleEffort:
    """Touch shares of one role's stages (see the module docstring).

    ``fixed``: stage -> (touch share, basis) for stages whose share is given."""
    fixed = {s: v for s, v in (fixed or {}).items() if s in stages}
    available = history.fte_days(0.0, window_days)
    servers = history.server_days(0.0, window_days)
    total = float(sum(case_days[s] for s in stages))
    if available <= 0 and total > 0:
        raise EffortError(
            Message(
                "fit_messages.no_fte", role=role, stages=", ".join(stages), days=f"{total:,.0f}"
            )
        )
    touch: dict[str, float] = {}
    basis: dict[str, str] = {}
    for stage, (share, why) in fixed.items():
        touch[stage], basis[stage] = share, why
    rest = [s for s in stages if s not in fixed]
    # Busy time is counted in people's days (a part-timer is busy with a case for the
    # whole of its slower service), so the budget is the people's days, not the FTE-days.
    budget = utilisation * servers - sum(touch[s] * case_days[s] for s in fixed)
    rest_days = float(sum(case_days[s] for s in rest))
    if rest and rest_days > 0 and budget <= 0:
        raise EffortError(
            Message(
                "fit_messages.touch_budget",
                role=role,
                fixed=", ".join(fixed),
                utilisation=f"{utilisation:g}",
                days=f"{available:,.0f}",
                rest=", ".join(rest),
            )
        )
    share = 1.0 if rest_days <= 0 else min(1.0, budget / rest_days)
    why = Message(
        "fit_messages.basis_assumed_fixed" if fixed else "fit_messages.basis_assumed",
        utilisation=f"{utilisation:g}",
        people=f"{servers:,.0f}",
        days=f"{rest_days:,.0f}",
    )
    for stage in rest:
        touch[stage], basis[stage] = share, why
    effort = RoleEffort(role, hours_per_day, utilisation, available, total, touch, basis)
    effort.work_days = float(sum(touch[s] * case_days[s] for s in stages))
    effort.server_days = servers
    effort.speed = available / servers if servers > 0 else 1.0
    return effort


def template_touch_share(
    effort_mean_hours: float, hours_per_day: float, delays: list[tuple[float, float]]
) -> float:
    """A template stage's work share: effort time / (effort time + expected delays).

    ``delays``: (probability, mean days) of each external delay."""
    work = effort_mean_hours / hours_per_day
    waiting = sum(p * mean for p, mean in delays)
    return work / (work + waiting) if work + waiting > 0 else 1.0
