"""The chance that a case now in one stage goes on to reach another, from the routing.

Why: at the end of a run some cases are still open upstream of a stage a figure is about
(an alert still waiting for review, when the target is on assessment). Whether each will
ever reach that stage is not known yet, but routing does not depend on load or waiting
time (assumption A8), so the chance is known exactly from the routing probabilities for
the case's attributes. Censored figures count such a case with that chance as its weight:
the expected number of cases among them that will reach the stage, neither all of them
(most alerts are closed at review) nor none (the cases never started would vanish from
the figure, which is the flaw this fixes).
"""

from __future__ import annotations

from collections.abc import Callable

from model.engine.stages import Case, condition_matcher
from model.scenario import Scenario

_MAX_SWEEPS = 10_000
_CONVERGED = 1e-13


class Reach:
    """P(a case finishing stage ``s`` later enters stage ``target``), by case attributes."""

    def __init__(self, scenario: Scenario, target: str) -> None:
        self._stages = list(scenario.stages)
        self._target = self._stages.index(target)
        sources = list(scenario.sources)
        self._tables: list[tuple[list[tuple[Callable[[Case], bool], dict]], dict]] = [
            (
                [(condition_matcher(r.when, sources), r.routes) for r in stage.routing.rules],
                stage.routing.default,
            )
            for stage in scenario.stages.values()
        ]
        self._cache: dict[tuple, list[float]] = {}

    def after(self, stage: int, case: Case) -> float:
        """The chance that ``case``, now in ``stage``, enters the target stage afterwards."""
        key = (case.category, case.apsp, case.priority, case.source)
        probabilities = self._cache.get(key)
        if probabilities is None:
            probabilities = self._cache[key] = self._solve(case)
        return probabilities[stage]

    def _solve(self, case: Case) -> list[float]:
        """r(s) = sum over destinations d of p_s(d) x (1 if d is the target else r(d)),
        by repeated substitution from 0 (monotone; routing loops converge geometrically)."""
        routes = [
            next((r for m, r in rules if m(case)), default) for rules, default in self._tables
        ]
        index = {name: i for i, name in enumerate(self._stages)}
        reach = [0.0] * len(self._stages)
        for _ in range(_MAX_SWEEPS):
            new = [
                sum(
                    p * (1.0 if index.get(d) == self._target else reach[index[d]])
                    for d, p in table.items()
                    if d in index
                )
                for table in routes
            ]
            change = max(abs(a - b) for a, b in zip(new, reach, strict=True))
            reach = new
            if change < _CONVERGED:
                break
        return reach
