"""How large a run will be, estimated before it starts, and refused if beyond the limits.

A rate of 10^20 a week or a million devices validates field by field (each within its
bound) yet would take hours and gigabytes to simulate. Before any replication, the
expected number of cases is computed from the scenario itself (every source's rate
integrated over the warm-up and the horizon exactly as the arrival sampler sees it, plus
the initial backlog), and the expected number of stage visits from the routing (the
fundamental matrix of each attribute class's chain, weighted by the source's mix). A run
beyond ``limits.max_cases_per_replication`` or ``limits.max_stage_visits_per_replication``
is refused with one line saying how large it is and which fields make it so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from model.engine.sources import day_edges, expected_counts
from model.scenario import MonitoringSource, Scenario, ScenarioError
from model.scenario.routing_check import mean_visits


@dataclass(frozen=True)
class RunSize:
    """Expected cases and stage visits of one replication, and where they come from."""

    cases: float
    visits: float
    cases_by_part: dict[str, float] = field(default_factory=dict)
    fields_by_part: dict[str, str] = field(default_factory=dict)


def estimate_run_size(scenario: Scenario) -> RunSize:
    """The expected size of one replication of ``scenario`` (before simulating it)."""
    total_days = scenario.warmup_days + scenario.horizon_days
    edges = day_edges(total_days)
    cases: dict[str, float] = {}
    fields: dict[str, str] = {}
    visits = 0.0
    for name, source in scenario.sources.items():
        if not source.enabled:
            continue
        n = float(np.sum(expected_counts(source, scenario, edges)))
        part = f"sources.{name}"
        cases[part] = n
        if isinstance(source, MonitoringSource):
            how = f"{part}.devices_covered/rollout x {part}.alerts_per_device_per_week"
        else:
            how = f"{part}.rate_per_week"
        if source.modifiers:
            how += f" x {part}.modifiers"
        fields[part] = how
        visits += n * mean_visits(scenario, source.mix, source.entry_stage, name)
    for i, entry in enumerate(scenario.initial_backlog):
        n = float(entry.waiting + entry.in_progress)
        if n:
            part = f"initial_backlog.{i}"
            cases[part] = n
            fields[part] = f"{part}.waiting + in_progress"
            mix = scenario.sources[entry.source].mix
            visits += n * mean_visits(scenario, mix, entry.stage, entry.source)
    return RunSize(sum(cases.values()), visits, cases, fields)


def run_size_problems(scenario: Scenario, origin: str | None = None) -> list[str]:
    """One line if a replication of ``scenario`` would exceed its limits, else none."""
    size = estimate_run_size(scenario)
    limits = scenario.limits
    origin = f"scenario '{scenario.name}'" if origin is None else origin
    span = f"over horizon_years {scenario.horizon_years:g}"
    if scenario.warmup_days:
        span += f" + warmup_days {scenario.warmup_days:g}"
    top = sorted(size.cases_by_part.items(), key=lambda kv: -kv[1])[:3]
    why = "; ".join(f"{size.fields_by_part[p]}: {n:,.0f}" for p, n in top)
    if size.cases > limits.max_cases_per_replication:
        return [
            f"{origin}: a replication would simulate about {size.cases:,.0f} cases {span}, more "
            f"than limits.max_cases_per_replication ({limits.max_cases_per_replication:,}); "
            f"largest: {why}"
        ]
    if size.visits > limits.max_stage_visits_per_replication:
        return [
            f"{origin}: a replication would simulate about {size.visits:,.0f} stage visits "
            f"({size.cases:,.0f} cases {span}), more than "
            f"limits.max_stage_visits_per_replication "
            f"({limits.max_stage_visits_per_replication:,}); largest: {why}"
        ]
    return []


def check_run_size(scenario: Scenario, origin: str | None = None) -> None:
    """Raise :class:`ScenarioError` (one line) if a replication would exceed the limits."""
    problems = run_size_problems(scenario, origin)
    if problems:
        raise ScenarioError(problems)
