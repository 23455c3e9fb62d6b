"""The engine against queueing theory: Erlang C, priority M/M/1, Pollaczek-Khinchine, Little.

Each check runs independent replications (with warm-up) and asks that the 95%
confidence interval of the simulated figure covers the analytic value. Seeds
are fixed, so the outcome is deterministic; a real fault (a wrong service
rate, a broken queue order) moves the estimate far outside the interval.
"""

from __future__ import annotations

import numpy as np
import pytest

from model.queueing import erlang_c, mg1_mean_wait, mmc_mean_wait, priority_mm1_waits
from model.replications import estimate, run_replications
from tests.conftest import queue_scenario


def _visits_after_warmup(results, scenario):
    cases = results.cases()
    started = cases.dropna(subset=["allocated_day"])
    return started[started["queued_day"] >= 0]  # case days count from the start date


@pytest.mark.parametrize(
    ("servers", "rho", "horizon_years"),
    [(2, 0.5, 6), (3, 0.7, 8), (4, 0.9, 15)],
)
def test_mmc_wait_matches_erlang_c(servers: int, rho: float, horizon_years: float) -> None:
    lam, mu = rho * servers, 1.0
    scenario = queue_scenario(
        servers=servers, arrivals_per_day=lam, horizon_years=horizon_years, warmup_days=200
    )
    results = run_replications(scenario, replications=8, record_cases=True)
    visits = _visits_after_warmup(results, scenario)
    waits = visits["allocated_day"] - visits["queued_day"]
    per_rep = visits.assign(wait=waits, waited=waits > 1e-12).groupby("replication")
    mean_wait = estimate(per_rep["wait"].mean())
    p_wait = estimate(per_rep["waited"].mean())

    assert mean_wait.ci_low <= mmc_mean_wait(lam, mu, servers) <= mean_wait.ci_high
    assert p_wait.ci_low <= erlang_c(servers, lam / mu) <= p_wait.ci_high
    # The KPI the model reports is the same figure.
    kpi = estimate(results.kpi_frame()["wait_mean_days.service"])
    assert kpi.mean == pytest.approx(mean_wait.mean, rel=0.02)


def test_mm1_two_priority_classes_match_cobham() -> None:
    lam_high, lam_low, mu = 0.3, 0.4, 1.0
    mix = {
        "category": {"other": 1.0},
        "apsp_probability": 0.0,
        "priority": {
            "high": lam_high / (lam_high + lam_low),
            "low": lam_low / (lam_high + lam_low),
        },
    }
    scenario = queue_scenario(
        servers=1,
        arrivals_per_day=lam_high + lam_low,
        discipline="priority",
        mix=mix,
        horizon_years=10,
        warmup_days=200,
    )
    results = run_replications(scenario, replications=8, record_cases=True)
    visits = _visits_after_warmup(results, scenario)
    visits = visits.assign(wait=visits["allocated_day"] - visits["queued_day"])
    by_class = visits.groupby(["replication", "priority"])["wait"].mean().unstack()
    expected_high, expected_low = priority_mm1_waits([lam_high, lam_low], mu)
    high, low = estimate(by_class["high"]), estimate(by_class["low"])
    assert high.ci_low <= expected_high <= high.ci_high
    assert low.ci_low <= expected_low <= low.ci_high
    assert high.mean < low.mean / 2  # the discipline really reorders the queue


def test_fifo_ignores_priority() -> None:
    mix = {
        "category": {"other": 1.0},
        "apsp_probability": 0.0,
        "priority": {"high": 0.5, "low": 0.5},
    }
    scenario = queue_scenario(servers=1, arrivals_per_day=0.7, mix=mix, horizon_years=6)
    results = run_replications(scenario, replications=6, record_cases=True)
    visits = _visits_after_warmup(results, scenario)
    waits = (visits["allocated_day"] - visits["queued_day"]).groupby(visits["priority"]).mean()
    assert waits["high"] == pytest.approx(waits["low"], rel=0.15)


def test_md1_matches_pollaczek_khinchine() -> None:
    lam, service = 0.8, 1.0
    scenario = queue_scenario(
        servers=1,
        arrivals_per_day=lam,
        effort={"dist": "fixed", "value": 24 * service},
        horizon_years=8,
        warmup_days=200,
    )
    results = run_replications(scenario, replications=8)
    wait = estimate(results.kpi_frame()["wait_mean_days.service"])
    assert wait.ci_low <= mg1_mean_wait(lam, service, service**2) <= wait.ci_high


def test_littles_law_in_steady_state() -> None:
    scenario = queue_scenario(servers=3, arrivals_per_day=2.1, horizon_years=8, warmup_days=200)
    frame = run_replications(scenario, replications=8).kpi_frame()
    little = estimate(frame["arrival_rate_per_day"] * frame["sojourn_mean_days"])
    wip = estimate(frame["wip_mean"])
    assert abs(little.mean - wip.mean) <= 2 * max(little.half_width, wip.half_width)
    analytic_l = 2.1 * (mmc_mean_wait(2.1, 1.0, 3) + 1.0)
    assert wip.ci_low <= analytic_l <= wip.ci_high


def test_utilisation_equals_offered_load() -> None:
    scenario = queue_scenario(servers=2.5, arrivals_per_day=1.5, horizon_years=6)
    frame = run_replications(scenario, replications=6).kpi_frame()
    util = estimate(frame["utilisation.server"])
    assert util.ci_low <= 1.5 / 2.5 <= util.ci_high
    assert np.isfinite(util.half_width)
