"""The stage network: cases, routing, and the random numbers each case uses.

Common random numbers only sharpen a comparison if the *same case* gets the
*same* effort, route and delays in both scenarios. Drawing them in the order
cases happen to reach a stage would break that as soon as staffing changes
the order. So each stage's draws are indexed by the case's position in its
own source's arrival stream: case 17 from confidential reporting has the same
assessment effort whatever the staffing, and whether or not monitoring is
switched on. Each (stage, source) pair has its own named stream.
"""

from __future__ import annotations

import bisect
import itertools
from array import array
from collections.abc import Callable

import numpy as np

from model.engine.streams import Streams
from model.scenario import CATEGORIES, PRIORITIES, Condition, Routing, Stage


class Case:
    """One referral. Attributes are small integer codes (see ``CATEGORIES``, ``PRIORITIES``)."""

    __slots__ = (
        "apsp",
        "category",
        "delay",
        "draws",
        "group",
        "id",
        "index",
        "key",
        "priority",
        "received",
        "runtime",
        "source",
        "visit",
        "visits",
    )

    def __init__(
        self,
        case_id: int,
        group: str,
        index: int,
        source: int,
        category: int,
        apsp: bool,
        priority: int,
        received: float,
        n_stages: int,
    ) -> None:
        self.id = case_id
        self.group = group  # stream group: the source name, or 'backlog.N'
        self.index = index  # position within the group: indexes the per-case draws
        self.source = source
        self.category = category
        self.apsp = apsp
        self.priority = priority
        self.received = received
        self.key = (category, apsp, priority, source)  # what routing depends on
        self.visits = [0] * n_stages
        # Where the case is now (set by the engine as it moves): its stage's runtime, the
        # open visit, the next external delay to consider and the stage's draws for its group.
        self.runtime = None
        self.visit = None
        self.delay = 0
        self.draws = None


def condition_matcher(
    condition: Condition | None, source_names: list[str]
) -> Callable[[Case], bool]:
    """A fast predicate for a scenario ``Condition`` on integer-coded cases."""
    if condition is None:
        return lambda case: True
    categories = (
        None if condition.category is None else {CATEGORIES.index(c) for c in condition.category}
    )
    priorities = (
        None if condition.priority is None else {PRIORITIES.index(p) for p in condition.priority}
    )
    sources = (
        None
        if condition.source is None
        else {source_names.index(s) for s in condition.source if s in source_names}
    )
    apsp = condition.apsp

    def matches(case: Case) -> bool:
        return (
            (categories is None or case.category in categories)
            and (apsp is None or case.apsp == apsp)
            and (priorities is None or case.priority in priorities)
            and (sources is None or case.source in sources)
        )

    return matches


class RouteTable:
    """Routing of one stage, resolved once per combination of case attributes."""

    def __init__(self, routing: Routing, source_names: list[str]) -> None:
        self._rules = [
            (condition_matcher(rule.when, source_names), self._cumulative(rule.routes))
            for rule in routing.rules
        ]
        self._default = self._cumulative(routing.default)
        self._cache: dict[tuple, tuple[list[str], list[float]]] = {}
        # Where every case goes when there is no choice (no rules, one destination): the
        # engine then reads no routing random number (the stage's routing stream, used by
        # nothing else, is simply not drawn).
        self.only: str | None = (
            next(iter(routing.default)) if not routing.rules and len(routing.default) == 1 else None
        )

    @staticmethod
    def _cumulative(routes: dict[str, float]) -> tuple[list[str], list[float]]:
        names = list(routes)
        cumulative = list(itertools.accumulate(routes[n] for n in names))
        cumulative[-1] = 1.0  # guard against rounding: u < 1 always lands somewhere
        return names, cumulative

    def choose(self, case: Case, u: float) -> str:
        """The destination for ``case`` given a uniform random number ``u``."""
        table = self._cache.get(case.key)
        if table is None:
            table = next((t for match, t in self._rules if match(case)), self._default)
            self._cache[case.key] = table
        names, cumulative = table
        return names[bisect.bisect_right(cumulative, u)]


_BLOCK_BITS = 6
DRAW_BLOCK = 1 << _BLOCK_BITS  # 64
_IN_BLOCK = DRAW_BLOCK - 1
"""Per-case random numbers are drawn this many at a time, as cases need them, and a block is
dropped once every case it serves is closed: memory follows the open cases, not the run."""


class GroupLife:
    """Which blocks of one group's per-case draws may still be needed.

    A value drawn for case ``i`` (first visit) is only ever read by case ``i``, and only while
    it is open; so when every case of a block is closed, all the group's tables drop it."""

    __slots__ = ("open", "tables")

    def __init__(self, size: int) -> None:
        self.open = [
            min(DRAW_BLOCK, size - start) for start in range(0, size, DRAW_BLOCK)
        ]  # cases not yet closed, per block
        self.tables: list[_GroupDraws] = []

    def closed(self, index: int) -> None:
        """Case ``index`` of the group is closed."""
        block = index // DRAW_BLOCK
        self.open[block] -= 1
        if self.open[block] == 0:
            for table in self.tables:
                table.blocks.pop(block, None)


class _GroupDraws:
    """Values for one (quantity, stage, group): one per case of the group, then a tail.

    Equivalent to drawing ``size`` values in one call and then one value at a time for
    re-visits (what the numbers were defined as): numpy's Generator draws each value of these
    distributions in turn from the bit stream, so n values then m values equal n + m values at
    once (tests/model/engine/test_draw_blocks.py checks each distribution family). Blocks are
    typed arrays (8 bytes a value), drawn when a case first needs one."""

    __slots__ = ("_drawn", "_life", "_make_rng", "_rng", "_sampler", "_size", "_tail", "blocks")

    def __init__(
        self,
        make_rng: Callable[[], np.random.Generator],
        sampler: Callable[[np.random.Generator, int], np.ndarray],
        size: int,
        life: GroupLife,
    ) -> None:
        self._make_rng = make_rng
        self._rng: np.random.Generator | None = None  # made on first use: most are never read
        self._sampler = sampler
        self._size = size
        self._drawn = 0  # blocks drawn so far (in order: the stream is sequential)
        self._life = life
        self._tail: np.random.Generator | None = None
        self.blocks: dict[int, array] = {}
        life.tables.append(self)

    def _draw_to(self, block: int) -> array:
        if self._rng is None:
            self._rng = self._make_rng()
        while self._drawn <= block:
            k = self._drawn
            n = min(DRAW_BLOCK, self._size - k * DRAW_BLOCK)
            values = self._sampler(self._rng, n)
            if self._life.open[k] > 0:  # else every case of the block is closed already
                self.blocks[k] = array("d", np.asarray(values, dtype=float).tobytes())
            self._drawn += 1
        return self.blocks[block]

    def get(self, index: int, visit: int) -> float:
        if visit == 0 and index < self._size:
            block = self.blocks.get(index >> _BLOCK_BITS)
            if block is None:
                block = self._draw_to(index >> _BLOCK_BITS)
            return block[index & _IN_BLOCK]
        return self._tail_value()

    def _tail_value(self) -> float:
        """A re-visit's value: the stream's next value after the ``size`` values of the cases,
        from a second generator of the same stream moved past them (re-visits are rare)."""
        if self._tail is None:
            self._tail = self._make_rng()
            for start in range(0, self._size, DRAW_BLOCK):
                self._sampler(self._tail, min(DRAW_BLOCK, self._size - start))
        return float(self._sampler(self._tail, 1)[0])


def _uniform(rng: np.random.Generator, size: int) -> np.ndarray:
    return rng.random(size)


class StageGroupDraws:
    """One stage's random numbers for the cases of one group (a source, or a backlog entry),
    resolved once so a case's visit reads them without looking anything up by name:
    ``effort.get(case.index, visit)``, ``route.get(...)``, ``delay(case.index, visit, k)``."""

    __slots__ = ("_delay_u", "_delays", "effort", "route")

    def __init__(self, draws: StageDraws, group: str) -> None:
        stage = draws.stage
        self.effort = (
            None
            if stage.effort_hours is None
            else draws.table("effort", group, stage.effort_hours.sample)
        )
        self.route = draws.route_table(group)
        self._delay_u = [
            draws.table(f"delay_u.{d.name}", group, _uniform) for d in stage.external_delays
        ]
        self._delays = [
            draws.table(f"delay.{d.name}", group, d.duration_days.sample)
            for d in stage.external_delays
        ]

    def delay(self, index: int, visit: int, k: int) -> tuple[float, float]:
        """(uniform for whether the delay happens, its duration in days) for case ``index``."""
        return self._delay_u[k].get(index, visit), self._delays[k].get(index, visit)


class StageDraws:
    """Effort, routing and delay random numbers for one stage, per case."""

    def __init__(
        self,
        streams: Streams,
        stage_name: str,
        stage: Stage,
        group_sizes: dict[str, int],
        lives: dict[str, GroupLife],
    ) -> None:
        self._streams = streams
        self._stage_name = stage_name
        self.stage = stage
        self._sizes = group_sizes
        self._lives = lives
        self._groups: dict[str, StageGroupDraws] = {}
        self.by_group = self._groups  # the same dict, read directly on the engine's hot path

    def table(
        self, quantity: str, group: str, sampler: Callable[[np.random.Generator, int], np.ndarray]
    ) -> _GroupDraws:
        name = f"{quantity}:{self._stage_name}:{group}"
        return _GroupDraws(
            lambda: self._streams.generator(name),
            sampler,
            self._sizes.get(group, 0),
            self._lives[group],
        )

    def route_table(self, group: str) -> _GroupDraws:
        """The stage's routing numbers for ``group`` (a period of the stage shares them)."""
        return self.table("routing", group, _uniform)

    def group(self, group: str) -> StageGroupDraws:
        """This stage's draws for the cases of ``group``."""
        resolved = self._groups.get(group)
        if resolved is None:
            resolved = self._groups[group] = StageGroupDraws(self, group)
        return resolved
