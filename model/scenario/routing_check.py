"""Routing that must end: every case reaches an outcome, in finite time and few visits.

A stage's routing depends on the case's attributes (the first matching rule wins, else
the default), so whether cases can loop forever depends on the attributes too: a stage
whose default returns to itself while only a rule for high-priority cases exits traps
every medium and low case. The check therefore builds, for every *attribute class* a case
can have (its source and entry stage, category, APSP flag and priority: everything a
:class:`~model.scenario.contract.Condition` can test), the absorbing Markov chain over the
stages that class can reach, with the class's own route table at each stage, and requires:

1. every reachable stage reaches a closure outcome with probability 1 (no closed set of
   stages: from each stage some path with positive probabilities leads to an outcome);
2. no cycle of stages that can all take zero time (no staff effort or an effort that can be
   exactly 0, and every external delay skippable or possibly 0): such a loop makes the
   simulation clock stand still;
3. the expected number of stage visits per case, from the fundamental matrix
   N = (I - Q)^-1 of the chain, is at most ``limits.max_expected_visits_per_case``: a loop
   that exits with probability 1e-6 is a mistake, and would make a run take forever.

At run time the engine also stops a case after ``limits.max_visits_per_case`` visits
(see :mod:`model.engine.guards`), for anything this check cannot see.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

# The scenario models are duck-typed here: contract.py calls this module from its own
# validator, so importing contract back would make an import cycle.
Scenario = Stage = Condition = AttributeMix = Distribution = Any


@dataclass(frozen=True)
class AttributeClass:
    """Everything routing can depend on, for one kind of case, and where it enters."""

    entry: str
    source: str
    category: str
    apsp: bool
    priority: str

    def describe(self) -> str:
        return (
            f"{self.priority}-priority {self.category}{' APSP' if self.apsp else ''} cases "
            f"from source '{self.source}' entering at '{self.entry}'"
        )


def _matches(condition: Condition | None, c: AttributeClass) -> bool:
    if condition is None:
        return True
    return (
        (condition.category is None or c.category in condition.category)
        and (condition.apsp is None or condition.apsp == c.apsp)
        and (condition.priority is None or c.priority in condition.priority)
        and (condition.source is None or c.source in condition.source)
    )


def _classes_of(mix: AttributeMix, entry: str, source: str) -> list[AttributeClass]:
    out = []
    for category, p_cat in mix.category.items():
        if p_cat <= 0:
            continue
        p_apsp = mix.apsp_probability_by_category.get(category, mix.apsp_probability)
        for apsp in [flag for flag, p in ((True, p_apsp), (False, 1 - p_apsp)) if p > 0]:
            if apsp and mix.apsp_priority is not None:
                priorities = [mix.apsp_priority]
            else:
                priorities = [p for p, q in mix.priority.items() if q > 0]
            out += [AttributeClass(entry, source, category, apsp, p) for p in priorities]
    return out


def attribute_classes(s: Scenario) -> list[AttributeClass]:
    """Every attribute class a case of the scenario can have (sources enabled or not:
    a lever may switch one on)."""
    seen: dict[AttributeClass, None] = {}
    for name, source in s.sources.items():
        for c in _classes_of(source.mix, source.entry_stage, name):
            seen[c] = None
    for entry in s.initial_backlog:
        for c in _classes_of(s.sources[entry.source].mix, entry.stage, entry.source):
            seen[c] = None
    return list(seen)


def _signature(s: Scenario, c: AttributeClass) -> tuple:
    """What the checks can see of a class: its entry, the rule it follows at each stage and
    which external delays apply to it. Classes with one signature behave alike."""
    rules = []
    for stage in s.stages.values():
        chosen = next(
            (i for i, rule in enumerate(stage.routing.rules) if _matches(rule.when, c)), -1
        )
        delays = tuple(_matches(d.when, c) for d in stage.external_delays)
        rules.append((chosen, delays))
    return (c.entry, tuple(rules))


def _distinct_classes(s: Scenario) -> list[AttributeClass]:
    """One attribute class per signature (the first met), so a scenario with hundreds of
    classes but few rules is checked in a few chains."""
    seen: dict[tuple, AttributeClass] = {}
    for c in attribute_classes(s):
        seen.setdefault(_signature(s, c), c)
    return list(seen.values())


def routes_for(stage: Stage, c: AttributeClass) -> dict[str, float]:
    """The route table a case of class ``c`` uses at ``stage`` (first matching rule wins)."""
    for rule in stage.routing.rules:
        if _matches(rule.when, c):
            return rule.routes
    return stage.routing.default


def _can_be_zero(dist: Distribution) -> bool:
    """Whether a distribution puts positive probability on exactly zero."""
    kind = getattr(dist, "dist", "")
    if kind == "fixed":
        return dist.value == 0
    if kind == "empirical":
        weights = dist.weights or [1.0] * len(dist.values)
        return any(v == 0 and w > 0 for v, w in zip(dist.values, weights, strict=True))
    return False


def can_take_zero_time(stage: Stage, c: AttributeClass) -> bool:
    """Whether a case of class ``c`` can pass through ``stage`` in no time at all."""
    if stage.effort_hours is not None and not _can_be_zero(stage.effort_hours):
        return False
    for delay in stage.external_delays:
        always = delay.probability >= 1 and _matches(delay.when, c)
        if always and not _can_be_zero(delay.duration_days):
            return False
    return True


@dataclass(frozen=True)
class ClassChain:
    """The absorbing chain of one attribute class over the stages it can reach."""

    cls: AttributeClass
    stages: list[str]
    expected_visits: float  # per case entering at cls.entry (inf if it may never close)


def _reachable(s: Scenario, c: AttributeClass) -> list[str]:
    order = [c.entry]
    seen = {c.entry}
    for name in order:
        for dest, p in routes_for(s.stages[name], c).items():
            if p > 0 and dest in s.stages and dest not in seen:
                seen.add(dest)
                order.append(dest)
    return order


def _closing(s: Scenario, c: AttributeClass, stages: list[str]) -> set[str]:
    """The stages from which some path with positive probabilities reaches an outcome."""
    outcomes = set(s.outcomes)
    closing: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name in stages:
            if name in closing:
                continue
            dests = {d for d, p in routes_for(s.stages[name], c).items() if p > 0}
            if dests & (outcomes | closing):
                closing.add(name)
                changed = True
    return closing


def _zero_time_cycle(s: Scenario, c: AttributeClass, stages: list[str]) -> list[str] | None:
    """A cycle of stages that can all take zero time, if there is one."""
    zero = [n for n in stages if can_take_zero_time(s.stages[n], c)]
    zero_set = set(zero)
    edges = {
        n: [d for d, p in routes_for(s.stages[n], c).items() if p > 0 and d in zero_set]
        for n in zero
    }
    state: dict[str, int] = {}  # 1: on the path, 2: done
    for start in zero:
        if start in state:
            continue
        path = [start]
        iters = [iter(edges[start])]
        state[start] = 1
        while iters:
            nxt = next(iters[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                iters.pop()
            elif state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                iters.append(iter(edges[nxt]))
    return None


def class_chains(s: Scenario) -> list[ClassChain]:
    """The chain of every attribute class (for the run-size estimate)."""
    chains = []
    for c in attribute_classes(s):
        stages = _reachable(s, c)
        chains.append(ClassChain(c, stages, expected_visits(s, c, stages)))
    return chains


def routing_problems(s: Scenario) -> list[str]:
    """One line per routing problem (the first attribute class showing it, and how many
    more do)."""
    found: dict[str, tuple[str, list[AttributeClass]]] = {}

    def note(key: str, message: str, c: AttributeClass) -> None:
        found.setdefault(key, (message, []))[1].append(c)

    limit = s.limits.max_expected_visits_per_case
    for c in _distinct_classes(s):
        stages = _reachable(s, c)
        closing = _closing(s, c, stages)
        trapped = [n for n in stages if n not in closing]
        for name in trapped:
            key = f"stages.{name}.routing: no route from here ever reaches a closure outcome"
            note(key, key, c)
        if trapped:
            continue
        cycle = _zero_time_cycle(s, c, stages)
        if cycle is not None:
            key = (
                f"stages.{cycle[0]}.routing: the loop {' -> '.join(cycle)} can take no time at "
                "all (no effort and no delay that always happens); give one stage effort"
            )
            note(key, key, c)
            continue
        visits, busiest = _visits_by_stage(s, c, stages)
        if visits > limit:
            shown = "endlessly" if not np.isfinite(visits) else f"{visits:,.0f} times"
            key = f"stages.{busiest}.routing: expected visits"
            note(
                key,
                f"stages.{busiest}.routing: cases would visit stages {shown} on average "
                f"(limits.max_expected_visits_per_case is {limit:,g}): a loop rarely exits",
                c,
            )
    lines = []
    for message, classes in itertools.islice(found.values(), 50):
        more = f"; and {len(classes) - 1} more kinds of case" if len(classes) > 1 else ""
        lines.append(f"{message} (for {classes[0].describe()}{more})")
    return lines


def _visits_by_stage(s: Scenario, c: AttributeClass, stages: list[str]) -> tuple[float, str]:
    """Expected visits in total and the stage visited most (where the loop is)."""
    index = {n: i for i, n in enumerate(stages)}
    q = np.zeros((len(stages), len(stages)))
    for n in stages:
        for dest, p in routes_for(s.stages[n], c).items():
            if dest in index:
                q[index[n], index[dest]] += p
    try:
        row = np.linalg.solve((np.eye(len(stages)) - q).T, np.eye(len(stages))[index[c.entry]])
    except np.linalg.LinAlgError:
        return float("inf"), c.entry
    total = float(row.sum())
    if not np.isfinite(total) or total < 1 - 1e-9:
        return float("inf"), c.entry
    return total, stages[int(np.argmax(row))]


def expected_visits(s: Scenario, c: AttributeClass, stages: list[str]) -> float:
    """Expected stage visits of a case of class ``c`` from its entry to its closure."""
    return _visits_by_stage(s, c, stages)[0]


def mean_visits(s: Scenario, mix: AttributeMix, entry: str, source: str) -> float:
    """Expected stage visits of a case from ``source`` entering at ``entry``, averaged over
    its mix of attributes (for the run-size estimate)."""
    total = 0.0
    for category, p_cat in mix.category.items():
        if p_cat <= 0:
            continue
        p_apsp = mix.apsp_probability_by_category.get(category, mix.apsp_probability)
        for apsp, p_flag in ((True, p_apsp), (False, 1 - p_apsp)):
            if p_flag <= 0:
                continue
            if apsp and mix.apsp_priority is not None:
                priorities = {mix.apsp_priority: 1.0}
            else:
                priorities = mix.priority
            for priority, p_prio in priorities.items():
                if p_prio <= 0:
                    continue
                c = AttributeClass(entry, source, category, apsp, priority)
                visits = expected_visits(s, c, _reachable(s, c))
                total += p_cat * p_flag * p_prio * visits
    return total
