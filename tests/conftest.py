"""Shared builders: small scenarios written as dicts, validated like any file."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from model.scenario import Scenario, load_scenario, scenario_from_mapping

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"
TEST_SCENARIOS = Path(__file__).resolve().parent / "scenarios"

ONE_MIX = {"category": {"other": 1.0}, "apsp_probability": 0.0, "priority": {"medium": 1.0}}


def queue_scenario(
    *,
    servers: float = 1,
    arrivals_per_day: float = 0.5,
    mean_service_days: float = 1.0,
    horizon_years: float = 10,
    warmup_days: float = 365,
    discipline: str = "fifo",
    effort: dict[str, Any] | None = None,
    mix: dict[str, Any] | None = None,
    **extra: Any,
) -> Scenario:
    """One Poisson source, one stage, servers working round the clock: an M/x/c queue.

    Effort is in hours and a server delivers 24 hours a day, so effort / 24 = service days.
    """
    data: dict[str, Any] = {
        "name": "queue",
        "start_date": "2025-01-01",
        "horizon_years": horizon_years,
        "warmup_days": warmup_days,
        "seed": 11,
        "replications": 5,
        "roles": {
            "server": {
                "title": "Server",
                "fte": servers,
                "contracted_hours_per_week": 168,
                "abstraction_rate": 0,
                "casework_share": 1,
            }
        },
        "sources": {
            "poisson": {
                "title": "Poisson",
                "kind": "rate",
                "rate_per_week": arrivals_per_day * 7,
                "entry_stage": "service",
                "mix": mix or ONE_MIX,
            }
        },
        "stages": {
            "service": {
                "title": "Service",
                "role": "server",
                "effort_hours": effort or {"dist": "exponential", "mean": 24 * mean_service_days},
                "discipline": discipline,
                "routing": {"default": {"done": 1.0}},
            }
        },
        "outcomes": ["done"],
    }
    for path, value in extra.items():
        node = data
        *parents, last = path.split("__")
        for part in parents:
            node = node[part]
        node[last] = value
    return scenario_from_mapping(data, "test")


@pytest.fixture(scope="session")
def baseline() -> Scenario:
    return load_scenario(SCENARIOS / "baseline.yaml")


def as_mapping(scenario: Scenario) -> dict[str, Any]:
    return copy.deepcopy(scenario.model_dump(mode="json", by_alias=True))
