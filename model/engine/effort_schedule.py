"""Effort that changes over time: a stage's ``effort_changes`` applied by date.

A go-live or a new way of working changes how much staff time a case needs from a date
on. The engine fixes a visit's effort when the visit asks the role for work (on entering
a stage without caseload; when its caseload slot is granted otherwise), so that is the
moment the schedule is read: the effort (and external delays) in force then are the
visit's for the rest of its stay.

Each period after a change has its own named random streams (``effort:STAGE@DATE:GROUP``,
``delay.NAME:STAGE@DATE:GROUP``), so a scenario without changes draws exactly the numbers
it always did, and case ``i`` of a source gets the same draw in a period whatever happens
before it (common random numbers). Routing does not depend on effort: every period reads
the stage's own routing stream, so a case keeps its route whichever period it is worked in.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from typing import Generic, TypeVar

from model.engine.stages import GroupLife, StageDraws, _GroupDraws
from model.engine.streams import Streams
from model.scenario import Scenario, Stage, days_from_start

Runtime = TypeVar("Runtime")


class PeriodDraws(StageDraws):
    """A period's effort and delay draws; its routing numbers are the stage's own."""

    def __init__(
        self,
        base: StageDraws,
        streams: Streams,
        label: str,
        stage: Stage,
        group_sizes: dict[str, int],
        lives: dict[str, GroupLife],
    ) -> None:
        super().__init__(streams, label, stage, group_sizes, lives)
        self._base = base

    def route_table(self, group: str) -> _GroupDraws:
        return self._base.group(group).route


def period_stages(scenario: Scenario, name: str) -> list[tuple[float, str, Stage]]:
    """(clock day from which it applies, stream label, the stage as it is then) for each of
    the stage's effort changes, in order; a change dated before the clock starts applies
    from day 0."""
    stage = scenario.stages[name]
    return [
        (
            max(days_from_start(scenario, change.date), 0.0),
            f"{name}@{change.date.isoformat()}",
            stage.at(change.date),
        )
        for change in stage.effort_changes
    ]


class EffortSchedule(Generic[Runtime]):
    """Which runtime of a stage (its own, or a period's) is in force at a clock time."""

    __slots__ = ("_days", "_runtimes")

    def __init__(self, base: Runtime, periods: list[tuple[float, Runtime]]) -> None:
        self._days = [day for day, _ in periods]
        self._runtimes = [base, *(runtime for _, runtime in periods)]

    def at(self, now: float) -> Runtime:
        """The runtime in force at clock time ``now`` (a change applies from its day on)."""
        return self._runtimes[bisect.bisect_right(self._days, now)]


def build_schedule(
    scenario: Scenario,
    name: str,
    base: Runtime,
    base_draws: StageDraws,
    streams: Streams,
    group_sizes: dict[str, int],
    lives: dict[str, GroupLife],
    make_runtime: Callable[[Stage, StageDraws], Runtime],
) -> EffortSchedule[Runtime] | None:
    """The stage's schedule, or None when its effort never changes (the engine's fast path).

    ``make_runtime(stage, draws)``: the engine's runtime for one period (the base's pool,
    slots and routes with the period's draws and delays)."""
    periods = period_stages(scenario, name)
    if not periods:
        return None
    runtimes = [
        (
            day,
            make_runtime(stage, PeriodDraws(base_draws, streams, label, stage, group_sizes, lives)),
        )
        for day, label, stage in periods
    ]
    return EffortSchedule(base, runtimes)
