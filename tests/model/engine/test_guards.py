"""Run-time guards: a run beyond the size limits is refused before it starts, and a case
that loops beyond ``limits.max_visits_per_case`` stops the run with one line."""

from __future__ import annotations

import pickle

import pytest

from model.engine.guards import RunawayCase, check_case_visits
from model.engine.size import estimate_run_size
from model.replications import run_replications
from model.scenario import ScenarioError, load_scenario, with_overrides
from tests.conftest import SCENARIOS

BASELINE = load_scenario(SCENARIOS / "baseline.yaml")


def _looping(cap: int):
    """Investigation sends half its cases back to itself (passes the routing check)."""
    data = BASELINE.model_dump(mode="json", by_alias=True)
    data["stages"]["investigation"]["routing"]["default"] = {
        "investigation": 0.5,
        "proceedings": 0.5,
    }
    data["limits"] = {"max_visits_per_case": cap}
    data["horizon_years"] = 0.5
    from model.scenario import scenario_from_mapping

    return scenario_from_mapping(data, "loop")


def test_a_case_beyond_the_visit_cap_stops_the_run_with_one_line() -> None:
    with pytest.raises(RunawayCase) as info:
        run_replications(_looping(cap=2), replications=1)
    (line,) = info.value.lines
    assert "limits.max_visits_per_case (2)" in line
    assert "stages.investigation.routing" in line


def test_the_same_loop_runs_under_the_default_cap() -> None:
    assert run_replications(_looping(cap=10_000), replications=1).n == 1


def test_the_error_survives_a_worker_process() -> None:
    with pytest.raises(RunawayCase) as info:
        run_replications(_looping(cap=2), replications=2, workers=2)
    assert len(info.value.lines) == 1
    again = pickle.loads(pickle.dumps(info.value))
    assert again.lines == info.value.lines


def test_guard_function() -> None:
    check_case_visits(5, 5, 1, "x", "s")
    with pytest.raises(RunawayCase, match="6 stage visits"):
        check_case_visits(6, 5, 1, "x", "s")


def test_run_replications_refuses_a_run_too_large() -> None:
    big = with_overrides(BASELINE, {"sources.psd_referrals.rate_per_week": 20_000.0})
    with pytest.raises(ScenarioError, match="max_cases_per_replication"):
        run_replications(big, replications=1)


def test_the_estimate_matches_the_simulated_arrivals() -> None:
    """The estimate is the sampler's expectation: simulated counts agree within noise."""
    size = estimate_run_size(BASELINE)
    results = run_replications(BASELINE, replications=3)
    backlog = sum(e.waiting + e.in_progress for e in BASELINE.initial_backlog)
    simulated = results.kpi_frame()["referrals_total"].mean() + backlog
    assert abs(simulated - size.cases) < 4 * size.cases**0.5 + 0.05 * size.cases
