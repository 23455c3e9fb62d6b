"""The search for the cheapest staffing that meets the targets, over any evaluation function.

Nothing here simulates: ``evaluate(staffing)`` says whether a staffing meets
the targets (and by how much it misses), so the algorithm can be tested
against brute force on made-up feasibility rules, and the simulation-backed
evaluation (:mod:`planning.staffing.runs`) can cache and reuse replications.

The method relies on one property of staffing problems: more staff of any
role never makes a target worse (monotonicity; beyond noise, and with common
random numbers the noise between neighbouring staffings is small). Then:

1. **Ceiling.** If the targets are missed with every role at its ceiling, no
   staffing in range meets them: stop and say which.
2. **Per-role floors.** For each role, the fewest FTE that meets the targets
   when every other role is at its ceiling (a galloping then bisecting search
   starting from the analytic estimate). By monotonicity no feasible staffing
   has fewer of that role, so if these floors together meet the targets they
   are the cheapest answer - exactly, not approximately. Roles barely
   interact in a unit like this (each works its own stages), so this is the
   common case and it costs a few evaluations per role. A staffing probed
   here only bounds a floor and is never the answer itself, so it may be
   judged by a cheaper, less sure test (``evaluate_floor_probe``): a floor
   put a step too high can make the answer a step dearer, never wrong.
3. **Best-first over the grid** where roles interact (a target spanning the
   stages of two roles, so the floors together miss it): staffings at or
   above the floors are visited in order of cost; one that is at or below a
   staffing known to miss is skipped (by monotonicity it misses too), the
   others are evaluated, and the first that meets the targets is the
   cheapest - again exactly. Few staffings are evaluated when the answer is a
   few steps above the floors, as it is when roles interact weakly.
4. **Fallback** if that would take more than ``exact_evaluations``: greedy
   repair from the floors (add the step with the largest fall in shortfall
   per pound until the targets are met), then pruning (remove steps, dearest
   first, while the targets stay met) and exchanges (move a step from a
   dearer role to a cheaper one while the targets stay met).
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from planning.staffing.analytic import FTE_TOLERANCE

Staffing = dict[str, float]


@dataclass(frozen=True)
class Evaluation:
    """Whether a staffing meets the targets, and how far it falls short (0 when it meets them)."""

    staffing: Staffing
    feasible: bool
    shortfall: float
    failing: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchSpace:
    """The roles searched, each with its step, floor, ceiling and cost of one FTE a year."""

    roles: tuple[str, ...]
    step: dict[str, float]
    floor: dict[str, float]
    ceiling: dict[str, float]
    cost: dict[str, float]

    def grid(self, role: str) -> list[float]:
        """FTE values of ``role`` the search may use, floor to ceiling."""
        step, low, high = self.step[role], self.floor[role], self.ceiling[role]
        count = int((high - low) / step + FTE_TOLERANCE) + 1
        return [round(low + k * step, 9) for k in range(max(count, 0))]

    def top(self) -> Staffing:
        return {r: self.ceiling[r] for r in self.roles}

    def cost_of(self, staffing: Staffing) -> float:
        return sum(self.cost[r] * staffing[r] for r in self.roles)

    def step_cost(self, role: str) -> float:
        return self.cost[role] * self.step[role]

    def grid_size(self) -> int:
        size = 1
        for role in self.roles:
            size *= len(self.grid(role))
        return size


def moved(staffing: Staffing, role: str, steps: float, space: SearchSpace) -> Staffing:
    """``staffing`` with ``steps`` steps more (or fewer) of ``role``."""
    out = dict(staffing)
    out[role] = round(staffing[role] + steps * space.step[role], 9)
    return out


@dataclass
class SearchOutcome:
    """What the search found: the staffing, whether it meets the targets, and its path."""

    staffing: Staffing
    feasible: bool
    floors: Staffing = field(default_factory=dict)
    best: Evaluation | None = None
    repaired: bool = False


Evaluate = Callable[[Staffing], Evaluation]


def role_floor(
    space: SearchSpace, evaluate: Evaluate, role: str, guess: float, top: Staffing
) -> float:
    """Fewest FTE of ``role`` meeting the targets with every other role at its ceiling.

    Gallops from ``guess`` (1, 2, 4, ... steps) to bracket the change from missing to
    meeting, then bisects; the ceiling itself is known to meet them."""
    grid = space.grid(role)
    if len(grid) == 1:
        return grid[0]

    def ok(i: int) -> bool:
        return i == len(grid) - 1 or evaluate({**top, role: grid[i]}).feasible

    i = min(range(len(grid)), key=lambda k: abs(grid[k] - guess))
    if ok(i):
        high, jump, low = i, 1, -1
        while high > 0:
            probe = max(high - jump, 0)
            if ok(probe):
                high, jump = probe, jump * 2
            else:
                low = probe
                break
    else:
        low, jump, high = i, 1, len(grid) - 1
        while True:
            probe = min(low + jump, len(grid) - 1)
            if ok(probe):
                high = probe
                break
            low, jump = probe, jump * 2
    while high - low > 1:
        middle = (low + high) // 2
        if ok(middle):
            high = middle
        else:
            low = middle
    return grid[high]


def repair(
    space: SearchSpace,
    evaluate: Evaluate,
    start: Staffing,
    current: Evaluation,
    diagonal: bool = True,
) -> tuple[Staffing, Evaluation]:
    """Add steps, best fall in shortfall per pound first, until the targets are met.

    Where no single step helps, ``diagonal`` adds a step of every role at once (towards the
    ceiling, which meets the targets); without it the repair stops there."""
    x, e = dict(start), current
    while not e.feasible:
        growable = [r for r in space.roles if x[r] + FTE_TOLERANCE < space.ceiling[r]]
        if not growable:
            return x, e
        scores = {}
        for role in growable:
            candidate = evaluate(moved(x, role, 1, space))
            gain = e.shortfall - candidate.shortfall
            price = space.step_cost(role)
            scores[role] = (gain / price if price > 0 else gain * 1e12, -price, candidate)
        role = max(scores, key=lambda r: scores[r][:2])
        if scores[role][0] > 0:
            x, e = scores[role][2].staffing, scores[role][2]
        elif not diagonal:
            return x, e
        else:  # no single step helps: move towards the ceiling on every role at once
            for r in growable:
                x = moved(x, r, 1, space)
            e = evaluate(x)
    return x, e


def prune(space: SearchSpace, evaluate: Evaluate, start: Staffing, floors: Staffing) -> Staffing:
    """Remove steps (dearest first) while the targets stay met; never below the floors."""
    x = dict(start)
    order = sorted(space.roles, key=lambda r: -space.step_cost(r))
    removed = True
    while removed:
        removed = False
        for role in order:
            if x[role] - space.step[role] + FTE_TOLERANCE < floors[role]:
                continue
            candidate = moved(x, role, -1, space)
            if evaluate(candidate).feasible:
                x, removed = candidate, True
                break
    return x


def exchange(space: SearchSpace, evaluate: Evaluate, start: Staffing, floors: Staffing) -> Staffing:
    """Move a step from a dearer role to a cheaper one while that still meets the targets."""
    x = dict(start)
    improved = True
    while improved:
        improved = False
        for dear, cheap in itertools.permutations(space.roles, 2):
            if space.step_cost(dear) <= space.step_cost(cheap):
                continue
            if x[dear] - space.step[dear] + FTE_TOLERANCE < floors[dear]:
                continue
            if x[cheap] + space.step[cheap] > space.ceiling[cheap] + FTE_TOLERANCE:
                continue
            candidate = moved(moved(x, dear, -1, space), cheap, 1, space)
            if evaluate(candidate).feasible:
                x, improved = prune(space, evaluate, candidate, floors), True
                break
    return x


def dominated(x: Staffing, y: Staffing) -> bool:
    """Whether ``x`` has no more of any role than ``y``."""
    return all(x[r] <= y[r] + FTE_TOLERANCE for r in x)


def best_first(
    space: SearchSpace, evaluate: Evaluate, floors: Staffing, limit: int
) -> Staffing | None:
    """The cheapest staffing at or above ``floors`` meeting the targets, visiting staffings in
    order of cost (ties: fewer FTE first); None if that needs more than ``limit`` evaluations
    (or nothing in range meets them). Staffings at or below a known miss are not evaluated."""
    misses: list[Staffing] = []
    start = {r: floors[r] for r in space.roles}

    def key(x: Staffing) -> tuple:
        return (round(space.cost_of(x), 6), round(sum(x.values()), 9), tuple(x.values()))

    heap = [(key(start), start)]
    seen = {tuple(start.values())}
    evaluations = 0
    while heap:
        _, x = heapq.heappop(heap)
        if not any(dominated(x, miss) for miss in misses):
            if evaluations >= limit:
                return None
            evaluations += 1
            if evaluate(x).feasible:
                return x
            misses.append(x)
        for role in space.roles:
            if x[role] + space.step[role] <= space.ceiling[role] + FTE_TOLERANCE:
                y = moved(x, role, 1, space)
                if tuple(y.values()) not in seen:
                    seen.add(tuple(y.values()))
                    heapq.heappush(heap, (key(y), y))
    return None


def cheapest_staffing(
    space: SearchSpace,
    evaluate: Evaluate,
    guess: Staffing,
    exact_evaluations: int = 60,
    evaluate_floor_probe: Evaluate | None = None,
) -> SearchOutcome:
    """The cheapest staffing in ``space`` meeting the targets (see the module docstring).

    ``evaluate_floor_probe`` (default ``evaluate``) judges the staffings that only bound a
    role's floor (step 2): it may be cheaper and less sure, since such a staffing is never the
    answer itself; a floor it puts a step too high can make the answer a step dearer, never
    wrong. Every staffing that could be the answer is judged by ``evaluate``."""
    top = space.top()
    at_top = evaluate(top)
    if not at_top.feasible:
        return SearchOutcome(staffing=top, feasible=False, best=at_top)
    bound = evaluate_floor_probe or evaluate
    floors = {r: role_floor(space, bound, r, guess[r], top) for r in space.roles}
    at_floors = evaluate(floors)
    if at_floors.feasible:
        return SearchOutcome(staffing=floors, feasible=True, floors=floors, best=at_floors)
    exact = best_first(space, evaluate, floors, exact_evaluations)
    if exact is not None:
        return SearchOutcome(
            staffing=exact, feasible=True, floors=floors, best=evaluate(exact), repaired=True
        )
    x, e = repair(space, evaluate, floors, at_floors)
    if not e.feasible:  # only if monotonicity fails badly: the ceiling met the targets
        return SearchOutcome(staffing=top, feasible=True, floors=floors, best=at_top)
    x = prune(space, evaluate, x, floors)
    x = exchange(space, evaluate, x, floors)
    return SearchOutcome(staffing=x, feasible=True, floors=floors, best=evaluate(x), repaired=True)
