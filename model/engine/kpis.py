"""What is measured during one replication, aggregated as the run goes.

The recorder keeps counters, compact float arrays (waits, stays) and weekly
snapshots; it never keeps per-event Python objects, so memory does not grow
with an event log. Case-based KPIs count what happens in the reporting window
[start date, end of horizon]; cases still open at the end are *censored*,
never silently dropped: a case still waiting after longer than a target
allows counts as a miss, and an investigation still open counts by its age.

KPI names are ``metric.key`` (``wait_mean_days.assessment``); scenario names
are snake_case identifiers, so the dots are unambiguous.

Each target is also measured period by period (``target_period.<name>.<k>``,
periods of ``staffing_search.target_period_weeks`` weeks from the start date),
so a planner can see *when* a target first fails, not only whether it fails
over the whole horizon. A share counts the cases counted in that period (a
case allocated, or leaving the stage, in it; censored cases count in the
last period); backlog growth is the growth over the year to the period's end
(since the start date, within the first year).
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Callable

import numpy as np

from model.engine.reach import Reach
from model.engine.sources import DAYS_PER_WEEK, DAYS_PER_YEAR
from model.engine.staff import Task
from model.engine.stages import Case, condition_matcher
from model.scenario import (
    PRIORITIES,
    BacklogGrowthTarget,
    LongOpenTarget,
    Scenario,
    ShareWithinTarget,
)
from model.survival import kaplan_meier

WEEKS_PER_YEAR = 52
HIGH = PRIORITIES.index("high")


class Visit:
    """One case's stay in one stage."""

    __slots__ = ("allocated", "case", "preexisting", "queued", "stage", "visit_no")

    def __init__(self, case: Case, stage: int, visit_no: int, queued: float) -> None:
        self.case = case
        self.stage = stage
        self.visit_no = visit_no
        self.queued = queued
        self.allocated = float("nan")
        self.preexisting = False


def _mean(values: array) -> float:
    return float(np.mean(values)) if len(values) else float("nan")


def _p90(values: array) -> float:
    return float(np.percentile(values, 90)) if len(values) else float("nan")


class _Counted:
    """A (met, total) share that can be evaluated on the fly, overall and per period.

    Only the per-period counts are kept (the hot path adds to two list cells); the
    overall share is their sum, taken once at the end."""

    __slots__ = ("period_hits", "period_total")

    def __init__(self, n_periods: int = 1) -> None:
        self.period_hits = [0] * n_periods
        self.period_total = [0] * n_periods

    def add(self, hit: bool, period: int = 0) -> None:
        self.period_hits[period] += hit
        self.period_total[period] += 1

    def add_expected_misses(self, weight: float, period: int) -> None:
        """Cases that will miss if they ever get there, counted by that chance (0 to 1)."""
        self.period_total[period] += weight

    @property
    def hits(self) -> int:
        return sum(self.period_hits)

    def share(self) -> float:
        total = sum(self.period_total)
        return self.hits / total if total else float("nan")

    def period_shares(self) -> list[float]:
        pairs = zip(self.period_hits, self.period_total, strict=True)
        return [h / t if t else float("nan") for h, t in pairs]


def target_periods(scenario: Scenario) -> list[tuple[int, int]]:
    """(first week, week after the last) of each target period, in weeks from the start date.

    Periods are ``staffing_search.target_period_weeks`` long; the last one may be shorter,
    and events after the last whole week of the horizon count in the last period."""
    n_weeks = int(np.floor(scenario.horizon_days / DAYS_PER_WEEK + 1e-9))
    length = scenario.staffing_search.target_period_weeks
    n_periods = max(1, -(-n_weeks // length))
    return [(k * length, min((k + 1) * length, max(n_weeks, 1))) for k in range(n_periods)]


class Recorder:
    """Counters and series for one replication; ``kpis()`` turns them into numbers."""

    def __init__(self, scenario: Scenario, report_start: float, report_end: float) -> None:
        self.scenario = scenario
        self.stage_names = list(scenario.stages)
        self.role_names = list(scenario.roles)
        self.source_names = list(scenario.sources)
        self.outcome_names = list(scenario.outcomes)
        self.start = report_start
        self.end = report_end
        n_stages, n_roles = len(self.stage_names), len(self.role_names)
        self.n_weeks = int(np.floor((report_end - report_start) / DAYS_PER_WEEK + 1e-9))
        self.periods = target_periods(scenario)
        self._period_days = scenario.staffing_search.target_period_weeks * DAYS_PER_WEEK

        self.waiting = [0] * n_stages
        self.in_progress = [0] * n_stages
        self.waits = [array("d") for _ in range(n_stages)]
        self.stays = [array("d") for _ in range(n_stages)]
        self.entries = [0] * n_stages
        # Open visits in the order they began (a dict as an ordered set): the censored-wait
        # KPIs sum weights over them, and a set's order (by object address) changed those
        # sums in the last digit from one run to the next.
        self.open_visits: dict[Visit, None] = {}
        # Plain nested lists while the run goes (a scalar += into a numpy array is slow);
        # numpy arrays from them once at the end (same additions, in the same order).
        self._staff_hours = [[0.0] * len(self.source_names) for _ in range(n_roles)]
        self._weekly_staff_hours = [[0.0] * n_roles for _ in range(max(self.n_weeks, 1))]
        self._last_week = max(self.n_weeks, 1) - 1
        self.closed = [0] * len(self.outcome_names)
        self.created = 0
        self.closed_total = 0
        self.sojourns = array("d")
        self.wip = 0
        self._wip_area = 0.0
        self._wip_last = report_start
        self.backlog_start = np.zeros((2, n_stages))
        self.backlog_waiting = np.zeros((self.n_weeks, n_stages))
        self.backlog_in_progress = np.zeros((self.n_weeks, n_stages))
        self.utilisation = np.full((self.n_weeks, n_roles), np.nan)
        self._areas_start: list[tuple[float, float]] = []
        self._areas_last: list[tuple[float, float]] = []

        self._share_within: dict[str, tuple[int, Callable[[Case], bool], float, _Counted]] = {}
        self._long_open: dict[str, tuple[int, float, _Counted]] = {}
        # The same targets indexed by stage, for the hot path (allocated / exited).
        self._share_within_at: list[list[tuple[Callable[[Case], bool], float, _Counted]]] = [
            [] for _ in range(n_stages)
        ]
        self._long_open_at: list[list[tuple[float, _Counted]]] = [[] for _ in range(n_stages)]
        for name, target in scenario.targets.items():
            if isinstance(target, ShareWithinTarget):
                self._share_within[name] = (
                    self.stage_names.index(target.stage),
                    condition_matcher(target.when, self.source_names),
                    target.within_days,
                    _Counted(len(self.periods)),
                )
                stage, matches, within, counted = self._share_within[name]
                self._share_within_at[stage].append((matches, within, counted))
            elif isinstance(target, LongOpenTarget):
                self._long_open[name] = (
                    self.stage_names.index(target.stage),
                    target.over_days,
                    _Counted(len(self.periods)),
                )
                stage, over, counted = self._long_open[name]
                self._long_open_at[stage].append((over, counted))
        reporting = scenario.reporting
        self._pcc_stage = (
            None
            if reporting.investigation_stage is None
            else self.stage_names.index(reporting.investigation_stage)
        )
        self._pcc_days = reporting.pcc_report_after_days
        self._pcc = _Counted()
        self._first_action_stage = (
            None
            if reporting.first_action_stage is None
            else self.stage_names.index(reporting.first_action_stage)
        )
        self.first_action = array("d")
        # For the censored (Kaplan-Meier) waits: when each allocated visit joined its queue
        # (beside ``waits``) and when each first action's case was received.
        self.wait_queued = [array("d") for _ in range(n_stages)]
        self.first_action_received = array("d")
        self._reach = {
            target: Reach(scenario, target)
            for target in {t.stage for t in scenario.targets.values() if t.kind == "share_within"}
            | ({reporting.first_action_stage} - {None})
        }

    @property
    def staff_hours(self) -> np.ndarray:
        """Staff-hours (roles x sources) worked in the reporting window."""
        return np.array(self._staff_hours, dtype=float).reshape(
            len(self.role_names), len(self.source_names)
        )

    @property
    def weekly_staff_hours(self) -> np.ndarray:
        """Staff-hours (weeks x roles) worked in each week of the reporting window."""
        return np.array(self._weekly_staff_hours, dtype=float).reshape(
            max(self.n_weeks, 1), len(self.role_names)
        )

    # ------------------------------------------------------------ events
    def _period(self, now: float) -> int:
        """Index of the target period containing clock time ``now`` (clipped to the horizon)."""
        k = int((now - self.start) // self._period_days)
        if k < 0:  # min(max(k, 0), last), without the calls (this runs per counted case)
            return 0
        last = len(self.periods) - 1
        return last if k > last else k

    def _advance_wip(self, now: float) -> None:
        if now > self._wip_last:
            self._wip_area += self.wip * (now - self._wip_last)
            self._wip_last = now

    # case_created and case_closed run once per case: ``_advance_wip`` is written out in them.
    def case_created(self, case: Case, now: float) -> None:
        self.created += 1
        if now > self._wip_last:  # self._advance_wip(now)
            self._wip_area += self.wip * (now - self._wip_last)
            self._wip_last = now
        self.wip += 1

    def case_closed(self, case: Case, outcome: int, now: float) -> None:
        self.closed_total += 1
        if now > self._wip_last:  # self._advance_wip(now)
            self._wip_area += self.wip * (now - self._wip_last)
            self._wip_last = now
        self.wip -= 1
        if now >= self.start:
            self.closed[outcome] += 1
            if case.received >= self.start:
                self.sojourns.append(now - case.received)

    def entered(self, visit: Visit, now: float) -> None:
        self.waiting[visit.stage] += 1
        if now >= self.start:
            self.entries[visit.stage] += 1
        self.open_visits[visit] = None

    def allocated(self, visit: Visit, now: float) -> None:
        """The case is started (or put on someone's caseload) in its stage."""
        visit.allocated = now
        stage = visit.stage
        self.waiting[stage] -= 1
        self.in_progress[stage] += 1
        if visit.preexisting or now < self.start:
            return
        case = visit.case
        self.waits[stage].append(now - visit.queued)
        self.wait_queued[stage].append(visit.queued)
        since_referral = now - case.received
        for matches, within, counted in self._share_within_at[stage]:
            if matches(case):
                counted.add(since_referral <= within, self._period(now))
        if (
            stage == self._first_action_stage
            and visit.visit_no == 0
            and (case.priority == HIGH or case.apsp)
        ):
            self.first_action.append(since_referral)
            self.first_action_received.append(case.received)

    def exited(self, visit: Visit, now: float) -> None:
        stage = visit.stage
        self.in_progress[stage] -= 1
        self.open_visits.pop(visit, None)
        if now < self.start:
            return
        stay = now - visit.queued
        self.stays[stage].append(stay)
        if self._long_open_at[stage] or stage == self._pcc_stage:
            self._count_long(stage, stay, now)

    def _count_long(self, stage: int, stay: float, now: float) -> None:
        for over, counted in self._long_open_at[stage]:
            counted.add(stay > over, self._period(now))
        if stage == self._pcc_stage:
            self._pcc.add(stay > self._pcc_days)

    def work_done(self, role: int, task: Task, now: float) -> None:
        """A task of ``role`` is finished: its hours count to the case's source and the week
        (a staff pool's ``on_finish``, with the role bound)."""
        start = self.start
        if now >= start:
            hours = task.hours
            self._staff_hours[role][task.owner.case.source] += hours
            week = int((now - start) // DAYS_PER_WEEK)
            if week > self._last_week:  # min(week, last week), without the call
                week = self._last_week
            self._weekly_staff_hours[week][role] += hours

    # ------------------------------------------------------------ snapshots
    def snapshot_start(self, pool_areas: list[tuple[float, float]], now: float) -> None:
        self._advance_wip(now)
        self._wip_area = 0.0
        self.backlog_start[0] = self.waiting
        self.backlog_start[1] = self.in_progress
        self._areas_start = list(pool_areas)
        self._areas_last = list(pool_areas)

    def snapshot_week(self, week: int, pool_areas: list[tuple[float, float]]) -> None:
        self.backlog_waiting[week] = self.waiting
        self.backlog_in_progress[week] = self.in_progress
        for r, ((busy, duty), (busy0, duty0)) in enumerate(
            zip(pool_areas, self._areas_last, strict=True)
        ):
            if duty > duty0:
                self.utilisation[week, r] = (busy - busy0) / (duty - duty0)
        self._areas_last = list(pool_areas)

    # ------------------------------------------------------------ results
    def finish(self, pool_areas: list[tuple[float, float]], now: float) -> dict[str, float]:
        """Close the books at the end of the horizon and return the KPIs."""
        self._advance_wip(now)
        for visit in self.open_visits:
            age_in_stage = now - visit.queued
            self._count_long(visit.stage, age_in_stage, now)
            self._count_unstarted_misses(visit, now)
        k = self._kpis(pool_areas, now)
        self._censored_wait_kpis(k, now)
        return k

    def _count_unstarted_misses(self, visit: Visit, now: float) -> None:
        """Share targets count cases never started in their stage that are already too late.

        A case still waiting in the target stage past the limit is a miss. A case still
        open upstream of it (e.g. an alert waiting for review, for an assessment target)
        past the limit will miss if it ever gets there: it counts as a miss weighted by the
        chance that it does (:mod:`model.engine.reach`). Cases not yet past the limit are
        left out: their outcome is unknown (censored)."""
        since_referral = now - visit.case.received
        last = len(self.periods) - 1
        for target_stage, matches, within, counted in self._share_within.values():
            if since_referral <= within or not matches(visit.case):
                continue
            if target_stage == visit.stage:
                if visit.allocated != visit.allocated:  # still waiting (NaN); else counted
                    counted.add(False, last)
            else:
                weight = self._reach[self.stage_names[target_stage]].after(visit.stage, visit.case)
                if weight > 0:
                    counted.add_expected_misses(weight, last)

    def _censored_wait_kpis(self, k: dict[str, float], now: float) -> None:
        """Waits with the cases still waiting at the end counted as censored (Kaplan-Meier).

        Per worked stage: the median and 90th percentile of the wait from joining the
        queue to allocation, and the share of the sample still waiting at the end; for the
        first action the same for the time from referral. See :mod:`model.survival`."""
        waiting_at = [[] for _ in self.stage_names]
        for visit in self.open_visits:
            if visit.allocated != visit.allocated:
                waiting_at[visit.stage].append(visit.queued)
        for i, stage in enumerate(self.stage_names):
            if self.scenario.stages[stage].role is None:
                continue
            queued = np.concatenate([np.asarray(self.wait_queued[i]), waiting_at[i]])
            durations = np.concatenate([np.asarray(self.waits[i]), now - np.asarray(waiting_at[i])])
            self._km_kpis(k, f"{{}}.{stage}", durations, queued, len(self.waits[i]))
        if self._first_action_stage is not None:
            self._first_action_km(k, now)

    def _km_kpis(
        self,
        k: dict[str, float],
        name: str,
        durations: np.ndarray,
        joined: np.ndarray,
        n_started: int,
        weights: np.ndarray | None = None,
    ) -> None:
        observed = np.arange(len(durations)) < n_started
        entry = np.clip(self.start - joined, 0.0, None)
        curve = kaplan_meier(durations, observed, entry, weights)
        k[name.format("wait_km_median_days")] = curve.quantile(0.5)
        k[name.format("wait_km_p90_days")] = curve.quantile(0.9)
        k[name.format("waiting_end_share")] = curve.censored / curve.n if curve.n else math.nan
        k[name.format("waiting_end")] = curve.censored

    def _first_action_km(self, k: dict[str, float], now: float) -> None:
        """Time from referral to the first start in the first-action stage, high-priority
        and APSP cases; censored: such cases still waiting there, and those still upstream
        weighted by the chance that they get there."""
        stage = self._first_action_stage
        reach = self._reach[self.stage_names[stage]]
        received, weights = [], []
        for visit in self.open_visits:
            case = visit.case
            if not (case.priority == HIGH or case.apsp):
                continue
            if visit.stage == stage:
                if visit.visit_no == 0 and visit.allocated != visit.allocated:
                    received.append(case.received)
                    weights.append(1.0)
            elif case.visits[stage] == 0:
                weight = reach.after(visit.stage, case)
                if weight > 0:
                    received.append(case.received)
                    weights.append(weight)
        n_started = len(self.first_action)
        joined = np.concatenate([np.asarray(self.first_action_received), received])
        durations = np.concatenate([np.asarray(self.first_action), now - np.asarray(received)])
        all_weights = np.concatenate([np.ones(n_started), weights])
        self._km_kpis(k, "first_action_{}", durations, joined, n_started, all_weights)

    def _kpis(self, pool_areas: list[tuple[float, float]], now: float) -> dict[str, float]:
        years = (self.end - self.start) / DAYS_PER_YEAR
        k: dict[str, float] = {}
        for i, stage in enumerate(self.stage_names):
            if self.scenario.stages[stage].role is not None:
                k[f"wait_mean_days.{stage}"] = _mean(self.waits[i])
                k[f"wait_p90_days.{stage}"] = _p90(self.waits[i])
            k[f"time_in_stage_mean_days.{stage}"] = _mean(self.stays[i])
            k[f"entries_per_year.{stage}"] = self.entries[i] / years
            k[f"backlog_end.{stage}"] = float(self.waiting[i] + self.in_progress[i])
            k[f"backlog_end_waiting.{stage}"] = float(self.waiting[i])
        k["backlog_end_total"] = float(sum(self.waiting) + sum(self.in_progress))
        k["backlog_start_total"] = float(self.backlog_start.sum())
        staff_hours = self.staff_hours
        for r, role in enumerate(self.role_names):
            busy, duty = pool_areas[r]
            busy0, duty0 = self._areas_start[r]
            k[f"utilisation.{role}"] = (
                (busy - busy0) / (duty - duty0) if duty > duty0 else float("nan")
            )
            k[f"staff_hours_per_year.{role}"] = float(staff_hours[r].sum() / years)
            for s, source in enumerate(self.source_names):
                k[f"staff_hours_per_year.{role}.{source}"] = float(staff_hours[r, s] / years)
        for o, outcome in enumerate(self.outcome_names):
            k[f"closed.{outcome}"] = float(self.closed[o])
        for name, (_, _, _, counted) in self._share_within.items():
            k[f"target.{name}"] = counted.share()
        for name, (_, _, counted) in self._long_open.items():
            k[f"target.{name}"] = counted.share()
        for name, target in self.scenario.targets.items():
            if isinstance(target, BacklogGrowthTarget):
                k[f"target.{name}"] = self._backlog_growth(target)
        self._period_kpis(k)
        if self._pcc_stage is not None:
            k["pcc_investigations_over_share"] = self._pcc.share()
            k["pcc_investigations_over_count"] = float(self._pcc.hits)
            k["pcc_open_over_at_end"] = float(
                sum(
                    1
                    for v in self.open_visits
                    if v.stage == self._pcc_stage and now - v.queued > self._pcc_days
                )
            )
        if self._first_action_stage is not None:
            k["first_action_mean_days"] = _mean(self.first_action)
            k["first_action_p90_days"] = _p90(self.first_action)
        duration = self.end - self.start
        k["wip_mean"] = self._wip_area / duration
        k["sojourn_mean_days"] = _mean(self.sojourns)
        k["cases_created"] = float(self.created)
        k["cases_closed"] = float(self.closed_total)
        k["cases_open_at_end"] = float(self.wip)
        k["conservation_gap"] = float(self.created - self.closed_total - self.wip)
        return k

    def _period_kpis(self, k: dict[str, float]) -> None:
        """``target_period.<name>.<k>``: each target measured in each period (k from 1)."""
        for name, target in self.scenario.targets.items():
            if isinstance(target, BacklogGrowthTarget):
                values = [self._backlog_growth(target, end) for _, end in self.periods]
            else:
                counted = (
                    self._share_within[name][3]
                    if name in self._share_within
                    else self._long_open[name][2]
                )
                values = counted.period_shares()
            for period, value in enumerate(values, start=1):
                k[f"target_period.{name}.{period}"] = float(value)

    def _backlog_growth(self, target: BacklogGrowthTarget, weeks: int | None = None) -> float:
        """Growth of the backlog over the year to the end of week ``weeks`` (default: the last)."""
        columns = [self.stage_names.index(s) for s in (target.stages or self.stage_names)]
        weekly = self.backlog_waiting
        if target.count == "open":
            weekly = weekly + self.backlog_in_progress
        totals = weekly[:, columns].sum(axis=1)
        if weeks is not None:
            totals = totals[:weeks]
        if len(totals) == 0:
            return float("nan")
        end = totals[-1]
        if len(totals) > WEEKS_PER_YEAR:
            before = totals[-1 - WEEKS_PER_YEAR]
        else:
            rows = [0] if target.count == "waiting" else [0, 1]
            before = self.backlog_start[rows][:, columns].sum()
        return float((end - before) / max(before, target.min_base_cases))
