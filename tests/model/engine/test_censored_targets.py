"""Share targets count cases never started: still waiting past the limit in the target
stage (a miss), or stuck upstream of it past the limit (a miss weighted by the chance of
getting there); cases still within the limit are left out (censored)."""

from __future__ import annotations

import pytest

from model.engine.reach import Reach
from model.engine.stages import Case
from model.engine.unit import run_replication
from model.scenario import scenario_from_mapping
from tests.conftest import as_mapping, queue_scenario

ONWARD = 0.4
WITHIN = 10.0


def two_stages(review_servers: float):
    """A review stage (overloaded with few servers) sending 40% on to assessment, and a
    target on assessment within 10 days of referral."""
    data = as_mapping(
        queue_scenario(servers=1, arrivals_per_day=1.0, horizon_years=1, warmup_days=0)
    )
    data["roles"]["reviewer"] = {
        **data["roles"]["server"],
        "title": "Reviewer",
        "fte": review_servers,
    }
    data["sources"]["poisson"]["entry_stage"] = "review"
    data["stages"] = {
        "review": {
            "title": "Review",
            "role": "reviewer",
            "effort_hours": {"dist": "exponential", "mean": 24.0},
            "routing": {"default": {"done": 1 - ONWARD, "service": ONWARD}},
        },
        "service": data["stages"]["service"],
    }
    data["targets"] = {
        "assessed": {
            "kind": "share_within",
            "stage": "service",
            "within_days": WITHIN,
            "min_share": 0.9,
        }
    }
    return scenario_from_mapping(data, "test")


def test_cases_stuck_upstream_past_the_limit_count_as_expected_misses() -> None:
    scenario = two_stages(review_servers=0.5)  # review gets 1 a day, can start 0.5
    result = run_replication(scenario, 3, 0, record_cases=True)
    cases, end = result.cases, scenario.horizon_days
    at_service = cases[cases["stage"] == "service"]
    started = at_service.dropna(subset=["allocated_day"])
    hits = int(((started["allocated_day"] - started["received_day"]) <= WITHIN).sum())
    waiting = at_service[at_service["allocated_day"].isna()]
    late_waiting = int(((end - waiting["received_day"]) > WITHIN).sum())
    stuck = cases[(cases["stage"] == "review") & cases["left_day"].isna()]
    late_stuck = int(((end - stuck["received_day"]) > WITHIN).sum())
    assert late_stuck > 50  # the review queue really is stuck
    expected = hits / (len(started) + late_waiting + ONWARD * late_stuck)
    assert result.kpis["target.assessed"] == pytest.approx(expected, rel=1e-12)


def test_reach_follows_routing_loops() -> None:
    data = as_mapping(two_stages(review_servers=1))
    # Review sends 40% to service and 20% back to itself: reach = 0.4 / (1 - 0.2) = 0.5.
    data["stages"]["review"]["routing"]["default"] = {"done": 0.4, "service": 0.4, "review": 0.2}
    scenario = scenario_from_mapping(data, "test")
    reach = Reach(scenario, "service")
    case = Case(
        case_id=0,
        group="g",
        index=0,
        source=0,
        category=0,
        apsp=False,
        priority=1,
        received=0.0,
        n_stages=2,
    )
    assert reach.after(0, case) == pytest.approx(0.5)
    assert reach.after(1, case) == 0.0  # service closes every case
