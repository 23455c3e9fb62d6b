"""Staffing estimates: the cheapest unit that meets the targets, what it costs, when to recruit.

The public face of the staffing feature (the CLI's ``acusim staff`` and the
app call these):

* :func:`analytic_staffing` - offered load per role and a first estimate
  (Erlang C or square-root staffing), from :mod:`planning.staffing.analytic`;
* :func:`search_staffing` - the simulation search: replications chosen by
  the sequential method (:mod:`planning.staffing.precision`), candidates
  compared with common random numbers (:mod:`planning.staffing.runs`), the
  search itself (:mod:`planning.staffing.search`), then the answer re-run with
  fresh seeds to confirm it;
* :func:`first_failures` and :func:`recruitment_plan`
  (:mod:`planning.staffing.when`) - with today's staffing, when each target
  first fails; how many of each role, and when recruitment must start given
  each role's lead time.

A target is *met with confidence* when the one-sided confidence bound of its
KPI across replications (lower for ``>=`` targets, upper for ``<=``) is on
the right side of its threshold. The method and its reasons are in
docs/staffing.md.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from contextlib import nullcontext

import pandas as pd

from model.replications import one_sided_bound, process_pool, stop_pool
from model.scenario import Scenario, ScenarioError
from planning.staffing import report as staffing_report
from planning.staffing.analytic import FTE_TOLERANCE, analytic_staffing, snap_up
from planning.staffing.cache import ReplicationCache
from planning.staffing.control import CancelToken, SearchCancelled, WorkPlan
from planning.staffing.establishment import (
    analytic_in_posts,
    establishment_note,
    establishment_table,
)
from planning.staffing.precision import PrecisionRule, sequential_replications
from planning.staffing.result import PHASES, SearchProgress, StaffingResult, json_records
from planning.staffing.runs import (
    CandidateRunner,
    TargetJudge,
    apply_staffing,
    fte_at,
    key_of,
    reporting_from,
)
from planning.staffing.search import (
    Evaluation,
    SearchOutcome,
    SearchSpace,
    Staffing,
    cheapest_staffing,
    repair,
)
from planning.staffing.sequential import MET, SequentialRule
from planning.staffing.when import first_failures, recruitment_plan

__all__ = [
    "CancelToken",
    "SearchCancelled",
    "SearchProgress",
    "StaffingResult",
    "analytic_staffing",
    "apply_staffing",
    "first_failures",
    "json_records",
    "recruitment_plan",
    "search_staffing",
]


# --------------------------------------------------------------------------- set-up


def _roles_to_search(scenario: Scenario, roles: Sequence[str] | None) -> list[str]:
    """The roles to search (default: every role whose stages get work), costs checked."""
    if roles is None:
        worked = {stage.role for stage in scenario.stages.values() if stage.role}
        chosen = [r for r in scenario.roles if r in worked]
    else:
        chosen = list(dict.fromkeys(roles))
        unknown = [r for r in chosen if r not in scenario.roles]
        if unknown:
            raise ScenarioError(
                [
                    f"--roles: unknown role '{r}' (roles: {', '.join(scenario.roles)})"
                    for r in unknown
                ]
            )
    if not chosen:
        raise ScenarioError([f"{scenario.name}: roles: no role to search"])
    missing = [r for r in chosen if scenario.roles[r].cost_per_fte_per_year_gbp is None]
    if missing:
        raise ScenarioError(
            [
                f"{scenario.name}: roles.{r}.cost_per_fte_per_year_gbp: needed to find the "
                "cheapest staffing (or leave the role out with --roles)"
                for r in missing
            ]
        )
    return chosen


def _ceiling_for(
    scenario: Scenario,
    role: str,
    current: float,
    suggested: float,
    step: float,
    max_fte: float | Mapping[str, float] | None,
) -> float:
    settings = scenario.staffing_search
    if isinstance(max_fte, Mapping) and role in max_fte:
        return snap_down(max_fte[role], step)
    if isinstance(max_fte, int | float):
        return snap_down(float(max_fte), step)
    override = settings.roles.get(role)
    if override is not None and override.max_fte is not None:
        return snap_down(override.max_fte, step)
    return snap_up(settings.max_fte_multiple * max(current, suggested, step), step)


def snap_down(value: float, step: float) -> float:
    """The largest multiple of ``step`` at or below ``value``."""
    return round(math.floor(value / step + FTE_TOLERANCE) * step, 9)


def _space(
    scenario: Scenario,
    analytic: pd.DataFrame,
    roles: list[str],
    current: Staffing,
    max_fte: float | Mapping[str, float] | None,
) -> tuple[SearchSpace, list[str]]:
    """Steps, floors, ceilings and costs of the searched roles, and notes on clashes."""
    settings = scenario.staffing_search
    by_role = analytic.set_index("role")
    if isinstance(max_fte, Mapping):
        unknown = [r for r in max_fte if r not in roles]
        if unknown:
            raise ScenarioError(
                [f"--max-fte: '{r}' is not a searched role ({', '.join(roles)})" for r in unknown]
            )
    step, floor, ceiling, cost, notes = {}, {}, {}, {}, []
    for role in roles:
        override = settings.roles.get(role)
        step[role] = (override and override.fte_step) or settings.fte_step
        floor[role] = float(by_role.loc[role, "fte_floor"])
        if override is not None and override.min_fte is not None:
            floor[role] = snap_up(override.min_fte, step[role])
        suggested = float(by_role.loc[role, "suggested_fte"])
        ceiling[role] = _ceiling_for(scenario, role, current[role], suggested, step[role], max_fte)
        if ceiling[role] < floor[role] - FTE_TOLERANCE:
            notes.append(
                f"{role}: the ceiling of {ceiling[role]:g} FTE is below {floor[role]:g}, the "
                "fewest that keep up with its busiest year's work; searched up to the ceiling "
                "only, so its queue may grow without limit beyond the horizon"
            )
            floor[role] = ceiling[role]
        cost[role] = float(scenario.roles[role].cost_per_fte_per_year_gbp)
    space = SearchSpace(tuple(roles), step, floor, ceiling, cost)
    return space, notes


def _clip_to_grid(space: SearchSpace, staffing: Mapping[str, float]) -> Staffing:
    out = {}
    for role in space.roles:
        grid = space.grid(role)
        out[role] = min(grid, key=lambda v: (abs(v - staffing[role]), -v))
    return out


def _starts(space: SearchSpace, analytic: pd.DataFrame) -> Staffing:
    """Where each role's floor search starts (:func:`planning.staffing.search.role_floor`).

    A role the analytic sized by Erlang C for one of its waiting-time targets starts at that
    estimate (an M/M/c answer to the target itself). Any other role starts at its floor, the
    fewest FTE that keep up with the busiest year's work: square-root staffing's margin
    (``square_root_beta`` x sqrt(load)) answers no target of the scenario, and the answers
    sit at the floor or a step above it (docs/staffing.md, docs/performance.md). From the
    floor the search gallops up, and staffings below the answer are the cheap ones to judge
    (a growing queue is missed or futile at the first looks), while every step down from a
    high start is a staffing that meets the targets, which is never called met on fewer than
    two looks. Under monotonicity the start moves no floor (the search is exact from any
    start); it changes which staffings are probed on the way, so with noise a probe near a
    threshold may settle a floor a step differently, as a different start always could."""
    by_role = analytic.set_index("role")
    start = {
        role: (
            float(by_role.loc[role, "suggested_fte"])
            if by_role.loc[role, "method"] == "erlang_c"
            else space.floor[role]
        )
        for role in space.roles
    }
    return _clip_to_grid(space, start)


def _unit_cost(scenario: Scenario, fte: Mapping[str, float]) -> float:
    return sum(
        role.cost_per_fte_per_year_gbp * fte[name]
        for name, role in scenario.roles.items()
        if role.cost_per_fte_per_year_gbp is not None
    )


# --------------------------------------------------------------------------- search


def search_staffing(
    scenario: Scenario,
    *,
    roles: Sequence[str] | None = None,
    confidence: float | None = None,
    max_fte: float | Mapping[str, float] | None = None,
    precision: float | None = None,
    seed: int | None = None,
    workers: int = 1,
    progress: Callable[[SearchProgress], None] | None = None,
    replications: int | None = None,
    from_date: dt.date | None = None,
    executor: Executor | None = None,
    cancel: CancelToken | None = None,
    cache: ReplicationCache | None = None,
) -> StaffingResult:
    """Find the cheapest staffing (FTE per searched role) meeting every target with confidence.

    ``confidence`` and ``precision`` default to the scenario's ``staffing_search`` settings
    (0.95 and 0.05 unless the file says otherwise); ``max_fte`` caps every searched role (a
    number) or the roles named (a mapping); ``replications`` fixes the replications per
    evaluation instead of choosing them by the sequential method; ``from_date`` asks for the
    staffing to be in post from that date, judging the targets from then on (today's staff
    before it). ``seed`` (default: the scenario's) drives the search; the answer is confirmed
    with ``seed + 1`` (then ``seed + 2``, ... if confirmation adds staff). ``progress`` gets a
    :class:`SearchProgress` (with the fraction done and the time left, estimated) after
    every batch of replications; ``cancel`` is checked before every batch and stops the
    search with :class:`SearchCancelled`. Replications are reused from ``cache`` (default:
    one cache for the whole process) wherever the same staffing and seed ran before."""
    settings = scenario.staffing_search
    confidence = settings.confidence if confidence is None else confidence
    by_precision = precision is not None  # asked for: the confirmation runs to it (Hoad)
    precision = settings.precision if precision is None else precision
    problems = []
    if not 0.5 < confidence < 1:
        problems.append(f"--confidence: must be between 0.5 and 1 (got {confidence:g})")
    if not 0 < precision < 1:
        problems.append(f"--precision: must be between 0 and 1 (got {precision:g})")
    if replications is not None and replications < 3:
        problems.append(f"--replications: needs at least 3 (got {replications})")
    if not scenario.targets:
        problems.append(f"{scenario.name}: targets: none set, so there is nothing to staff for")
    if problems:
        raise ScenarioError(problems)
    seed = scenario.seed if seed is None else seed
    searched = _roles_to_search(scenario, roles)
    base = reporting_from(scenario, from_date) if from_date is not None else scenario
    when = from_date or base.start_date
    current_all = {r: fte_at(base, r, when) for r in base.roles}
    current = {r: current_all[r] for r in searched}
    analytic = analytic_in_posts(base, analytic_staffing(base))  # workforce hook: posts
    space, notes = _space(base, analytic, searched, current, max_fte)
    guess = _starts(space, analytic)
    rule = PrecisionRule(
        precision=precision,
        confidence=confidence,
        initial=settings.initial_replications,
        look_ahead=settings.look_ahead,
        budget=max(settings.max_replications, settings.initial_replications),
    )
    judge = TargetJudge(base, confidence)
    state: dict = {"phase": "start"}
    plan = WorkPlan()

    def report(message: str) -> None:
        plan.done = runner.replications_run
        plan.revise(_expected(state, runner, space, rule, settings))
        if progress is not None:
            progress(
                SearchProgress(
                    state["phase"],
                    message,
                    runner.evaluations,
                    runner.replications_run,
                    fraction=plan.fraction(),
                    seconds_left=plan.seconds_left(),
                )
            )

    owned = executor is None and workers > 1
    pool = process_pool(workers) if owned else nullcontext(executor)
    with pool as shared:
        runner = CandidateRunner(
            base,
            judge,
            from_date=from_date,
            workers=workers,
            executor=shared,
            on_run=lambda staffing, s, n: report(
                f"{n} replications of {_describe(staffing)} (seed {s})"
            ),
            cache=cache,
            cancel=cancel,
        )
        try:
            return _search(
                scenario=base,
                space=space,
                runner=runner,
                judge=judge,
                rule=rule,
                guess=guess,
                seed=seed,
                workers=workers,
                replications=replications,
                by_precision=by_precision,
                state=state,
                current=current,
                current_all=current_all,
                analytic=analytic,
                notes=notes,
                from_date=from_date,
            )
        except SearchCancelled:
            if owned:  # end the workers now, not after the replications in flight
                stop_pool(shared)
            raise


def _expected(
    state: dict, runner: CandidateRunner, space: SearchSpace, rule: PrecisionRule, settings
) -> float:
    """Replications the search expects to run in all: those run, plus a rough count of what
    each phase still to come takes (evaluations the bisection of each role needs, at the
    replications per evaluation seen so far; the confirmation and the report at the most an
    evaluation may get). An estimate for the progress bar, revised after every batch."""
    used = runner.evaluations
    per_evaluation = (
        runner.replications_run / used if used else 2.0 * settings.first_look_replications
    )
    per_role = sum(math.ceil(math.log2(max(len(space.grid(r)), 2))) + 2 for r in space.roles)
    phase = state.get("phase", "start")
    at = PHASES.index(phase) if phase in PHASES else 0
    left = 0.0  # nothing left once the report is written ("done")
    if at <= PHASES.index("search"):
        searched = used - state.get("search_from", 0) if phase == "search" else 0
        left += max(per_role + 1 - searched, 1) * per_evaluation
    if at <= PHASES.index("confirm"):
        left += 2 * state.get("confirm_guess", rule.budget)  # the answer and today
    if at <= PHASES.index("report"):
        neighbours = len(space.roles) + 2 * settings.tradeoff_steps
        left += neighbours * (per_evaluation if state.get("sequential") else rule.budget)
    return runner.replications_run + left


def _missed_on_confirmation(
    runner: CandidateRunner,
    judge: TargetJudge,
    candidate: Staffing,
    top: Staffing,
    seed: int,
    n: int,
    failing: Sequence[str],
) -> dict[str, tuple[pd.Series, str]]:
    """Why each target missed under a fresh seed, and what to do: (status, verdict).

    * missed at the ceiling on the replications of every seed so far: out of reach;
    * the ceiling does better than the answer beyond noise (paired, same seed): ``repair``;
    * otherwise more staff barely move it, so its verdict is noise: judged on the answer's
      replications of every seed together, ``met`` or out of reach."""
    verdicts = {}
    at_top = runner.kpis(top, seed, n)
    here = runner.kpis(candidate, seed, n)
    for name in failing:
        target = judge.scenario.targets[name]
        top_status = judge.status(runner.pooled(top), [name]).iloc[0]
        if not top_status["met_with_confidence"]:
            verdicts[name] = (top_status, "missed even at the most staff searched")
            continue
        column = f"target.{name}"
        gain = at_top[column] - here[column]
        if target.direction == "<=":
            gain = -gain
        if one_sided_bound(gain, ">=", judge.confidence) > 0:
            verdicts[name] = (top_status, "repair")
            continue
        pooled = judge.status(runner.pooled(candidate), [name]).iloc[0]
        if pooled["met_with_confidence"]:
            verdicts[name] = (pooled, "met")
        else:
            verdicts[name] = (
                top_status,
                "more staff do not improve it beyond noise, and it is missed on the "
                "replications of all seeds together",
            )
    return verdicts


def _describe(staffing: Staffing | None) -> str:
    if staffing is None:
        return "today's staffing"
    return ", ".join(f"{r} {v:g}" for r, v in staffing.items())


def _search(
    *,
    scenario: Scenario,
    space: SearchSpace,
    runner: CandidateRunner,
    judge: TargetJudge,
    rule: PrecisionRule,
    guess: Staffing,
    seed: int,
    workers: int,
    replications: int | None,
    by_precision: bool,
    state: dict[str, str],
    current: Staffing,
    current_all: Staffing,
    analytic: pd.DataFrame,
    notes: list[str],
    from_date: dt.date | None,
) -> StaffingResult:
    targets = list(scenario.targets)
    floors = {t: abs(scenario.targets[t].threshold) for t in targets}
    batch = max(rule.look_ahead, 2 * workers, 1)
    sequential = replications is None
    settings = scenario.staffing_search

    def looks_up_to(most: int, futility: bool = False) -> SequentialRule:
        """Looks doubling from the first look's replications up to ``most``, judged at the
        search's confidence; ``futility``: with the futility stop (never a wrong "met")."""
        doubling = SequentialRule.doubling(judge.confidence, settings.first_look_replications, most)
        return doubling.with_futility(settings.futility_standard_errors) if futility else doubling

    looks = looks_up_to(rule.budget)
    state["sequential"] = sequential
    if sequential and not by_precision:  # the confirmation: settled, and a normal run's at least
        state["confirm_guess"] = max(scenario.replications, looks.min_met)
    state["search_from"] = 0

    # 1. The ceiling: targets no staffing in range can meet. Sequentially, a target met at
    # the ceiling is settled in a look or two; any other is judged as before, on the
    # replications of the search seed and of the first fresh seed together (one seed alone
    # can be lucky), at the most replications an evaluation may get.
    pilot = None
    state["phase"] = "ceiling"
    top = space.top()
    if sequential:
        n_search = rule.budget
        at_top = runner.sequential(top, seed, targets, looks, stop_on_miss=False).verdicts
        doubtful = [t for t in targets if at_top[t] != MET]
    else:
        n_search = replications
        doubtful = targets
    if doubtful:
        runner.kpis(top, seed, n_search)
        runner.kpis(top, seed + 1, n_search)
    unreachable: dict[str, tuple[pd.Series, str]] = {}
    pooled_top = runner.pooled(top) if doubtful else None
    for name in doubtful:
        row = judge.status(pooled_top, [name]).iloc[0]
        if not row["met_with_confidence"]:
            unreachable[name] = (row, "missed even at the most staff searched")
    active = [t for t in targets if t not in unreachable]

    # 2. The search under common random numbers, then 3. confirmation with fresh seeds.
    # The search's probes may stop for futility (never a wrong "met"; see sequential.py).
    # A floor probe (one role varied, the others at their ceilings) gets at most
    # floor_probe_max_replications: its looks end there, and one still open then is not met.
    # Every staffing that could be the answer keeps the full looks, as do the ceiling, the
    # confirmation and the report.
    probe_looks = looks_up_to(rule.budget, futility=True)
    floor_looks = looks_up_to(
        min(rule.budget, settings.floor_probe_max_replications or rule.budget), futility=True
    )

    def search_evaluate(x: Staffing, active: list[str], probe: SequentialRule) -> Evaluation:
        if sequential:
            return runner.sequential(x, seed, active, probe).evaluation
        return runner.evaluate(x, seed, n_search, active)

    def search_for(active: list[str]) -> SearchOutcome:
        if not active:
            return SearchOutcome(staffing=top, feasible=False)
        state["search_from"] = runner.evaluations
        return cheapest_staffing(
            space,
            lambda x: search_evaluate(x, active, probe_looks),
            guess,
            settings.exact_evaluations,
            evaluate_floor_probe=lambda x: search_evaluate(x, active, floor_looks),
        )

    state["phase"] = "search"
    outcome = search_for(active)
    candidate, confirmed = dict(outcome.staffing), False
    noisy: set[str] = set()  # targets judged on the replications of all seeds together
    final_seed, final_n = seed + 1, n_search
    for k in range(1, settings.confirmation_rounds + 1):
        state["phase"] = "confirm"
        final_seed = seed + k
        if not active:
            break
        if sequential and by_precision:
            pilot = sequential_replications(
                lambda n, s=final_seed, x=candidate, a=active: runner.target_values(x, s, n, a),
                {t: floors[t] for t in active},
                rule,
                batch,
            )
            final_n = max(looks.looks[0], pilot.replications(active, rule))
        elif sequential:
            # As many replications as settle the answer's verdict under the fresh seed, and
            # at least a normal run's (the scenario's replications), so the figures shown
            # for today and the answer rest on no fewer runs than `acusim run` would use.
            settled = runner.sequential(candidate, final_seed, active, looks)
            final_n = min(rule.budget, max(settled.n, scenario.replications))
        result = runner.evaluate(candidate, final_seed, final_n, active)
        if sequential and not by_precision and result.feasible:
            # Confirmed only if the sequential test settled every target as met too: its
            # error bound holds whatever the look at which it stopped.
            result = settled.evaluation
        if result.feasible:
            confirmed = True
            break
        verdicts = _missed_on_confirmation(
            runner, judge, candidate, top, final_seed, final_n, result.failing
        )
        out = {t: v for t, v in verdicts.items() if v[1] != "repair" and v[1] != "met"}
        noise = [t for t, v in verdicts.items() if v[1] == "met"]
        noisy.update(noise)
        for name in noise:
            notes.append(
                f"'{name}' was missed with seed {final_seed} but met on the replications of "
                "all seeds together at the answer, and more staff barely move it: its "
                "verdict is dominated by noise (see precision_by_target)"
            )
        if out:
            unreachable.update(out)
            active = [t for t in active if t not in out]
            state["phase"] = "search"
            outcome = search_for(active)
            candidate = dict(outcome.staffing)
            continue
        to_fix = [t for t in active if t not in noise]
        if len(noise) == len(result.failing):
            confirmed = True
            break

        def evaluate_fresh(
            x: Staffing, s: int = final_seed, n: int = final_n, a: list[str] = to_fix
        ) -> Evaluation:
            return runner.evaluate(x, s, n, a)

        candidate, repaired = repair(
            space, evaluate_fresh, candidate, evaluate_fresh(candidate), diagonal=False
        )
        if not repaired.feasible:
            notes.append(
                "adding staff one step at a time did not meet "
                f"{', '.join(repaired.failing)} with seed {final_seed}"
            )
            break
    searched_answer = dict(outcome.staffing)
    unachievable = list(unreachable)

    # 5. What the answer looks like under the final seed: targets, step-down, trade-off.
    state["phase"] = "report"
    kpis_answer = runner.kpis(candidate, final_seed, final_n)
    targets_recommended = judge.status(kpis_answer)
    targets_recommended["basis"] = f"seed {final_seed}"
    for name in noisy & set(active):
        pooled = judge.status(runner.pooled(candidate), [name]).iloc[0]
        index = targets_recommended.index[targets_recommended["target"] == name][0]
        for column, value in pooled.items():
            targets_recommended.at[index, column] = value
        targets_recommended.at[index, "basis"] = "all seeds"
    kpis_today = runner.kpis(None, final_seed, final_n)
    targets_current = judge.status(kpis_today)
    report_cap = settings.report_replications or scenario.replications
    report_looks = looks_up_to(min(final_n, max(report_cap, looks.min_met)))

    def frame_for(x: Staffing) -> pd.DataFrame:
        """Replications of a neighbour of the answer under the final seed: as many as settle
        its verdicts (sequential), at most the answer's and at most ``report_replications``
        (default: a normal run's). The neighbours describe the answer (which target binds,
        the trade-off curve); the guarantee is the answer's, confirmed on its own
        replications, so they need no more than a normal run; each row says its n."""
        if not sequential or not active or key_of(x) == key_of(candidate):
            return runner.kpis(x, final_seed, final_n)
        n = runner.sequential(x, final_seed, active, report_looks, stop_on_miss=False).n
        return runner.kpis(x, final_seed, n)

    step_down, binding_role, binding_target = staffing_report.step_down(
        space, frame_for, judge, candidate, active
    )
    tradeoff_role = binding_role or max(
        space.roles, key=lambda r: (space.cost[r] * candidate[r], r)
    )
    tradeoff = staffing_report.tradeoff(
        space,
        frame_for,
        judge,
        candidate,
        tradeoff_role,
        settings.tradeoff_steps,
    )
    precision_table = staffing_report.precision_table(scenario, kpis_answer, rule, pilot, active)
    ranges = pd.DataFrame(
        [
            {
                "role": r,
                "title": scenario.roles[r].title,
                "current_fte": current[r],
                "floor": space.floor[r],
                "ceiling": space.ceiling[r],
                "step": space.step[r],
                "cost_per_fte_per_year_gbp": space.cost[r],
                "lower_bound": outcome.floors.get(r, math.nan),
            }
            for r in space.roles
        ]
    )
    recommended_all = {**current_all, **candidate}
    met = targets_recommended.set_index("target")["met_with_confidence"]
    feasible = bool(active) and not unachievable and confirmed and bool(met[active].all())
    message = staffing_report.message(
        scenario,
        space,
        current,
        candidate,
        confirmed,
        active,
        unreachable,
        judge.confidence,
        binding_role,
        binding_target,
        _unit_cost(scenario, current_all),
        _unit_cost(scenario, recommended_all),
    )
    short = ~precision_table["reached"] & precision_table["achievable"]
    if short.any():
        missed = precision_table.loc[short, "target"].tolist()
        notes.append(
            f"the precision of {rule.precision:.0%} was not reached with the {final_n} "
            f"replications at the answer for: {', '.join(missed)} (see precision_by_target; "
            "more replications: max_replications or --replications)"
        )
    # Workforce hook: with turnover the answer is in posts; what they give in post.
    workforce = establishment_table(
        scenario,
        list(space.roles),
        current,
        candidate,
        kpis_today,
        kpis_answer,
        judge.confidence,
    )
    if workforce is not None:
        notes.append(establishment_note(workforce))
    state["phase"] = "done"
    return StaffingResult(
        scenario_name=scenario.name,
        roles=list(space.roles),
        current=current,
        recommended=candidate,
        searched=searched_answer,
        cost_current=_unit_cost(scenario, current_all),
        cost_recommended=_unit_cost(scenario, recommended_all),
        targets_current=targets_current,
        targets_recommended=targets_recommended,
        tradeoff=tradeoff,
        binding_target=binding_target,
        binding_role=binding_role,
        tradeoff_role=tradeoff_role,
        feasible=feasible,
        confirmed=confirmed,
        message=message,
        evaluations=runner.evaluations,
        replications=n_search,
        confirmation_replications=final_n,
        replications_run=runner.replications_run,
        seed=seed,
        confirmation_seed=final_seed,
        confidence=judge.confidence,
        precision=rule.precision,
        unachievable=unachievable,
        ranges=ranges,
        analytic=analytic,
        precision_table=precision_table,
        step_down=step_down,
        from_date=from_date,
        notes=notes,
        repaired=outcome.repaired,
        workforce=workforce,
        sequential=sequential,
        replications_reused=runner.replications_reused,
    )
