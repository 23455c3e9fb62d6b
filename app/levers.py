"""The main levers a commissioner may move, read from a scenario and turned back into overrides.

Levers are derived from whatever scenario is loaded (shipped or uploaded), so they name
that scenario's own sources and roles. Each lever holds its value in the units shown on
screen (percentages as 0-100) and knows how to express a new value as dotted-path
overrides for :func:`model.scenario.with_overrides`, which re-validates the whole
scenario: the app never edits a scenario any other way. Only levers moved away from the
chosen scenario's value produce overrides, so an untouched scenario runs exactly as its
file says (same content hash, same numbers as ``acusim run``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from model.scenario import LogisticModifier, MonitoringSource, RateSource, Scenario

Widget = Literal["number", "integer", "percent", "toggle"]
GROUPS: tuple[str, ...] = ("monitoring", "reporting", "sources", "staff", "run")
"""Order of the lever groups on the Scenario page."""

PERCENT = 100.0
MIN_REPLICATIONS = 2
"""A confidence interval needs at least two replications."""
MIN_HORIZON_YEARS = 0.25
"""A quarter (13 weekly snapshots): shorter runs have too few weeks to chart."""
ABSTRACTION_MAX_PERCENT = 99.5
"""The scenario contract needs abstraction below 100% (someone must be at work)."""
SHARE_DIGITS = 6
"""Rounding of shares set from percentages, so 85.0% gives exactly 0.85 in the file."""


@dataclass(frozen=True)
class Lever:
    """One labelled control: where it sits, its value in the chosen scenario, its bounds."""

    id: str
    group: str
    label: str
    """Catalogue key of the label."""
    unit: str | None
    """Catalogue key of the unit shown beside the label (none for switches and the seed)."""
    help: str
    """Catalogue key of the help text."""
    base: float | bool
    widget: Widget
    to_changes: Callable[[Any], dict[str, Any]] = field(compare=False, repr=False)
    subject_kind: str | None = None
    """``sources`` or ``roles``: the lever is about one of them (named in its label)."""
    subject: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    step: float = 1.0
    digits: int = 0
    """Decimals shown."""

    def changed(self, value: Any) -> bool:
        if self.widget == "toggle":
            return bool(value) != bool(self.base)
        return not math.isclose(float(value), float(self.base), rel_tol=1e-9, abs_tol=1e-12)


def _share_route(stage_routes: dict[str, float], outcome: str) -> Callable[[float], dict]:
    """Set the share of cases closed at ``outcome``; the other routes keep their proportions."""
    others = {d: p for d, p in stage_routes.items() if d != outcome}
    rest = sum(others.values())

    def routes(percent: float) -> dict[str, float]:
        share = round(percent / PERCENT, SHARE_DIGITS)
        table = {outcome: share}
        for dest, p in others.items():
            table[dest] = round((1 - share) * p / rest, SHARE_DIGITS)
        table[outcome] = round(1 - sum(v for d, v in table.items() if d != outcome), SHARE_DIGITS)
        return table

    return routes


def _monitoring_levers(scenario: Scenario) -> list[Lever]:
    levers: list[Lever] = []
    review_stages: dict[str, None] = {}
    for name, source in scenario.sources.items():
        if not isinstance(source, MonitoringSource):
            continue
        path = f"sources.{name}"
        levers += [
            Lever(
                id=f"{path}.enabled",
                group="monitoring",
                label="levers.monitoring_on",
                unit=None,
                help="levers.monitoring_on_help",
                base=source.enabled,
                widget="toggle",
                to_changes=lambda v, p=path: {f"{p}.enabled": bool(v)},
                subject_kind="sources",
                subject=name,
            ),
            Lever(
                id=f"{path}.devices_covered",
                group="monitoring",
                label="levers.devices",
                unit="units.devices",
                help="levers.devices_help",
                base=float(source.devices_covered),
                widget="number",
                to_changes=lambda v, p=path: {f"{p}.devices_covered": float(v)},
                subject_kind="sources",
                subject=name,
                minimum=0.0,
                step=10.0,
            ),
            Lever(
                id=f"{path}.alerts_per_device_per_week",
                group="monitoring",
                label="levers.alert_rate",
                unit="units.alerts_per_device_week",
                help="levers.alert_rate_help",
                base=float(source.alerts_per_device_per_week),
                widget="number",
                to_changes=lambda v, p=path: {f"{p}.alerts_per_device_per_week": float(v)},
                subject_kind="sources",
                subject=name,
                minimum=0.0,
                step=0.0005,
                digits=4,
            ),
        ]
        review_stages[source.entry_stage] = None
    outcomes = set(scenario.outcomes)
    for stage_name in review_stages:
        routes = scenario.stages[stage_name].routing.default
        closing = [d for d in routes if d in outcomes]
        # One closure route beside other routes: its share is the false-positive share.
        if len(closing) != 1 or len(routes) < 2 or routes[closing[0]] >= 1:
            continue
        outcome = closing[0]
        to_routes = _share_route(dict(routes), outcome)
        levers.append(
            Lever(
                id=f"stages.{stage_name}.routing.default.{outcome}",
                group="monitoring",
                label="levers.false_positive_share",
                unit="units.percent",
                help="levers.false_positive_share_help",
                base=round(routes[outcome] * PERCENT, 4),
                widget="percent",
                to_changes=lambda v, s=stage_name, f=to_routes: {
                    f"stages.{s}.routing.default": f(v)
                },
                subject_kind="stages",
                subject=stage_name,
                minimum=0.0,
                maximum=PERCENT,
                step=0.5,
                digits=1,
            )
        )
    return levers


def _source_levers(scenario: Scenario) -> list[Lever]:
    levers: list[Lever] = []
    for name, source in scenario.sources.items():
        if not isinstance(source, RateSource):
            continue
        path = f"sources.{name}"
        for index, modifier in enumerate(source.modifiers):
            if not isinstance(modifier, LogisticModifier):
                continue
            dumped = [m.model_dump(mode="json") for m in source.modifiers]

            def with_growth(v: float, i: int = index, mods: list = dumped, p: str = path) -> dict:
                new = [dict(m) for m in mods]
                new[i]["to_factor"] = float(v)
                return {f"{p}.modifiers": new}

            levers.append(
                Lever(
                    id=f"{path}.modifiers.{index}.to_factor",
                    group="reporting",
                    label="levers.growth",
                    unit="units.times",
                    help="levers.growth_help",
                    base=float(modifier.to_factor),
                    widget="number",
                    to_changes=with_growth,
                    subject_kind="sources",
                    subject=name,
                    minimum=0.0,
                    step=0.1,
                    digits=2,
                )
            )
        levers.append(
            Lever(
                id=f"{path}.rate_per_week",
                group="sources",
                label="levers.rate",
                unit="units.per_week",
                help="levers.rate_help",
                base=float(source.rate_per_week),
                widget="number",
                to_changes=lambda v, p=path: {f"{p}.rate_per_week": float(v)},
                subject_kind="sources",
                subject=name,
                minimum=0.0,
                step=0.05,
                digits=2,
            )
        )
    return levers


def _staff_levers(scenario: Scenario) -> list[Lever]:
    levers: list[Lever] = []
    for name, role in scenario.roles.items():
        path = f"roles.{name}"
        levers += [
            Lever(
                id=f"{path}.fte",
                group="staff",
                label="levers.fte",
                unit="units.fte",
                help="levers.fte_help",
                base=float(role.fte),
                widget="number",
                to_changes=lambda v, p=path: {f"{p}.fte": float(v)},
                subject_kind="roles",
                subject=name,
                minimum=0.0,
                step=0.5,
                digits=1,
            ),
            Lever(
                id=f"{path}.abstraction_rate",
                group="staff",
                label="levers.abstraction",
                unit="units.percent",
                help="levers.abstraction_help",
                base=round(role.abstraction_rate * PERCENT, 4),
                widget="percent",
                to_changes=lambda v, p=path: {
                    f"{p}.abstraction_rate": round(v / PERCENT, SHARE_DIGITS)
                },
                subject_kind="roles",
                subject=name,
                minimum=0.0,
                maximum=ABSTRACTION_MAX_PERCENT,
                step=0.5,
                digits=1,
            ),
        ]
    return levers


def _run_levers(scenario: Scenario) -> list[Lever]:
    return [
        Lever(
            id="horizon_years",
            group="run",
            label="levers.horizon",
            unit="units.years",
            help="levers.horizon_help",
            base=float(scenario.horizon_years),
            widget="number",
            to_changes=lambda v: {"horizon_years": float(v)},
            minimum=MIN_HORIZON_YEARS,
            maximum=30.0,
            step=0.25,
            digits=2,
        ),
        Lever(
            id="replications",
            group="run",
            label="levers.replications",
            unit="units.runs",
            help="levers.replications_help",
            base=max(MIN_REPLICATIONS, scenario.replications),
            widget="integer",
            to_changes=lambda v: {"replications": int(v)},
            minimum=MIN_REPLICATIONS,
            maximum=10_000,
            step=1,
        ),
        Lever(
            id="seed",
            group="run",
            label="levers.seed",
            unit=None,
            help="levers.seed_help",
            base=scenario.seed,
            widget="integer",
            to_changes=lambda v: {"seed": int(v)},
            minimum=0,
            step=1,
        ),
    ]


def levers_for(scenario: Scenario) -> list[Lever]:
    """Every lever this scenario offers, in display order."""
    return (
        _monitoring_levers(scenario)
        + _source_levers(scenario)
        + _staff_levers(scenario)
        + _run_levers(scenario)
    )


def base_values(levers: list[Lever]) -> dict[str, Any]:
    return {lever.id: lever.base for lever in levers}


def overrides(levers: list[Lever], values: dict[str, Any]) -> dict[str, Any]:
    """Dotted-path overrides for the levers moved away from the chosen scenario."""
    changes: dict[str, Any] = {}
    for lever in levers:
        value = values.get(lever.id, lever.base)
        if lever.changed(value):
            changes.update(lever.to_changes(value))
    return changes


def moved(levers: list[Lever], values: dict[str, Any]) -> list[tuple[Lever, Any]]:
    """The levers moved away from the chosen scenario, with their new values."""
    return [
        (lever, values[lever.id])
        for lever in levers
        if lever.id in values and lever.changed(values[lever.id])
    ]
