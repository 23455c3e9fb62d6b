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
from collections.abc import Callable

import numpy as np

from model.distributions import Distribution
from model.engine.streams import Streams
from model.scenario import CATEGORIES, PRIORITIES, Condition, Routing, Stage


class Case:
    """One referral. Attributes are small integer codes (see ``CATEGORIES``, ``PRIORITIES``)."""

    __slots__ = (
        "apsp",
        "category",
        "group",
        "id",
        "index",
        "priority",
        "received",
        "source",
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
        self.visits = [0] * n_stages


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

    @staticmethod
    def _cumulative(routes: dict[str, float]) -> tuple[list[str], list[float]]:
        names = list(routes)
        cumulative = list(itertools.accumulate(routes[n] for n in names))
        cumulative[-1] = 1.0  # guard against rounding: u < 1 always lands somewhere
        return names, cumulative

    def choose(self, case: Case, u: float) -> str:
        """The destination for ``case`` given a uniform random number ``u``."""
        key = (case.category, case.apsp, case.priority, case.source)
        table = self._cache.get(key)
        if table is None:
            table = next((t for match, t in self._rules if match(case)), self._default)
            self._cache[key] = table
        names, cumulative = table
        return names[bisect.bisect_right(cumulative, u)]


class _GroupDraws:
    """Values for one (quantity, stage, group): a block indexed by case, then a tail."""

    __slots__ = ("_block", "_rng", "_sampler")

    def __init__(
        self,
        rng: np.random.Generator,
        sampler: Callable[[np.random.Generator, int], np.ndarray],
        size: int,
    ) -> None:
        self._rng = rng
        self._sampler = sampler
        self._block = sampler(rng, size).tolist()

    def get(self, index: int, visit: int) -> float:
        if visit == 0 and index < len(self._block):
            return self._block[index]
        return float(self._sampler(self._rng, 1)[0])  # re-visits: rare, drawn in turn


def _uniform(rng: np.random.Generator, size: int) -> np.ndarray:
    return rng.random(size)


class StageDraws:
    """Effort, routing and delay random numbers for one stage, per case."""

    def __init__(
        self, streams: Streams, stage_name: str, stage: Stage, group_sizes: dict[str, int]
    ) -> None:
        self._streams = streams
        self._stage_name = stage_name
        self._stage = stage
        self._sizes = group_sizes
        self._tables: dict[tuple[str, str], _GroupDraws] = {}

    def _table(
        self, quantity: str, group: str, sampler: Callable[[np.random.Generator, int], np.ndarray]
    ) -> _GroupDraws:
        key = (quantity, group)
        table = self._tables.get(key)
        if table is None:
            rng = self._streams.generator(f"{quantity}:{self._stage_name}:{group}")
            table = _GroupDraws(rng, sampler, self._sizes.get(group, 0))
            self._tables[key] = table
        return table

    def effort(self, case: Case, visit: int) -> float:
        dist: Distribution = self._stage.effort_hours
        return self._table("effort", case.group, dist.sample).get(case.index, visit)

    def route(self, case: Case, visit: int) -> float:
        return self._table("routing", case.group, _uniform).get(case.index, visit)

    def delay(self, case: Case, visit: int, k: int) -> tuple[float, float]:
        """(uniform for whether the delay happens, its duration in days)."""
        delay = self._stage.external_delays[k]
        u = self._table(f"delay_u.{delay.name}", case.group, _uniform).get(case.index, visit)
        duration = self._table(f"delay.{delay.name}", case.group, delay.duration_days.sample).get(
            case.index, visit
        )
        return u, duration
