"""Effort that changes over time: the effort in force when a visit asks for work is its own."""

from __future__ import annotations

import numpy as np
import pytest

from model.engine.unit import run_replication
from model.replications import run_replications
from model.scenario import ScenarioError, scenario_from_mapping
from tests.conftest import as_mapping, queue_scenario

CHANGE_DAY = 181  # 2025-07-01 from 2025-01-01
ROUTES = {"default": {"done": 0.5, "other": 0.5}}


def _scenario(changes: list | None = None, **extra):
    kwargs = {
        "servers": 50,  # nobody waits: service time is effort / 24 hours a day
        "arrivals_per_day": 2.0,
        "horizon_years": 1,
        "warmup_days": 0,
        "effort": {"dist": "fixed", "value": 24.0},
        "outcomes": ["done", "other"],
        "stages__service__routing": ROUTES,
        **extra,
    }
    if changes is not None:
        kwargs["stages__service__effort_changes"] = changes
    return queue_scenario(**kwargs)


def _cases(scenario):
    cases = run_replication(scenario, seed=5, replication=0, record_cases=True).cases
    return cases.dropna(subset=["left_day"]).set_index("case_id")


def test_a_visit_takes_the_effort_in_force_when_it_asks_for_work() -> None:
    cases = _cases(
        _scenario([{"date": "2025-07-01", "effort_hours": {"dist": "fixed", "value": 72}}])
    )
    service = cases["left_day"] - cases["allocated_day"]
    before = cases["queued_day"] < CHANGE_DAY
    assert before.sum() > 100 and (~before).sum() > 100
    assert np.allclose(service[before], 1.0) and np.allclose(service[~before], 3.0)


def test_changed_delays_replace_the_stage_delays_from_the_date() -> None:
    delay = {"name": "iopc", "duration_days": {"dist": "fixed", "value": 10}}
    change = {
        "date": "2025-07-01",
        "effort_hours": {"dist": "fixed", "value": 48},
        "external_delays": [delay],
    }
    cases = _cases(_scenario([change]))
    stay = cases["left_day"] - cases["allocated_day"]
    before = cases["queued_day"] < CHANGE_DAY
    assert np.allclose(stay[before], 1.0) and np.allclose(stay[~before], 2.0 + 10.0)


def test_a_change_before_the_start_applies_from_the_start() -> None:
    old = {"date": "2020-01-01", "effort_hours": {"dist": "fixed", "value": 48}}
    cases = _cases(_scenario([old]))
    assert np.allclose(cases["left_day"] - cases["allocated_day"], 2.0)


def test_routes_and_arrivals_do_not_move_with_the_effort() -> None:
    """Common random numbers: the same case takes the same route in every period."""
    plain = _cases(_scenario())
    changed = _cases(
        _scenario([{"date": "2025-07-01", "effort_hours": {"dist": "exponential", "mean": 30}}])
    )
    assert plain.index.equals(changed.index)
    assert (plain["next"] == changed["next"]).all()
    assert np.allclose(plain["received_day"], changed["received_day"])


def test_a_change_after_the_horizon_changes_nothing() -> None:
    late = {"date": "2027-01-01", "effort_hours": {"dist": "exponential", "mean": 30}}
    a = run_replications(_scenario(effort={"dist": "gamma", "mean": 20, "cv": 0.5}), 2, seed=3)
    b = run_replications(
        _scenario([late], effort={"dist": "gamma", "mean": 20, "cv": 0.5}), 2, seed=3
    )
    assert a.kpi_frame().equals(b.kpi_frame())


def test_resumed_backlog_uses_the_effort_in_force_at_the_start() -> None:
    backlog = [
        {
            "stage": "service",
            "source": "poisson",
            "in_progress": 40,
            "in_service_days": [0.5] * 40,
        }
    ]
    old = {"date": "2020-01-01", "effort_hours": {"dist": "fixed", "value": 72}}
    cases = _cases(_scenario([old], initial_backlog=backlog, arrivals_per_day=0.0))
    # fixed 3 days of work, half a day done: 2.5 days remain for every resumed case
    assert len(cases) == 40 and np.allclose(cases["left_day"], 2.5)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            [
                {"date": "2025-07-01", "effort_hours": {"dist": "fixed", "value": 1}},
                {"date": "2025-03-01", "effort_hours": {"dist": "fixed", "value": 2}},
            ],
            "must be in order",
        ),
        ([{"date": "2025-07-01"}], "effort_hours"),
        ([{"date": "2025-07-01", "effort_hours": {"dist": "fixed", "value": -1}}], "value"),
    ],
)
def test_bad_effort_changes_are_refused_in_one_line(changes, message) -> None:
    data = as_mapping(_scenario())
    data["stages"]["service"]["effort_changes"] = changes
    with pytest.raises(ScenarioError, match=message):
        scenario_from_mapping(data, "bad.yaml")


def test_a_stage_nobody_works_has_no_effort_changes() -> None:
    data = as_mapping(_scenario())
    stage = data["stages"]["service"]
    stage.update(role=None, effort_hours=None)
    stage["external_delays"] = [{"name": "wait", "duration_days": {"dist": "fixed", "value": 1}}]
    stage["effort_changes"] = [
        {"date": "2025-07-01", "effort_hours": {"dist": "fixed", "value": 1}}
    ]
    with pytest.raises(ScenarioError, match="needs a `role`"):
        scenario_from_mapping(data, "bad.yaml")


def test_no_changes_leave_the_content_hash_as_before() -> None:
    scenario = _scenario()
    data = as_mapping(scenario)
    assert data["stages"]["service"]["effort_changes"] == []
    del data["stages"]["service"]["effort_changes"]
    assert scenario_from_mapping(data, "x").content_hash() == scenario.content_hash()
