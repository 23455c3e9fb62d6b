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

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import simpy

from model.engine.kpis import Recorder, Visit
from model.engine.sources import DAYS_PER_WEEK, sample_arrival_times, sample_attributes
from model.engine.staff import CaseloadSlots, StaffPool, Task
from model.engine.stages import Case, RouteTable, StageDraws, condition_matcher
from model.engine.streams import Streams
from model.engine.workforce import Workforce
from model.scenario import CATEGORIES, PRIORITIES, Scenario, StaffingChange, days_from_start


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
        self.env = simpy.Environment()
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
        self._seq = 0

        self._arrivals = self._sample_arrivals()
        group_sizes = {name: len(a[0]) for name, a in self._arrivals.items()}
        for i, entry in enumerate(scenario.initial_backlog):
            group_sizes[f"backlog.{i}"] = entry.waiting + entry.in_progress
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

        def on_finish(task: Task) -> None:
            visit: Visit = task.owner
            self.recorder.work_done(r, visit.case.source, task.hours, self.env.now)

        return StaffPool(self.env, role.casework_hours_per_day, self._on_work_start, on_finish)

    def _make_stage(self, name: str, index: int, group_sizes: dict[str, int]) -> _StageRuntime:
        stage = self.scenario.stages[name]
        role_index = -1 if stage.role is None else self.role_names.index(stage.role)
        return _StageRuntime(
            name=name,
            index=index,
            pool=None if stage.role is None else self.pools[role_index],
            role_index=role_index,
            slots=self.slots.get(stage.role) if stage.holds_caseload else None,
            draws=StageDraws(self.streams, name, stage, group_sizes),
            routes=RouteTable(stage.routing, self.source_names),
            delays=[
                (condition_matcher(d.when, self.source_names), d.probability)
                for d in stage.external_delays
            ],
            fifo=stage.discipline == "fifo",
            precedence=stage.precedence,
        )

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
    def _key(self, stage: _StageRuntime, case: Case, rank_override: int | None = None) -> tuple:
        rank = 0 if stage.fifo else case.priority
        if rank_override is not None:
            rank = rank_override
        self._seq += 1
        return (stage.precedence, rank, self._seq)

    def _on_work_start(self, task: Task) -> None:
        visit: Visit = task.owner
        if self.stages[visit.stage].slots is None and visit.allocated != visit.allocated:
            self.recorder.allocated(visit, self.env.now)

    def _case_process(self, case: Case, stage: _StageRuntime, preexisting: str | None = None):
        """A case's journey; ``preexisting`` is 'waiting' or 'in_progress' for backlog cases."""
        env = self.env
        recorder = self.recorder
        while True:
            visit_no = case.visits[stage.index]
            case.visits[stage.index] += 1
            queued = case.received if preexisting else env.now
            visit = Visit(case, stage.index, visit_no, queued)
            recorder.entered(visit, env.now)
            effort_share = 1.0
            rank = None
            if preexisting == "in_progress":
                visit.preexisting = True
                recorder.allocated(visit, env.now)
                if stage.slots is not None:
                    stage.slots.hold_existing()
                effort_share = float(self._backlog_rng.random())  # work remaining
                rank = -1  # already in someone's hands: continues first
            preexisting = None

            if stage.slots is not None and not visit.preexisting:
                yield stage.slots.acquire(self._key(stage, case))
                recorder.allocated(visit, env.now)
            if stage.pool is not None:
                hours = stage.draws.effort(case, visit_no) * effort_share
                task = Task(hours, visit)
                yield stage.pool.request(self._key(stage, case, rank), task)
            elif visit.allocated != visit.allocated:
                recorder.allocated(visit, env.now)
            for k, (matches, probability) in enumerate(stage.delays):
                if matches(case):
                    u, duration = stage.draws.delay(case, visit_no, k)
                    if u < probability:
                        yield env.timeout(duration)
            if stage.slots is not None:
                stage.slots.release()
            recorder.exited(visit, env.now)
            destination = stage.routes.choose(case, stage.draws.route(case, visit_no))
            if self.case_rows is not None:
                self.case_rows.append(
                    (
                        case.id,
                        stage.name,
                        visit_no,
                        visit.queued,
                        visit.allocated,
                        env.now,
                        destination,
                    )
                )
            following = self._next[destination]
            if isinstance(following, int):
                recorder.case_closed(case, following, env.now)
                return
            stage = following

    def _new_case(
        self, group: str, index: int, source: int, attrs: tuple[list, list, list], received: float
    ) -> Case:
        """A case; ``attrs`` holds its source's (category, apsp, priority) lists."""
        case = Case(
            case_id=self._n_cases,
            group=group,
            index=index,
            source=source,
            category=attrs[0][index],
            apsp=attrs[1][index],
            priority=attrs[2][index],
            received=received,
            n_stages=len(self.stage_names),
        )
        self._n_cases += 1
        if self.case_rows is not None:
            self._cases.append(case)
        return case

    def _start_backlog(self) -> None:
        self._backlog_rng = self.streams.generator("backlog:remaining_effort")
        for i, entry in enumerate(self.scenario.initial_backlog):
            n = entry.waiting + entry.in_progress
            if n == 0:
                continue
            source = self.source_names.index(entry.source)
            rng = self.streams.generator(f"backlog:{i}")
            attrs = _as_lists(sample_attributes(self.scenario.sources[entry.source].mix, n, rng))
            ages = np.zeros(n) if entry.age_days is None else entry.age_days.sample(rng, n)
            stage = self.stages[self.stage_index[entry.stage]]
            for j in range(n):
                state = "in_progress" if j < entry.in_progress else "waiting"
                case = self._new_case(f"backlog.{i}", j, source, attrs, -float(ages[j]))
                self.recorder.case_created(case, 0.0)
                self.env.process(self._case_process(case, stage, state))

    def _arrival_process(self):
        """Feed every source's pre-sampled arrivals into the model in time order."""
        env = self.env
        feeds = [
            (
                name,
                self.source_names.index(name),
                _as_lists(attrs),
                self.stages[self.stage_index[self.scenario.sources[name].entry_stage]],
            )
            for name, (_, attrs) in self._arrivals.items()
        ]
        merged = [
            (t, s, j)
            for s, (_, times) in enumerate(self._arrivals.items())
            for j, t in enumerate(times[0].tolist())
        ]
        merged.sort()
        for t, s, j in merged:
            if t > env.now:
                yield env.timeout(t - env.now)
            name, source, attrs, entry = feeds[s]
            case = self._new_case(name, j, source, attrs, t)
            self.recorder.case_created(case, t)
            env.process(self._case_process(case, entry))

    def _monitor(self):
        """Snapshot backlog and utilisation at the start and the end of every week."""
        recorder = self.recorder
        if self.report_start > 0:
            yield self.env.timeout(self.report_start)
        recorder.snapshot_start([p.areas() for p in self.pools], self.env.now)
        for week in range(recorder.n_weeks):
            yield self.env.timeout(DAYS_PER_WEEK)
            recorder.snapshot_week(week, [p.areas() for p in self.pools])

    # ------------------------------------------------------------ run
    def run(self) -> ReplicationResult:
        self._cases: list[Case] = []
        self._n_cases = 0
        self._start_backlog()
        self.env.process(self._arrival_process())
        self.env.process(self._monitor())
        self.env.run(until=self.report_end)
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
        return table


def _as_lists(attrs) -> tuple[list, list, list]:
    """Attribute arrays as plain lists: indexing a list is much cheaper than a numpy scalar."""
    return attrs.category.tolist(), attrs.apsp.tolist(), attrs.priority.tolist()


def run_replication(
    scenario: Scenario, seed: int, replication: int, record_cases: bool = False
) -> ReplicationResult:
    """Simulate one replication; a pure function of its arguments."""
    return UnitModel(scenario, seed, replication, record_cases).run()
