"""People who leave, rotate and learn: the posts of a role and who is in them, over time.

Without a ``turnover`` block a role's FTE is served by people who never leave
and are fully capable from their first day (:mod:`model.engine.staff`, driven
by the staffing plan). With one, the role's FTE (and its staffing plan) is
the **establishment**, the posts funded, and this module moves people in and
out of them:

* each post is filled by one person (a whole-time post, or one part-time
  post for the fraction, as :func:`model.engine.staff.server_weights`);
* a post-holder leaves after an exponential time (``leaving_rate_per_year``),
  or is rotated out at the end of a fixed tenure, whichever comes first;
  today's post-holders are part-way through their tenure (uniformly);
* a leaver finishes the task in hand (a notice period) and goes; the cases on
  their caseload are **handed over**: colleagues take them if their caseloads
  have room, otherwise they wait at the front of the caseload queue (they take
  the next places freed, before any new case); each hand-over is counted;
* the post stays vacant for the replacement lead time, then a new starter
  arrives (or, with ``replaced: false``, it stays vacant);
* a new starter ramps up: for each ``ramp_up`` step they work at a share of
  the full casework rate and carry a share of a full caseload.

Randomness: each post has its own named stream (``workforce:<role>:<k>``, the
k-th post of the role), so the same post sees the same leavers in two
scenarios that differ elsewhere (demand, other roles, more posts of this role):
common random numbers. Hand-over counts draw from ``workforce:<role>:handover``.

What is recorded: FTE in post, effective FTE (weight x current rate share) and
establishment as step functions of time, and leavers, starters and hand-overs
as events, integrated exactly over the reporting window, each week and each
financial year (April to March) at the end of the run.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Callable
from typing import Any

import numpy as np

from model.engine.sources import DAYS_PER_WEEK, DAYS_PER_YEAR
from model.engine.staff import FTE_EPSILON, CaseloadSlots, StaffPool, server_weights
from model.scenario import Role, Scenario, Turnover
from model.scenario.contract import DAYS_PER_MONTH

FY_START_MONTH = 4
"""Financial years run from 1 April to 31 March (UK public sector)."""

WORKFORCE_SERIES = ("fte_in_post", "fte_effective", "establishment")
"""Weekly series added to a replication's results when a role has turnover."""


def has_turnover(scenario: Scenario) -> bool:
    """Whether any role of the scenario has a turnover block."""
    return any(role.turnover is not None for role in scenario.roles.values())


def turnover_roles(scenario: Scenario) -> list[str]:
    return [name for name, role in scenario.roles.items() if role.turnover is not None]


def in_post_fraction(role: Role) -> float:
    """Long-run share of a post's time that it is filled (a renewal argument).

    A post cycles between a tenure (mean ``E[min(Exp(r), T)]``) and a vacancy of the
    replacement lead time L, so the share filled is E[tenure] / (E[tenure] + L); with no
    fixed tenure it is 1 / (1 + r L). Not replaced: 0 in the long run (returns 0 when anyone
    ever leaves)."""
    turnover = role.turnover
    if turnover is None:
        return 1.0
    rate = turnover.leaving_rate_per_year
    tenure = turnover.fixed_tenure_years
    if rate == 0 and tenure is None:
        return 1.0
    if not turnover.replaced:
        return 0.0
    mean_tenure = _mean_tenure_years(turnover)
    lead = replacement_lead_days(role) / DAYS_PER_YEAR
    return mean_tenure / (mean_tenure + lead)


def _mean_tenure_years(turnover: Turnover) -> float:
    """Mean time a post-holder stays: exponential leaving at ``r`` a year, cut at a fixed
    tenure ``T`` if any (E[min(X, T)] = (1 - exp(-r T)) / r). At least one of the two is
    set (callers return earlier when nobody ever leaves)."""
    rate = turnover.leaving_rate_per_year
    tenure = turnover.fixed_tenure_years
    if rate == 0:
        return tenure
    if tenure is None:
        return 1.0 / rate
    return (1.0 - math.exp(-rate * tenure)) / rate


def effective_fraction(role: Role) -> float:
    """Long-run effective FTE per post: the in-post share less what ramp-up costs.

    Each tenure loses sum(months x (1 - rate share)) of capacity to learning; over a mean
    cycle of (tenure + lead time) that is the share lost."""
    fraction = in_post_fraction(role)
    turnover = role.turnover
    if turnover is None or fraction in (0.0, 1.0) or not turnover.ramp_up:
        return fraction
    mean_tenure = _mean_tenure_years(turnover)
    lost = sum(s.months * (1.0 - s.rate_share) for s in turnover.ramp_up) / 12.0
    lead = replacement_lead_days(role) / DAYS_PER_YEAR
    return max(fraction - min(lost, mean_tenure) / (mean_tenure + lead), 0.0)


def replacement_lead_days(role: Role) -> float:
    turnover = role.turnover
    if turnover is not None and turnover.replacement_lead_time_days is not None:
        return turnover.replacement_lead_time_days
    return role.recruitment_lead_time_days


class _Person:
    __slots__ = ("active", "places_share", "post", "rate_share", "server", "start")

    def __init__(self, post: _Post, start: float) -> None:
        self.post = post
        self.start = start
        self.server: Any = None
        self.rate_share = 1.0
        self.places_share = 1.0
        self.active = True


class _Post:
    __slots__ = ("index", "open", "person", "rng", "weight")

    def __init__(self, index: int, weight: float, rng: np.random.Generator) -> None:
        self.index = index
        self.weight = weight
        self.rng = rng
        self.person: _Person | None = None
        self.open = True  # false once the establishment no longer funds it


class _RoleForce:
    """The posts of one role with turnover, the people in them, and their history."""

    def __init__(self, owner: Workforce, name: str, role: Role, pool: StaffPool, slots) -> None:
        self.owner = owner
        self.name = name
        self.turnover: Turnover = role.turnover
        self.pool = pool
        self.slots: CaseloadSlots | None = slots
        self.lead_days = replacement_lead_days(role)
        self.rate_per_day = self.turnover.leaving_rate_per_year / DAYS_PER_YEAR
        self.tenure_days = (
            None
            if self.turnover.fixed_tenure_years is None
            else self.turnover.fixed_tenure_years * DAYS_PER_YEAR
        )
        self.posts: list[_Post] = []
        self._handover_rng = owner.streams.generator(f"workforce:{name}:handover")
        # History: step functions (time, value from then on) and events.
        self.times: list[float] = []
        self.in_post: list[float] = []
        self.effective: list[float] = []
        self.establishment: list[float] = []
        self.leavers: list[float] = []
        self.starters: list[float] = []
        self.handovers: list[tuple[float, int, int]] = []  # (time, handed over, to the queue)

    # ------------------------------------------------------------ state
    @property
    def env(self):
        return self.owner.env

    def _people(self) -> list[_Person]:
        return [p.person for p in self.posts if p.open and p.person is not None]

    def _log(self) -> None:
        people = self._people()
        now = self.env.now
        values = (
            sum(p.post.weight for p in people),
            sum(p.post.weight * p.rate_share for p in people),
            sum(p.weight for p in self.posts if p.open),
        )
        if self.times and self.times[-1] == now:
            self.in_post[-1], self.effective[-1], self.establishment[-1] = values
        else:
            self.times.append(now)
            self.in_post.append(values[0])
            self.effective.append(values[1])
            self.establishment.append(values[2])

    def _places_fte(self, leaving: _Person | None = None) -> float:
        return sum(p.post.weight * p.places_share for p in self._people() if p is not leaving)

    def _update_slots(self) -> None:
        if self.slots is not None:
            self.slots.set_fte(self._places_fte())

    # ------------------------------------------------------------ establishment
    def set_establishment(self, fte: float, initial: bool) -> None:
        """Open or close posts so they match ``fte`` (the staffing plan's FTE from now on)."""
        desired = Counter(server_weights(fte))
        current = Counter(p.weight for p in self.posts if p.open)
        for weight, surplus in (current - desired).items():
            candidates = [p for p in self.posts if p.open and p.weight == weight]
            # Vacant posts close first, then posts whose holder is idle (work is not cut).
            candidates.sort(
                key=lambda p: (
                    p.person is not None,
                    p.person is not None and p.person.server.task is not None,
                )
            )
            for post in candidates[:surplus]:
                if post.person is not None:
                    self._leave(post.person, refill=False)
                post.open = False
        for weight, missing in (desired - current).items():
            for _ in range(missing):
                k = len(self.posts)
                post = _Post(k, weight, self.owner.streams.generator(f"workforce:{self.name}:{k}"))
                self.posts.append(post)
                self._fill(post, experienced=initial)
        self._update_slots()
        self._log()

    # ------------------------------------------------------------ people
    def _fill(self, post: _Post, experienced: bool) -> None:
        """A person takes up ``post`` now: today's staff fully capable, newcomers ramping up."""
        now = self.env.now
        person = _Person(post, now)
        post.person = person
        exp_draw = post.rng.exponential(1.0)  # one draw per post-holder, in order
        stay = exp_draw / self.rate_per_day if self.rate_per_day > 0 else math.inf
        if self.tenure_days is not None:
            tenure_left = post.rng.uniform(0.0, self.tenure_days) if experienced else None
            stay = min(stay, self.tenure_days if tenure_left is None else tenure_left)
        steps = [] if experienced else self.turnover.ramp_up
        if steps:
            person.rate_share = steps[0].rate_share
            person.places_share = steps[0].places_share
        person.server = self.pool.add_server(post.weight, person.rate_share)
        if not experienced:
            self.starters.append(now)
        elapsed = 0.0
        for i in range(1, len(steps) + 1):
            elapsed += steps[i - 1].months * DAYS_PER_MONTH
            nxt = steps[i] if i < len(steps) else None
            self._at(elapsed, lambda person=person, step=nxt: self._ramp(person, step))
        if math.isfinite(stay):
            self._at(stay, lambda person=person: self._leave(person, refill=True))

    def _at(self, delay: float, action: Callable[[], None]) -> None:
        self.env.timeout(delay).callbacks.append(lambda _event: action())

    def _ramp(self, person: _Person, step) -> None:
        if not person.active:
            return
        person.rate_share = 1.0 if step is None else step.rate_share
        person.places_share = 1.0 if step is None else step.places_share
        self.pool.set_rate_share(person.server, person.rate_share)
        self._update_slots()
        self._log()

    def _leave(self, person: _Person, refill: bool) -> None:
        """``person`` leaves now: cases handed over, post vacant until the replacement."""
        if not person.active:
            return
        now = self.env.now
        person.active = False
        post = person.post
        if self.slots is not None:
            self._hand_over(person)
        self.pool.retire_server(person.server)
        post.person = None
        self.leavers.append(now)
        self._update_slots()
        self._log()
        if refill and self.turnover.replaced:
            self._at(self.lead_days, lambda: self._refill(post))

    def _refill(self, post: _Post) -> None:
        if not post.open or post.person is not None:
            return
        self._fill(post, experienced=False)
        self._update_slots()
        self._log()

    def _hand_over(self, person: _Person) -> None:
        """Count the leaver's cases (their pro-rata share of the role's caseload) as handed
        over; those beyond the colleagues' free places wait at the front of the queue."""
        slots = self.slots
        total = self._places_fte()
        mine = person.post.weight * person.places_share
        if total <= FTE_EPSILON or slots.in_use <= 0:
            return
        expected = slots.in_use * mine / total
        whole = math.floor(expected)
        count = whole + int(self._handover_rng.random() < expected - whole)
        count = min(count, slots.in_use)
        capacity_after = math.floor(slots.cap_per_fte * self._places_fte(person) + FTE_EPSILON)
        queued = min(count, max(slots.in_use - capacity_after, 0))
        if count:
            self.handovers.append((self.env.now, count, queued))


class Workforce:
    """Every role with a turnover block, for one replication (built by the unit model)."""

    def __init__(
        self,
        scenario: Scenario,
        env,
        streams,
        pools: dict[str, StaffPool],
        slots: dict[str, CaseloadSlots],
        report_start: float,
        report_end: float,
    ) -> None:
        self.scenario = scenario
        self.env = env
        self.streams = streams
        self.report_start = report_start
        self.report_end = report_end
        self.roles = {
            name: _RoleForce(self, name, scenario.roles[name], pools[name], slots.get(name))
            for name in turnover_roles(scenario)
        }

    @classmethod
    def build(cls, model, schedule: Callable[[Scenario, str], list[tuple[float, float]]]):
        """The workforce of a ``UnitModel`` (None when no role has turnover), with each
        role's establishment following its staffing plan (``schedule``)."""
        scenario = model.scenario
        if not has_turnover(scenario):
            return None
        force = cls(
            scenario,
            model.env,
            model.streams,
            dict(zip(model.role_names, model.pools, strict=True)),
            model.slots,
            model.report_start,
            model.report_end,
        )
        for name, role_force in force.roles.items():
            for t, fte in schedule(scenario, name):
                if t <= 0:
                    role_force.set_establishment(fte, initial=True)
                else:
                    force.env.timeout(t).callbacks.append(
                        lambda _e, rf=role_force, fte=fte: rf.set_establishment(fte, initial=False)
                    )
        return force

    def manages(self, role: str) -> bool:
        """Whether this module (not the plain staffing schedule) drives ``role``'s pool."""
        return role in self.roles

    # ------------------------------------------------------------ results
    def add_results(self, result) -> None:
        """Add the workforce KPIs and weekly series to a ``ReplicationResult``."""
        a, b = self.report_start, self.report_end
        years = (b - a) / DAYS_PER_YEAR
        names = list(self.roles)
        n_weeks = next(iter(result.series.values())).shape[0] if result.series else 0
        edges = a + DAYS_PER_WEEK * np.arange(n_weeks + 1)
        series = {key: np.full((n_weeks, len(names)), np.nan) for key in WORKFORCE_SERIES}
        kpis = result.kpis
        for j, (name, rf) in enumerate(self.roles.items()):
            curves = {
                "fte_in_post": rf.in_post,
                "fte_effective": rf.effective,
                "establishment": rf.establishment,
            }
            for key, values in curves.items():
                if n_weeks:
                    series[key][:, j] = np.diff(_integral(rf.times, values, edges)) / DAYS_PER_WEEK
            for key, value in _figures(rf, a, b).items():
                kpis[f"{key}.{name}"] = value / years if key in _RATES else value
            for label, (start, end) in financial_years(self.scenario, a, b).items():
                for key, value in _figures(rf, start, end).items():
                    if key in _FY_FIGURES:
                        kpis[f"{_FY_FIGURES[key]}.{name}.{label}"] = value
        result.series.update(series)
        result.labels.update({key: names for key in WORKFORCE_SERIES})


_RATES = {
    "leavers_per_year": "leavers",
    "starters_per_year": "starters",
    "handovers_per_year": "handovers",
    "handovers_queued_per_year": "handovers_queued",
}
_FY_FIGURES = {
    "fte_in_post_mean": "fte_in_post_fy",
    "fte_effective_mean": "fte_effective_fy",
    "vacancy_share": "vacancy_share_fy",
    "leavers_per_year": "leavers_fy",
    "handovers_per_year": "handovers_fy",
}


def _figures(rf: _RoleForce, a: float, b: float) -> dict[str, float]:
    """Time-averages over [a, b) and event counts in it (counts under the ``_per_year`` keys;
    the caller divides by years where a rate is wanted)."""
    length = b - a
    in_post = _area(rf.times, rf.in_post, a, b)
    establishment = _area(rf.times, rf.establishment, a, b)
    handed = [(n, q) for t, n, q in rf.handovers if a <= t < b]
    return {
        "establishment_mean": establishment / length,
        "fte_in_post_mean": in_post / length,
        "fte_effective_mean": _area(rf.times, rf.effective, a, b) / length,
        "vacancy_share": 1.0 - in_post / establishment if establishment > 0 else math.nan,
        "leavers_per_year": float(sum(1 for t in rf.leavers if a <= t < b)),
        "starters_per_year": float(sum(1 for t in rf.starters if a <= t < b)),
        "handovers_per_year": float(sum(n for n, _ in handed)),
        "handovers_queued_per_year": float(sum(q for _, q in handed)),
    }


def _integral(times: list[float], values: list[float], xs: np.ndarray) -> np.ndarray:
    """The integral from ``times[0]`` to each of ``xs`` of the step function that is
    ``values[i]`` from ``times[i]`` (``xs`` at or after ``times[0]``)."""
    t = np.asarray(times, dtype=float)
    v = np.asarray(values, dtype=float)
    cumulative = np.concatenate(([0.0], np.cumsum(v[:-1] * np.diff(t))))
    i = np.searchsorted(t, xs, side="right") - 1
    return cumulative[i] + v[i] * (xs - t[i])


def _area(times: list[float], values: list[float], a: float, b: float) -> float:
    """Integral over [a, b] of the step function that is ``values[i]`` from ``times[i]``."""
    if not times or b <= a:
        return 0.0
    t = np.clip(np.asarray(times, dtype=float), a, b)
    ends = np.append(t[1:], b)
    return float(np.sum(np.asarray(values, dtype=float) * (ends - t)))


def financial_year_code(year: int) -> str:
    """The label of the financial year starting in April of ``year`` in workforce KPI names
    and the ``workforce`` block: ``2027`` -> ``2027-28``."""
    return f"{year}-{(year + 1) % 100:02d}"


def financial_years(scenario: Scenario, a: float, b: float) -> dict[str, tuple[float, float]]:
    """Financial years (April to March) overlapping the window [a, b) of clock days, as
    label ('2027-28') -> (first clock day, end clock day), clipped to the window."""
    start = scenario.start_date
    origin = a  # clock day of the start date

    def clock(day: dt.date) -> float:
        return origin + (day - start).days

    first = start.year if start.month >= FY_START_MONTH else start.year - 1
    years = {}
    year = first
    while True:
        begin = clock(dt.date(year, FY_START_MONTH, 1))
        end = clock(dt.date(year + 1, FY_START_MONTH, 1))
        if begin >= b:
            break
        lo, hi = max(begin, a), min(end, b)
        if hi > lo:
            years[financial_year_code(year)] = (lo, hi)
        year += 1
    return years
