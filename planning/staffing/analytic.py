"""The analytic staffing estimate: offered load per role, then Erlang C or square-root staffing.

This is where the field starts before simulating: the work each role is
offered (expected referrals x routing x mean effort), the FTE that would be
busy 100% of the time, and a first suggestion with some slack. It is fast and
exact for simple queues, and a starting point for the simulation search
(:mod:`planning.staffing.recommend`), which corrects what it cannot see: priorities,
bursts, caseload caps that hold places during external delays, targets that
span several stages, and demand that changes over time.

* **Expected entries per stage** come from the traffic equations, solved for
  every combination of source and case attributes (category, APSP flag,
  priority), since routing rules depend on them: ``v = e + v P`` where ``e``
  is the entry stage and ``P`` the routing between stages for that
  combination. Rates are the sources' expected rates (before bursts) averaged
  over the reporting window, and over each year of it for the busiest year.
* **Offered load** of a role (hours a week) is the sum over its stages of
  entries x mean effort; divided by the casework hours one FTE delivers it is
  the FTE at 100% utilisation. Where a stage holds caseload, Little's law
  gives the caseload places in use (entries x time a case holds its place:
  effort worked by one person plus the external delays it waits for), and
  dividing by the cap per FTE gives a second requirement.
* **Suggested FTE**: where a ``share_within`` target times the start of one of
  the role's stages, the smallest number of servers for which the M/M/c
  (Erlang C) probability of starting within the target's days reaches its
  share, the role's stages pooled into one queue; otherwise square-root
  staffing, load + beta x sqrt(load) (Halfin and Whitt 1981; beta is
  ``staffing_search.square_root_beta``). Both use the busiest year's load.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.engine.sources import DAYS_PER_WEEK, DAYS_PER_YEAR, expected_counts
from model.engine.stages import Case, condition_matcher
from model.queueing import mmc_p_wait_within
from model.scenario import (
    CATEGORIES,
    PRIORITIES,
    AttributeMix,
    Scenario,
    ShareWithinTarget,
)

FTE_TOLERANCE = 1e-9
"""Slack when snapping FTE to a grid of steps (floating-point noise, not a modelling choice)."""


@dataclass(frozen=True)
class StageFlow:
    """Expected traffic through one stage: entries per day, and caseload place-days per day."""

    entries_per_day: float
    place_days_per_day: float


def attribute_classes(mix: AttributeMix) -> list[tuple[int, bool, int, float]]:
    """Every (category, APSP flag, priority) combination a source produces, with its probability.

    Mirrors :func:`model.engine.sources.sample_attributes`: category first, then APSP by category,
    then priority (forced to ``apsp_priority`` for APSP referrals when that is set)."""
    classes: dict[tuple[int, bool, int], float] = {}
    total_category = sum(mix.category.values())
    total_priority = sum(mix.priority.values())
    for category, p_category in mix.category.items():
        if p_category <= 0:
            continue
        c = CATEGORIES.index(category)
        p_apsp = mix.apsp_probability_by_category.get(category, mix.apsp_probability)
        for apsp, p_flag in ((True, p_apsp), (False, 1.0 - p_apsp)):
            if p_flag <= 0:
                continue
            for priority, p_priority in mix.priority.items():
                rank = PRIORITIES.index(priority)
                if apsp and mix.apsp_priority is not None:
                    rank = PRIORITIES.index(mix.apsp_priority)
                p = p_category / total_category * p_flag * p_priority / total_priority
                if p > 0:
                    key = (c, apsp, rank)
                    classes[key] = classes.get(key, 0.0) + p
    return [(c, a, r, p) for (c, a, r), p in classes.items()]


def _probe_case(source: int, category: int, apsp: bool, priority: int, n_stages: int) -> Case:
    return Case(0, "probe", 0, source, category, apsp, priority, 0.0, n_stages)


def _routes_for(stage, case: Case, source_names: list[str]) -> dict[str, float]:
    """The route table that applies to ``case`` at ``stage`` (the first matching rule wins)."""
    for rule in stage.routing.rules:
        if condition_matcher(rule.when, source_names)(case):
            return rule.routes
    return stage.routing.default


def _class_visits(scenario: Scenario, case: Case, entry: str) -> tuple[np.ndarray, np.ndarray]:
    """Expected visits to each stage per referral of one class, and caseload days per visit."""
    stage_names = list(scenario.stages)
    source_names = list(scenario.sources)
    index = {name: i for i, name in enumerate(stage_names)}
    n = len(stage_names)
    routing = np.zeros((n, n))
    hold_days = np.zeros(n)
    for i, stage in enumerate(scenario.stages.values()):
        for destination, p in _routes_for(stage, case, source_names).items():
            if destination in index:
                routing[i, index[destination]] += p
        if stage.holds_caseload and stage.role is not None:
            role = scenario.roles[stage.role]
            days = stage.effort_hours.mean() / role.casework_hours_per_day
            for delay in stage.external_delays:
                if condition_matcher(delay.when, source_names)(case):
                    days += delay.probability * delay.duration_days.mean()
            hold_days[i] = days
    start = np.zeros(n)
    start[index[entry]] = 1.0
    visits = np.linalg.solve((np.eye(n) - routing).T, start)
    return visits, hold_days


def stage_flows(scenario: Scenario, rates_per_day: dict[str, float]) -> dict[str, StageFlow]:
    """Expected entries per day to each stage, given each source's referrals per day."""
    stage_names = list(scenario.stages)
    entries = np.zeros(len(stage_names))
    place_days = np.zeros(len(stage_names))
    for s, (name, source) in enumerate(scenario.sources.items()):
        rate = rates_per_day.get(name, 0.0)
        if rate <= 0 or not source.enabled:
            continue
        for category, apsp, priority, p in attribute_classes(source.mix):
            case = _probe_case(s, category, apsp, priority, len(stage_names))
            visits, hold_days = _class_visits(scenario, case, source.entry_stage)
            entries += rate * p * visits
            place_days += rate * p * visits * hold_days
    return {
        name: StageFlow(float(entries[i]), float(place_days[i]))
        for i, name in enumerate(stage_names)
    }


def source_rates(scenario: Scenario) -> tuple[dict[str, float], list[dict[str, float]]]:
    """Each source's expected referrals per day: over the reporting window, and per year of it.

    Years are whole 365-day years from the start date; a remainder shorter than a year is
    averaged with the year before it so a short tail cannot pose as the busiest year."""
    start = float(scenario.warmup_days)
    end = start + scenario.horizon_days
    edges = np.append(np.arange(start, end, 1.0), end)
    n_years = max(1, int(scenario.horizon_days // DAYS_PER_YEAR))
    year_edges = [start + DAYS_PER_YEAR * k for k in range(n_years)] + [end]
    mean: dict[str, float] = {}
    yearly: list[dict[str, float]] = [{} for _ in range(n_years)]
    for name, source in scenario.sources.items():
        if not source.enabled:
            mean[name] = 0.0
            for year in yearly:
                year[name] = 0.0
            continue
        counts = expected_counts(source, scenario, edges)
        mean[name] = float(counts.sum() / (end - start))
        for k in range(n_years):
            inside = (edges[:-1] >= year_edges[k]) & (edges[:-1] < year_edges[k + 1])
            width = year_edges[k + 1] - year_edges[k]
            yearly[k][name] = float(counts[inside].sum() / width)
    return mean, yearly


def snap_up(value: float, step: float) -> float:
    """The smallest multiple of ``step`` at or above ``value``."""
    return round(math.ceil(value / step - FTE_TOLERANCE) * step, 9)


def step_above(value: float, step: float) -> float:
    """The smallest multiple of ``step`` strictly above ``value`` (0 when there is no load)."""
    if value <= FTE_TOLERANCE:
        return 0.0
    return round((math.floor(value / step + FTE_TOLERANCE) + 1) * step, 9)


def erlang_c_servers(lam: float, mu: float, within: float, share: float, limit: int) -> int | None:
    """Fewest M/M/c servers with P(wait <= within) >= share, or None if ``limit`` is not enough."""
    a = lam / mu
    for c in range(max(1, math.floor(a) + 1), limit + 1):
        if mmc_p_wait_within(lam, mu, c, within) >= share:
            return c
    return None


def square_root_staffing(load: float, beta: float) -> float:
    """Load plus a safety margin of beta x sqrt(load) (the QED regime of Halfin and Whitt)."""
    return load + beta * math.sqrt(load) if load > 0 else 0.0


def _role_targets(scenario: Scenario, role: str) -> list[tuple[str, ShareWithinTarget]]:
    return [
        (name, target)
        for name, target in scenario.targets.items()
        if isinstance(target, ShareWithinTarget) and scenario.stages[target.stage].role == role
    ]


def effort_going_forward(scenario: Scenario) -> Scenario:
    """The scenario with every stage at the effort in force at the end of the horizon.

    Staffing is planned for the unit as it will be, so a stage whose effort changes by date
    (``effort_changes``, e.g. after a go-live) is sized on its last change within the horizon,
    not on the effort it started with; the simulations that confirm the answer apply every
    change on its date."""
    end = scenario.start_date + dt.timedelta(days=scenario.horizon_days)
    stages = {name: stage.at(end) for name, stage in scenario.stages.items()}
    if all(stages[name] is stage for name, stage in scenario.stages.items()):
        return scenario
    return scenario.model_copy(update={"stages": stages})


def analytic_staffing(scenario: Scenario) -> pd.DataFrame:
    """Per role: offered load (hours a week), FTE at 100% and a suggested FTE.

    Columns: role, title, current_fte, offered_load_hours_per_week (mean over the horizon),
    peak_load_hours_per_week (busiest year), casework_hours_per_week_per_fte,
    fte_at_full_load (mean), fte_at_full_load_peak, caseload_fte_at_full_load_peak (caseload
    places needed / cap per FTE; NaN without a cap), fte_floor (the smallest step above the
    busiest year's requirement: below it a queue grows without limit), method ('erlang_c',
    'square_root' or 'no_work'), basis (plain words), suggested_fte (on the role's step grid)
    and utilisation_at_suggested (mean load over suggested FTE)."""
    scenario = effort_going_forward(scenario)
    settings = scenario.staffing_search
    mean_rates, yearly_rates = source_rates(scenario)
    mean_flows = stage_flows(scenario, mean_rates)
    year_flows = [stage_flows(scenario, rates) for rates in yearly_rates]
    rows = []
    for name, role in scenario.roles.items():
        step = (settings.roles.get(name) and settings.roles[name].fte_step) or settings.fte_step
        stages = [s for s, stage in scenario.stages.items() if stage.role == name]
        hours_per_fte_day = role.casework_hours_per_day

        def load(flows: dict[str, StageFlow], stages: list[str] = stages) -> tuple[float, ...]:
            entries = sum(flows[s].entries_per_day for s in stages)
            hours = sum(
                flows[s].entries_per_day * scenario.stages[s].effort_hours.mean() for s in stages
            )
            places = sum(
                flows[s].place_days_per_day for s in stages if scenario.stages[s].holds_caseload
            )
            return entries, hours, places

        _, mean_hours, _ = load(mean_flows)
        peak_entries, peak_hours, peak_places = max(
            (load(flows) for flows in year_flows), key=lambda t: (t[1], t[2])
        )
        fte_full_mean = mean_hours / hours_per_fte_day
        fte_full_peak = peak_hours / hours_per_fte_day
        holds = any(scenario.stages[s].holds_caseload for s in stages)
        caseload_fte = (
            peak_places / role.caseload_cap_per_fte
            if holds and role.caseload_cap_per_fte
            else math.nan
        )
        need = max(fte_full_peak, 0.0 if math.isnan(caseload_fte) else caseload_fte)
        method, basis, suggested = _suggest(
            scenario, name, peak_entries, peak_hours, fte_full_peak, need, hours_per_fte_day
        )
        if holds and role.caseload_cap_per_fte and peak_places > 0:
            places = square_root_staffing(peak_places, settings.square_root_beta)
            by_places = places / role.caseload_cap_per_fte
            if by_places > suggested:
                suggested = by_places
                basis += (
                    f"; caseload: {peak_places:.1f} places in use + beta x sqrt "
                    f"= {places:.1f} places / cap {role.caseload_cap_per_fte:g}"
                )
        suggested_fte = snap_up(suggested, step) if suggested > 0 else 0.0
        rows.append(
            {
                "role": name,
                "title": role.title,
                "current_fte": role.fte,
                "offered_load_hours_per_week": mean_hours * DAYS_PER_WEEK,
                "peak_load_hours_per_week": peak_hours * DAYS_PER_WEEK,
                "casework_hours_per_week_per_fte": hours_per_fte_day * DAYS_PER_WEEK,
                "fte_at_full_load": fte_full_mean,
                "fte_at_full_load_peak": fte_full_peak,
                "caseload_fte_at_full_load_peak": caseload_fte,
                "fte_floor": step_above(need, step),
                "method": method,
                "basis": basis,
                "suggested_fte": suggested_fte,
                "utilisation_at_suggested": (
                    fte_full_mean / suggested_fte if suggested_fte > 0 else math.nan
                ),
            }
        )
    return pd.DataFrame(rows)


def _suggest(
    scenario: Scenario,
    role: str,
    entries_per_day: float,
    hours_per_day: float,
    load_fte: float,
    need: float,
    hours_per_fte_day: float,
) -> tuple[str, str, float]:
    """(method, basis, suggested FTE before snapping) for one role at the busiest year's load."""
    if hours_per_day <= 0 or entries_per_day <= 0:
        return "no_work", "no work reaches this role", 0.0
    beta = scenario.staffing_search.square_root_beta
    targets = _role_targets(scenario, role)
    if not targets:
        fte = square_root_staffing(load_fte, beta)
        return (
            "square_root",
            f"square-root staffing: load {load_fte:.2f} + {beta:g} x sqrt(load)",
            fte,
        )
    mean_service_days = hours_per_day / entries_per_day / hours_per_fte_day
    mu = 1.0 / mean_service_days
    # No role is worth more servers than many times its load: beyond that, a target that is
    # still missed is missed for a reason Erlang C cannot see (the search reports it).
    limit = max(10, math.ceil(20 * load_fte) + 10)
    best, words = 0, []
    for name, target in targets:
        c = erlang_c_servers(entries_per_day, mu, target.within_days, target.min_share, limit)
        if c is None:
            words.append(f"Erlang C cannot reach {target.min_share:g} for '{name}'")
            continue
        words.append(
            f"Erlang C: P(start within {target.within_days:g} d) >= {target.min_share:g} "
            f"for '{name}' needs {c}"
        )
        best = max(best, c)
    if best == 0:
        fte = square_root_staffing(load_fte, beta)
        words.append(f"square-root staffing instead: {fte:.2f}")
        return "square_root", "; ".join(words), fte
    return "erlang_c", "; ".join(words), float(max(best, need))
