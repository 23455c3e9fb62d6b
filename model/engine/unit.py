"""The SimPy model of the Anti-Corruption Unit: sources, stages and staff together.

One call of :func:`run_replication` simulates one replication of a scenario
and returns its KPIs, weekly series and (optionally) case records. The clock
is in days; day 0 is the start of the warm-up (the start date when there is
none). Everything random comes from :class:`model.engine.streams.Streams`, so a
replication is a pure function of (scenario, seed, replication index).

A case's life in a stage:
1. it queues (by priority or first come first served) for a caseload slot if
   the stage holds caseload, else directly for a member of the stage's role;
2. it is *allocated* when it gets the slot (or the person): waits are measured
   to here;
3. its effort (staff-hours) is worked by the next free member of the role;
4. external delays (IOPC decision, forensics, hearing dates) elapse, holding
   the caseload slot but no staff;
5. it is routed to the next stage or closed with an outcome.
"""

from __future__ import annotations

import dataclasses
import functools
from array import array
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from model.engine.clock import Clock
from model.engine.effort_schedule import EffortSchedule, build_schedule
from model.engine.guards import check_case_visits
from model.engine.kpis import Recorder, Visit
from model.engine.resume import Resumed, backlog_mix, resume_open_case
from model.engine.sources import (
    DAYS_PER_WEEK,
    merged_arrivals,
    sample_arrival_times,
    sample_attributes,
)
from model.engine.staff import CaseloadSlots, StaffPool, Task
from model.engine.stages import Case, GroupLife, RouteTable, StageDraws, condition_matcher
from model.engine.streams import Streams
from model.engine.workforce import Workforce
from model.scenario import CATEGORIES, PRIORITIES, Scenario, StaffingChange, days_from_start

if TYPE_CHECKING:
    import pandas as pd

    from model.scenario import Stage


@dataclass
class ReplicationResult:
    """What one replication produced. Series are (weeks x labels) arrays."""

    replication: int
    kpis: dict[str, float]
    series: dict[str, np.ndarray]
    labels: dict[str, list[str]]
    week_start_days: np.ndarray
    cases: pd.DataFrame | None = field(default=None)


@dataclass
class _StageRuntime:
    name: str
    index: int
    pool: StaffPool | None
    role_index: int
    slots: CaseloadSlots | None
    draws: StageDraws
    routes: RouteTable
    delays: list[tuple]  # (matches(case) -> bool, probability)
    fifo: bool
    precedence: int
    schedule: EffortSchedule | None = None  # effort_changes by date (effort_schedule.py)


def change_effective_day(scenario: Scenario, role_name: str, change: StaffingChange) -> float:
    """Clock day a staffing change takes effect: joiners recruited for it arrive after the
    role's recruitment lead time; leavers and transfers on the date itself."""
    t = days_from_start(scenario, change.date)
    if change.after_recruitment_lead_time and change.change_fte > 0:
        t += scenario.roles[role_name].recruitment_lead_time_days
    return t


def staffing_schedule(scenario: Scenario, role_name: str) -> list[tuple[float, float]]:
    """(clock day, FTE from then on) for a role, with recruitment lead times applied."""
    role = scenario.roles[role_name]
    effective = [
        (change_effective_day(scenario, role_name, change), change.change_fte)
        for change in role.staffing_plan
    ]
    effective.sort()
    schedule, fte = [(0.0, role.fte)], role.fte
    for t, delta in effective:
        fte = max(fte + delta, 0.0)
        schedule.append((max(t, 0.0), fte))
    return schedule


class UnitModel:
    """One replication's world: environment, pools, stages, recorder."""

    def __init__(
        self, scenario: Scenario, seed: int, replication: int, record_cases: bool = False
    ) -> None:
        self.scenario = scenario
        self.env = Clock()
        self.streams = Streams(seed, replication)
        self.replication = replication
        self.report_start = float(scenario.warmup_days)
        self.report_end = self.report_start + scenario.horizon_days
        self.source_names = list(scenario.sources)
        self.stage_names = list(scenario.stages)
        self.role_names = list(scenario.roles)
        self.stage_index = {name: i for i, name in enumerate(self.stage_names)}
        self.outcome_index = {name: i for i, name in enumerate(scenario.outcomes)}
        self.recorder = Recorder(scenario, self.report_start, self.report_end)
        self.case_rows: list[tuple] | None = [] if record_cases else None
        self._visit_cap = scenario.limits.max_visits_per_case
        self._n_stages = len(self.stage_names)
        # Callbacks bound once (an attribute read of a method makes a new object each time).
        self._worked_callback = self._worked
        self._arrival_callback = self._arrival

        self._arrivals = self._sample_arrivals()
        group_sizes = {name: len(a[0]) for name, a in self._arrivals.items()}
        for i, entry in enumerate(scenario.initial_backlog):
            group_sizes[f"backlog.{i}"] = entry.waiting + entry.in_progress
        self._lives = {group: GroupLife(size) for group, size in group_sizes.items()}
        self.pools = [self._make_pool(r) for r in self.role_names]
        self.slots = {
            r: CaseloadSlots(self.env, scenario.roles[r].caseload_cap_per_fte)
            for r in self.role_names
            if scenario.roles[r].caseload_cap_per_fte is not None
        }
        self.stages = [
            self._make_stage(name, i, group_sizes) for i, name in enumerate(self.stage_names)
        ]
        # Workforce hook: roles with a turnover block get their people from workforce.py.
        self.workforce = Workforce.build(self, staffing_schedule)
        for r, role in enumerate(self.role_names):
            if self.workforce is None or not self.workforce.manages(role):
                self._schedule_staffing(role, self.pools[r], self.slots.get(role))
        # Where a route leads: the next stage's runtime, or the index of a closure outcome.
        self._next: dict[str, _StageRuntime | int] = {
            **{name: self.stages[i] for i, name in enumerate(self.stage_names)},
            **self.outcome_index,
        }

    # ------------------------------------------------------------ construction
    def _sample_arrivals(self) -> dict[str, tuple[np.ndarray, object]]:
        total = self.report_end
        arrivals = {}
        for name, source in self.scenario.sources.items():
            if not source.enabled:
                continue
            times = sample_arrival_times(
                source, self.scenario, total, self.streams.generator(f"arrivals:{name}")
            )
            attrs = sample_attributes(
                source.mix, len(times), self.streams.generator(f"attributes:{name}")
            )
            arrivals[name] = (times, attrs)
        return arrivals

    def _make_pool(self, role_name: str) -> StaffPool:
        role = self.scenario.roles[role_name]
        r = self.role_names.index(role_name)
        # A visit with no caseload slot is allocated when its work starts (``report_start``).
        return StaffPool(
            self.env,
            role.casework_hours_per_day,
            self.recorder.allocated,
            functools.partial(self.recorder.work_done, r),
        )

    def _make_stage(self, name: str, index: int, group_sizes: dict[str, int]) -> _StageRuntime:
        stage = self.scenario.stages[name]
        role_index = -1 if stage.role is None else self.role_names.index(stage.role)
        runtime = _StageRuntime(
            name=name,
            index=index,
            pool=None if stage.role is None else self.pools[role_index],
            role_index=role_index,
            slots=self.slots.get(stage.role) if stage.holds_caseload else None,
            draws=StageDraws(self.streams, name, stage, group_sizes, self._lives),
            routes=RouteTable(stage.routing, self.source_names),
            delays=self._delay_matchers(stage),
            fifo=stage.discipline == "fifo",
            precedence=stage.precedence,
        )
        runtime.schedule = build_schedule(
            self.scenario,
            name,
            runtime,
            runtime.draws,
            self.streams,
            group_sizes,
            self._lives,
            lambda period, draws: dataclasses.replace(
                runtime, draws=draws, delays=self._delay_matchers(period), schedule=None
            ),
        )
        return runtime

    def _delay_matchers(self, stage: Stage) -> list[tuple]:
        """(matches(case), probability) of each of a stage's external delays."""
        return [
            (condition_matcher(d.when, self.source_names), d.probability)
            for d in stage.external_delays
        ]

    def _schedule_staffing(self, role: str, pool: StaffPool, slots: CaseloadSlots | None) -> None:
        def apply(fte: float) -> None:
            pool.set_fte(fte)
            if slots is not None:
                slots.set_fte(fte)

        for t, fte in staffing_schedule(self.scenario, role):
            if t <= 0:
                apply(fte)
            else:
                self.env.timeout(t).callbacks.append(lambda _e, fte=fte: apply(fte))

    # ------------------------------------------------------------ cases
    # A case is driven by callbacks, not a SimPy process: ``_enter`` starts a visit to a
    # stage, and each step schedules the next one (slot granted -> ``_slot_granted``, staff
    # time worked -> ``_worked``, an external delay over -> ``_delays``), ending in
    # ``_leave``, which routes the case to its next stage or closes it. Each step is a
    # wake-up in SimPy's queue (model.engine.clock) scheduled where the process version
    # waited on an event, keyed as that event was, so event order, and with it every result,
    # is unchanged; a case costs no process start and end event, no event objects, and no
    # generator resumed at every step.
    def _enter(self, case: Case, stage: _StageRuntime, preexisting: str | None = None) -> None:
        """Start ``case``'s visit to ``stage``; ``preexisting`` is 'waiting' or 'in_progress'
        for backlog cases."""
        now = self.env._now
        visit_no = case.visits[stage.index]
        case.visits[stage.index] = visit_no + 1
        if visit_no:  # a re-visit: guard against endless loops (model.engine.guards)
            check_case_visits(
                sum(case.visits), self._visit_cap, case.id, stage.name, self.scenario.name
            )
        visit = Visit(case, stage.index, visit_no, case.received if preexisting else now)
        case.runtime = stage
        case.visit = visit
        draws = stage.draws.by_group.get(case.group)  # resolved once per stage and group
        case.draws = stage.draws.group(case.group) if draws is None else draws
        self.recorder.entered(visit, now)
        if preexisting == "in_progress":
            visit.preexisting = True
            self.recorder.allocated(visit, now)
            if stage.slots is not None:
                stage.slots.hold_existing()
            resumed = self._resumed.pop(case.id, None)
            if resumed is not None:  # its age in service is known (model.engine.resume)
                self._continue_resumed(case, resumed)
                return
            effort_share = float(self._backlog_rng.random())  # work remaining
            self._work(case, effort_share, -1)  # already in someone's hands: continues first
        elif stage.slots is not None:
            rank = 0 if stage.fifo else case.priority  # as in _work: inline on the hot path
            stage.slots.acquire(self._slot_granted, case, stage.precedence, rank)
        else:
            self._work(case, 1.0, None)

    def _continue_resumed(self, case: Case, resumed: Resumed) -> None:
        """An open case whose time in service is known: its remaining work first in its
        worker's queue, then its remaining external delays, instead of the stage's draws."""
        stage = case.runtime
        delays = [d for d in resumed.delays if d > 0]
        if stage.pool is not None and resumed.hours > 0:
            then = lambda _task: self._resumed_delays(case, delays)  # noqa: E731
            # Rank -1: already in someone's hands, so ahead of every new case.
            stage.pool.request(Task(resumed.hours, case.visit, then), stage.precedence, -1)
            return
        self._resumed_delays(case, delays)

    def _resumed_delays(self, case: Case, delays: list[float]) -> None:
        if delays:
            duration = delays.pop(0)
            self.env.wake(duration, lambda _case: self._resumed_delays(case, delays), case)
            return
        self._leave(case)

    def _slot_granted(self, case: Case) -> None:
        self.recorder.allocated(case.visit, self.env._now)
        self._work(case, 1.0, None)

    def _work(self, case: Case, effort_share: float, rank: int | None) -> None:
        """Ask the stage's role for the case's effort (or move on if nobody works it)."""
        stage = case.runtime
        if stage.schedule is not None:  # the effort in force now (model.engine.effort_schedule)
            stage = case.runtime = stage.schedule.at(self.env._now)
            case.draws = stage.draws.group(case.group)
        visit = case.visit
        if stage.pool is not None:
            hours = case.draws.effort.get(case.index, visit.visit_no) * effort_share
            if rank is None:
                rank = 0 if stage.fifo else case.priority
            # Not yet allocated (no caseload slot): allocated when the work starts.
            unallocated = visit.allocated != visit.allocated
            task = Task(hours, visit, self._worked_callback, unallocated)
            stage.pool.request(task, stage.precedence, rank)  # queued by precedence, rank, order
            return
        if visit.allocated != visit.allocated:
            self.recorder.allocated(visit, self.env._now)
        case.delay = 0
        self._delays(case)

    def _worked(self, task: Task) -> None:
        case: Case = task.owner.case
        if case.runtime.delays:
            case.delay = 0
            self._delays(case)
        else:
            self._leave(case)

    def _delays(self, case: Case) -> None:
        """The stage's external delays from ``case.delay`` on, each after the one before."""
        delays = case.runtime.delays
        for k in range(case.delay, len(delays)):
            matches, probability = delays[k]
            if matches(case):
                u, duration = case.draws.delay(case.index, case.visit.visit_no, k)
                if u < probability:
                    case.delay = k + 1
                    self.env.wake(duration, self._delays, case)
                    return
        self._leave(case)

    def _leave(self, case: Case) -> None:
        """The visit ends: free the slot, route the case to its next stage or close it."""
        stage = case.runtime
        visit = case.visit
        now = self.env._now
        if stage.slots is not None:
            stage.slots.release()
        self.recorder.exited(visit, now)
        destination = stage.routes.only
        if destination is None:
            destination = stage.routes.choose(
                case, case.draws.route.get(case.index, visit.visit_no)
            )
        if self.case_rows is not None:
            self.case_rows.append(
                (
                    case.id,
                    stage.name,
                    visit.visit_no,
                    visit.queued,
                    visit.allocated,
                    now,
                    destination,
                )
            )
        following = self._next[destination]
        if isinstance(following, int):
            self.recorder.case_closed(case, following, now)
            self._lives[case.group].closed(case.index)
            case.runtime = case.visit = case.draws = None
            return
        self._enter(case, following)

    def _new_case(self, group: str, index: int, source: int, attrs: tuple, received: float) -> Case:
        """A case; ``attrs`` holds its source's (category, apsp, priority) arrays."""
        case = Case(  # positional: (id, group, index, source, category, apsp, priority, ...)
            self._n_cases,
            group,
            index,
            source,
            attrs[0][index],
            _BOOL[attrs[1][index]],
            attrs[2][index],
            received,
            self._n_stages,
        )
        self._n_cases += 1
        if self.case_rows is not None:
            self._cases.append(case)
        return case

    def _resume(
        self, stage: _StageRuntime, case: Case, age: float, rng: np.random.Generator
    ) -> Resumed:
        """Remaining work and delays of an open case ``age`` days into service (resume.py)."""
        if stage.schedule is not None:  # the effort in force at the start
            stage = stage.schedule.at(0.0)
        spec = stage.draws.stage
        role = None if spec.role is None else self.scenario.roles[spec.role]
        delays = [
            (d.duration_days, probability)
            for d, (matches, probability) in zip(spec.external_delays, stage.delays, strict=True)
            if matches(case)
        ]
        return resume_open_case(
            spec.effort_hours,
            None if role is None else role.casework_hours_per_day,
            delays,
            age,
            rng,
        )

    def _start_backlog(self) -> None:
        """The open caseload on day 0: created, then started in order."""
        self._backlog_rng = self.streams.generator("backlog:remaining_effort")
        self._resumed: dict[int, Resumed] = {}
        started = []
        for i, entry in enumerate(self.scenario.initial_backlog):
            n = entry.waiting + entry.in_progress
            if n == 0:
                continue
            source = self.source_names.index(entry.source)
            rng = self.streams.generator(f"backlog:{i}")
            mix = backlog_mix(self.scenario.sources[entry.source].mix, entry)
            attrs = _compact(sample_attributes(mix, n, rng))
            ages = np.zeros(n) if entry.age_days is None else entry.age_days.sample(rng, n)
            stage = self.stages[self.stage_index[entry.stage]]
            resume_rng = (
                None if entry.in_service_days is None else self.streams.generator(f"resume:{i}")
            )
            for j in range(n):
                state = "in_progress" if j < entry.in_progress else "waiting"
                case = self._new_case(f"backlog.{i}", j, source, attrs, -float(ages[j]))
                if resume_rng is not None and j < entry.in_progress:
                    self._resumed[case.id] = self._resume(
                        stage, case, entry.in_service_days[j], resume_rng
                    )
                self.recorder.case_created(case, 0.0)
                started.append((case, stage, state))
        for case, stage, state in started:
            self._enter(case, stage, state)

    def _start_arrivals(self) -> list[tuple[Case, _StageRuntime]]:
        """Set up the feed of every source's pre-sampled arrivals, in time order (ties: by
        source, then position); returns the cases arriving at day 0, to start after the
        monitor's first snapshot (as the process version did)."""
        self._feeds = [
            (
                name,
                self.source_names.index(name),
                _compact(attrs),
                self.stages[self.stage_index[self.scenario.sources[name].entry_stage]],
            )
            for name, (_, attrs) in self._arrivals.items()
        ]
        # One time-ordered feed of every source's arrivals (ties: by source, then position),
        # merged a chunk at a time: no list of every arrival held for the whole run.
        self._chunks = merged_arrivals([times for times, _ in self._arrivals.values()])
        self._feed: tuple[list[float], list[int], list[int]] = ([], [], [])
        self._feed_at = 0
        return self._arrive_now()

    def _arrive_now(self) -> list[tuple[Case, _StageRuntime]]:
        """Create the cases arriving now and schedule the next arrival."""
        env = self.env
        now = env._now
        times, sources, positions = self._feed
        i = self._feed_at
        arrived = []
        while True:
            if i == len(times):
                chunk = next(self._chunks, None)
                if chunk is None:
                    break
                times, sources, positions = self._feed = chunk
                i = 0
            t = times[i]
            if t > now:
                env.wake(t - now, self._arrival_callback)
                break
            name, source, attrs, entry = self._feeds[sources[i]]
            case = self._new_case(name, positions[i], source, attrs, t)
            self.recorder.case_created(case, t)
            arrived.append((case, entry))
            i += 1
        self._feed_at = i
        return arrived

    def _arrival(self, _arg: None) -> None:
        for case, entry in self._arrive_now():
            self._enter(case, entry)

    # ------------------------------------------------------------ monitor
    def _start_monitor(self) -> None:
        """Snapshot backlog and utilisation at the start and the end of every week."""
        self._weeks_snapped = 0
        if self.report_start > 0:
            self.env.wake(self.report_start, self._monitor_start)
        else:
            self._monitor_start(None)

    def _monitor_start(self, _arg: None) -> None:
        self.recorder.snapshot_start([p.areas() for p in self.pools], self.env.now)
        if self.recorder.n_weeks > 0:
            self.env.wake(DAYS_PER_WEEK, self._monitor_week, 0)

    def _monitor_week(self, week: int) -> None:
        self.recorder.snapshot_week(week, [p.areas() for p in self.pools])
        self._weeks_snapped = week + 1
        if week + 1 < self.recorder.n_weeks:
            self.env.wake(DAYS_PER_WEEK, self._monitor_week, week + 1)

    def _last_snapshot(self) -> None:
        """The last week's snapshot when that week ends exactly at the end of the horizon
        (a horizon of whole weeks, as the backtest and the history replay use): SimPy stops
        before the events due at ``until``, which left that week's backlog at zero."""
        last = self.recorder.n_weeks - 1
        if last >= 0 and self._weeks_snapped == last:
            self.recorder.snapshot_week(last, [p.areas() for p in self.pools])

    # ------------------------------------------------------------ run
    def run(self) -> ReplicationResult:
        self._cases: list[Case] = []
        self._n_cases = 0
        self._start_backlog()
        arrived = self._start_arrivals()
        self._start_monitor()
        for case, entry in arrived:
            self._enter(case, entry)
        self.env.run(until=self.report_end)
        self._last_snapshot()
        kpis = self.recorder.finish([p.areas() for p in self.pools], self.env.now)
        self._add_arrival_kpis(kpis)
        result = ReplicationResult(
            replication=self.replication,
            kpis=kpis,
            series=self._series(),
            labels={
                "arrivals": self.source_names,
                "backlog_waiting": self.stage_names,
                "backlog_in_progress": self.stage_names,
                "utilisation": self.role_names,
                "staff_hours": self.role_names,
            },
            week_start_days=self.report_start + DAYS_PER_WEEK * np.arange(self.recorder.n_weeks),
            cases=self._case_table(),
        )
        if self.workforce is not None:  # workforce hook: FTE in post, leavers, hand-overs
            self.workforce.add_results(result)
        return result

    def _window_arrivals(self, name: str) -> np.ndarray:
        times = self._arrivals[name][0] if name in self._arrivals else np.empty(0)
        return times[(times >= self.report_start) & (times < self.report_end)]

    def _add_arrival_kpis(self, kpis: dict[str, float]) -> None:
        years = self.scenario.horizon_years
        total = 0
        for name in self.source_names:
            n = len(self._window_arrivals(name))
            total += n
            kpis[f"arrivals.{name}"] = float(n)
            kpis[f"arrivals_per_year.{name}"] = n / years
        kpis["referrals_total"] = float(total)
        kpis["arrival_rate_per_day"] = total / self.scenario.horizon_days

    def _series(self) -> dict[str, np.ndarray]:
        n_weeks = self.recorder.n_weeks
        edges = self.report_start + DAYS_PER_WEEK * np.arange(n_weeks + 1)
        arrivals = np.zeros((n_weeks, len(self.source_names)))
        for s, name in enumerate(self.source_names):
            arrivals[:, s] = np.histogram(self._window_arrivals(name), bins=edges)[0]
        return {
            "arrivals": arrivals,
            "backlog_waiting": self.recorder.backlog_waiting,
            "backlog_in_progress": self.recorder.backlog_in_progress,
            "utilisation": self.recorder.utilisation,
            "staff_hours": self.recorder.weekly_staff_hours[:n_weeks],
        }

    def _case_table(self) -> pd.DataFrame | None:
        if self.case_rows is None:
            return None
        import pandas as pd  # only when case records are asked for

        still_open = [
            (v.case.id, self.stage_names[v.stage], v.visit_no, v.queued, v.allocated, np.nan, None)
            for v in self.recorder.open_visits
        ]
        visits = pd.DataFrame(
            self.case_rows + still_open,
            columns=[
                "case_id",
                "stage",
                "visit",
                "queued_day",
                "allocated_day",
                "left_day",
                "next",
            ],
        )
        cases = pd.DataFrame(
            {
                "case_id": [c.id for c in self._cases],
                "source": [self.source_names[c.source] for c in self._cases],
                "category": [CATEGORIES[c.category] for c in self._cases],
                "apsp": [c.apsp for c in self._cases],
                "priority": [PRIORITIES[c.priority] for c in self._cases],
                "received_day": [c.received for c in self._cases],
            }
        )
        table = cases.merge(visits, on="case_id", how="left")
        table.insert(0, "replication", self.replication)
        return self._days_from_start_date(table)

    def _days_from_start_date(self, table: pd.DataFrame) -> pd.DataFrame:
        """Case records count days from the start date, as every output does (the clock
        counts from the start of the warm-up): warm-up days are negative."""
        for column in ("received_day", "queued_day", "allocated_day", "left_day"):
            table[column] = table[column] - self.report_start
        return table


_BOOL = (False, True)


def _compact(attrs) -> tuple[array, array, array]:
    """Attribute arrays as one-byte typed arrays: indexing one gives a plain int (cheaper than
    a numpy scalar), and they take 3 bytes a case rather than 24 for lists."""
    return (
        array("b", attrs.category.astype(np.int8).tobytes()),
        array("b", attrs.apsp.astype(np.int8).tobytes()),
        array("b", attrs.priority.astype(np.int8).tobytes()),
    )


def run_replication(
    scenario: Scenario, seed: int, replication: int, record_cases: bool = False
) -> ReplicationResult:
    """Simulate one replication; a pure function of its arguments."""
    return UnitModel(scenario, seed, replication, record_cases).run()
