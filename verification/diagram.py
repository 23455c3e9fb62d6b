"""The scenario as a Mermaid flowchart: sources, stages, roles, routes and their probabilities.

A hand-drawn process map goes stale the day someone edits a routing table.
This one is generated from the validated scenario, so the picture in
``docs/model.md`` is the model that runs (a test regenerates it and compares).
Mermaid is plain text that GitHub, GitLab and most Markdown viewers draw, so
the diagram needs no image tooling and diffs cleanly in review.

Shapes: sources are stadiums, worked stages rectangles, waiting-only stages
rounded, roles hexagons (joined to the stages they work by dotted lines),
closure outcomes flags. Solid arrows are default routes; dotted arrows are
routing rules (exceptions by case attribute), labelled with their condition.
"""

from __future__ import annotations

from model.distributions import Distribution, Exponential, Fixed, Gamma, LogNormal, Triangular
from model.distributions import Weibull as WeibullDist
from model.engine.sources import DAYS_PER_WEEK, rate_per_day
from model.scenario import Condition, MonitoringSource, Scenario


def _text(value: str) -> str:
    """A label safe inside Mermaid double quotes (quotes and angle brackets as entities)."""
    return value.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def _num(value: float) -> str:
    """A number as a planner would write it: 3 significant figures, thousands separated."""
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _pct(p: float) -> str:
    whole = round(p * 100)
    return f"{whole}%" if abs(p * 100 - whole) < 1e-9 else f"{p * 100:.1f}%"


def describe_distribution(dist: Distribution, unit: str) -> str:
    """A short reading of a distribution: family and its defining numbers."""
    if isinstance(dist, Fixed):
        return f"fixed {_num(dist.value)} {unit}"
    if isinstance(dist, Exponential):
        return f"exponential, mean {_num(dist.mean())} {unit}"
    if isinstance(dist, Gamma | LogNormal):
        family = "gamma" if isinstance(dist, Gamma) else "lognormal"
        return f"{family}, mean {_num(dist.mean())} {unit}, cv {_num(dist.cv)}"
    if isinstance(dist, Triangular):
        return f"triangular {_num(dist.min)}-{_num(dist.mode)}-{_num(dist.max)} {unit}"
    if isinstance(dist, WeibullDist):
        return f"Weibull shape {_num(dist.shape)}, mean {_num(dist.mean())} {unit}"
    return f"mean {_num(dist.mean())} {unit}"  # pragma: no cover - every family is listed


def describe_condition(condition: Condition | None) -> str:
    """A routing rule's or delay's condition in words (``APSP and priority high``)."""
    if condition is None:
        return "all"
    parts = []
    if condition.apsp is not None:
        parts.append("APSP" if condition.apsp else "not APSP")
    for label, values in (
        ("category", condition.category),
        ("priority", condition.priority),
        ("source", condition.source),
    ):
        if values is not None:
            parts.append(f"{label} {' or '.join(v.replace('_', ' ') for v in values)}")
    return " and ".join(parts) or "all"


def _source_label(scenario: Scenario, name: str) -> str:
    source = scenario.sources[name]
    lines = [source.title]
    if not source.enabled:
        lines.append("switched off")
    else:
        start = float(scenario.warmup_days)
        weekly = float(rate_per_day(source, scenario, [start + 0.5])[0] * DAYS_PER_WEEK)
        if isinstance(source, MonitoringSource):
            lines.append(
                f"{_num(source.devices_covered)} devices x "
                f"{_num(source.alerts_per_device_per_week)} alerts a week"
            )
            if source.rollout:
                lines.append(f"rollout to {_num(source.rollout[-1].devices)} devices")
        lines.append(f"{_num(weekly)} a week at the start")
        if source.modifiers:
            lines.append("changes over time: " + ", ".join(m.type for m in source.modifiers))
        if source.burst_cv > 0:
            lines.append(f"bursty (cv {_num(source.burst_cv)})")
    return "<br/>".join(_text(line) for line in lines)


def _stage_label(scenario: Scenario, name: str) -> str:
    stage = scenario.stages[name]
    lines = [stage.title]
    if stage.role is None:
        lines.append("waiting only (no staff)")
    else:
        lines.append("effort " + describe_distribution(stage.effort_hours, "h"))
        order = "priority order" if stage.discipline == "priority" else "first come first served"
        if stage.precedence:
            order += f", precedence {stage.precedence}"
        lines.append(order)
        if stage.holds_caseload:
            cap = scenario.roles[stage.role].caseload_cap_per_fte
            lines.append(f"holds a caseload place (cap {_num(cap)} per FTE)")
    for delay in stage.external_delays:
        share = "" if delay.probability == 1 else f" ({_pct(delay.probability)})"
        when = "" if delay.when is None else f", if {describe_condition(delay.when)}"
        lines.append(
            f"then waits: {delay.name.replace('_', ' ')}{share}{when}, "
            + describe_distribution(delay.duration_days, "d")
        )
    return "<br/>".join(_text(line) for line in lines)


def _role_label(scenario: Scenario, name: str) -> str:
    role = scenario.roles[name]
    lines = [
        role.title,
        f"{_num(role.fte)} FTE x {_num(role.casework_hours_per_day * 7)} casework h a week",
    ]
    if role.staffing_plan:
        lines.append(f"{len(role.staffing_plan)} planned change(s)")
    return "<br/>".join(_text(line) for line in lines)


def _outcome_label(name: str) -> str:
    return _text("closed: " + name.replace("_", " "))


def _node(kind: str, name: str) -> str:
    """Node ids carry a prefix, so no scenario name can collide with a Mermaid keyword."""
    return f"{kind}_{name}"


def mermaid_flowchart(scenario: Scenario) -> str:
    """The scenario's flowchart in Mermaid syntax (deterministic: same scenario, same text)."""
    lines = [
        "flowchart LR",
        f"  %% Generated by `acusim diagram` from scenario '{scenario.name}'; do not edit by hand.",
        '  subgraph sources["Referral sources"]',
    ]
    for name in scenario.sources:
        lines.append(f'    {_node("source", name)}(["{_source_label(scenario, name)}"])')
    lines.append("  end")
    lines.append('  subgraph stages["Stages"]')
    for name, stage in scenario.stages.items():
        label = _stage_label(scenario, name)
        shape = f'["{label}"]' if stage.role else f'("{label}")'
        lines.append(f"    {_node('stage', name)}{shape}")
    lines.append("  end")
    lines.append('  subgraph roles["Roles"]')
    for name in scenario.roles:
        lines.append(f'    {_node("role", name)}{{{{"{_role_label(scenario, name)}"}}}}')
    lines.append("  end")
    lines.append('  subgraph outcomes["Closure outcomes"]')
    for name in scenario.outcomes:
        lines.append(f'    {_node("outcome", name)}>"{_outcome_label(name)}"]')
    lines.append("  end")

    def target(dest: str) -> str:
        return _node("stage" if dest in scenario.stages else "outcome", dest)

    for name, source in scenario.sources.items():
        arrow = "-->" if source.enabled else "-.->"
        lines.append(f"  {_node('source', name)} {arrow} {_node('stage', source.entry_stage)}")
    for name, stage in scenario.stages.items():
        here = _node("stage", name)
        for dest, p in stage.routing.default.items():
            if p > 0:
                lines.append(f'  {here} -->|"{_pct(p)}"| {target(dest)}')
        for rule in stage.routing.rules:
            when = _text(describe_condition(rule.when))
            for dest, p in rule.routes.items():
                if p > 0:
                    lines.append(f'  {here} -.->|"if {when}: {_pct(p)}"| {target(dest)}')
    for name, stage in scenario.stages.items():
        if stage.role is not None:
            lines.append(f"  {_node('role', stage.role)} -.- {_node('stage', name)}")
    disabled = [_node("source", n) for n, s in scenario.sources.items() if not s.enabled]
    if disabled:
        lines.append("  classDef off stroke-dasharray: 5 5,color:#888888")
        lines.append(f"  class {','.join(disabled)} off")
    return "\n".join(lines) + "\n"


def markdown_block(scenario: Scenario) -> str:
    """The flowchart fenced for Markdown (as embedded in ``docs/model.md``)."""
    return "```mermaid\n" + mermaid_flowchart(scenario) + "```\n"
