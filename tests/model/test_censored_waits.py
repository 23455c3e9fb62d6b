"""Censored (Kaplan-Meier) waits through the engine: an overloaded M/M/1 against its fluid
limit, and an M/M/c below saturation against Erlang C; overload verdicts.

The fluid limit of an M/M/1 queue with lam > mu, starting empty at 0 and run to T: the
server never idles, so by time t, lam t cases have arrived and mu t have been started.
A case arriving at t waits for the (lam - mu) t cases ahead of it: W(t) = (rho - 1) t.
It is started by T when t + W(t) <= T, i.e. t <= T / rho; the later arrivals (a share
1 - 1/rho) are still waiting at the end, censored at T - t. The observed waits therefore
run up to u_max = (rho - 1) T / rho = T (1 - 1/rho). At wait u the events come from
arrivals at t = u / (rho - 1) (density lam / (rho - 1) in u) and the cases at risk are those
with W(t) >= u and T - t >= u, i.e. t in [u / (rho - 1), T - u]: lam (T - u rho / (rho - 1)).
The hazard is 1 / ((rho - 1) T - rho u), so the Kaplan-Meier curve tends to
S(u) = (1 - u / u_max) ** (1 / rho), and its p-quantile to u_max (1 - (1 - p) ** rho):
proportional to the horizon. (The wait of the case *started* at s is s (1 - 1/rho).)
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from model.overload import NOT_REACHED, OVERLOADED, SETTLED, stage_waits
from model.queueing import erlang_c
from model.replications import estimate, run_replications
from model.results import summary_dict
from tests.conftest import queue_scenario

RHO = 1.5


def fluid_km_quantile(horizon_days: float, rho: float, p: float) -> float:
    return horizon_days * (1 - 1 / rho) * (1 - (1 - p) ** rho)


@pytest.fixture(scope="module")
def overloaded_runs():
    runs = {}
    for years in (1, 3):
        scenario = queue_scenario(
            servers=1, arrivals_per_day=RHO, horizon_years=years, warmup_days=0
        )
        runs[years] = run_replications(scenario, replications=20, record_cases=True)
    return runs


def test_overloaded_median_grows_with_the_horizon_as_the_fluid_limit(overloaded_runs) -> None:
    medians = {}
    for years, results in overloaded_runs.items():
        horizon = 365.0 * years
        km = estimate(results.kpi_frame()["wait_km_median_days.service"])
        assert km.n == 20
        # Within 12% of the fluid limit (the stochastic correction is O(sqrt(T)), below it).
        assert km.mean == pytest.approx(fluid_km_quantile(horizon, RHO, 0.5), rel=0.12)
        p90 = estimate(results.kpi_frame()["wait_km_p90_days.service"])
        assert p90.mean == pytest.approx(fluid_km_quantile(horizon, RHO, 0.9), rel=0.12)
        medians[years] = km.mean
        # The plain median of the cases started understates it: (1 - 1/rho) T / 2 in the limit.
        cases = results.cases()
        started = cases.dropna(subset=["allocated_day"])
        plain = (started["allocated_day"] - started["queued_day"]).groupby(started["replication"])
        assert plain.median().mean() < 0.9 * km.mean
    assert medians[3] / medians[1] == pytest.approx(3.0, rel=0.12)


def test_still_waiting_share_matches_the_case_records(overloaded_runs) -> None:
    results = overloaded_runs[1]
    cases = results.cases()
    frame = results.kpi_frame()
    for replication, rows in cases.groupby("replication"):
        waiting = rows["allocated_day"].isna().sum()
        assert frame.loc[replication, "waiting_end.service"] == waiting
        assert frame.loc[replication, "backlog_end_waiting.service"] == waiting
        assert frame.loc[replication, "waiting_end_share.service"] == waiting / len(rows)
    share = estimate(frame["waiting_end_share.service"])
    assert share.mean == pytest.approx(1 - 1 / RHO, abs=0.04)


def test_overload_is_said_in_words(overloaded_runs) -> None:
    results = overloaded_runs[1]
    waits = stage_waits(results, "service")
    assert waits.status == OVERLOADED and not waits.mean_defined
    assert waits.words().startswith("Overloaded: the queue grew by about")
    # lam - mu = 0.5 cases a day: about 15 a month.
    assert waits.growth_per_year.mean / 12 == pytest.approx(0.5 * 365 / 12, rel=0.25)
    block = summary_dict(results)["waits"]["stages"]["service"]
    assert block["status"] == "overloaded" and block["words"] == waits.words()
    assert block["mean_defined"] is False


def test_mmc_below_saturation_agrees_with_erlang_c() -> None:
    c, lam, mu = 2, 1.6, 1.0  # rho = 0.8
    scenario = queue_scenario(servers=c, arrivals_per_day=lam, horizon_years=4, warmup_days=200)
    results = run_replications(scenario, replications=8, record_cases=True)
    frame = results.kpi_frame()
    waiting = erlang_c(c, lam / mu)

    def quantile(p: float) -> float:  # P(W > t) = C exp(-(c mu - lam) t)
        return max(0.0, math.log(waiting / (1 - p)) / (c * mu - lam))

    cases = results.cases()
    started = cases.dropna(subset=["allocated_day"])
    started = started[started["queued_day"] >= 0]
    wait = (started["allocated_day"] - started["queued_day"]).groupby(started["replication"])
    for p, censored, plain in (
        (0.5, frame["wait_km_median_days.service"], wait.median()),
        (0.9, frame["wait_km_p90_days.service"], frame["wait_p90_days.service"]),
    ):
        km = estimate(censored)
        assert km.ci_low <= quantile(p) <= km.ci_high
        uncensored = estimate(plain)
        assert uncensored.ci_low <= quantile(p) <= uncensored.ci_high
        assert km.mean == pytest.approx(uncensored.mean, rel=0.1)
    assert stage_waits(results, "service").status == SETTLED


def test_a_stage_no_case_reached() -> None:
    quiet = queue_scenario(arrivals_per_day=0.0, horizon_years=1, warmup_days=0)
    results = run_replications(quiet, replications=2)
    waits = stage_waits(results, "service")
    assert waits.status == NOT_REACHED and waits.median.n == 0
    assert np.isnan(results.kpi_frame()["waiting_end_share.service"]).all()
    assert summary_dict(results)["waits"]["stages"]["service"]["median_days"]["mean"] is None


def test_undefined_median_says_why() -> None:
    # Nobody works: every case is still waiting, so no quantile exists.
    nobody = queue_scenario(servers=0, arrivals_per_day=1.0, horizon_years=0.5, warmup_days=0)
    results = run_replications(nobody, replications=2)
    block = summary_dict(results)["waits"]["stages"]["service"]
    assert block["median_days"]["mean"] is None and block["median_days"]["undefined_in"] == 2
    assert "more than 50% of the cases were still waiting" in block["median_days"]["reason"]
    assert block["still_waiting_share"]["mean"] == 1.0
    assert block["status"] == "overloaded"
