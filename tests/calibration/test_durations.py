"""Censored duration fits: unbiased with open cases, where closed-cases-only is not."""

from __future__ import annotations

import numpy as np
import pytest

from calibration.durations import Durations, fit_duration, scenario_distribution

MEAN, CV = 300.0, 0.7
WINDOW = 900.0
MINUTE = 1 / 1440


def open_cases(rng: np.random.Generator, n: int) -> Durations:
    """Cases opened uniformly over a window and observed at its end (as-of): those that
    would finish later are open, their durations right-censored at their age."""
    shape = 1 / CV**2
    truth = rng.gamma(shape, MEAN / shape, n)
    age = WINDOW * rng.random(n)
    finished = truth <= age
    return Durations(np.where(finished, truth, age), finished, np.full(n, MINUTE))


def test_censored_fit_is_unbiased_where_closed_only_is_not() -> None:
    censored_means, closed_means, covered, closed_covered = [], [], 0, 0
    open_share = []
    for seed in range(25):
        data = open_cases(np.random.default_rng(seed), 300)
        open_share.append(1 - data.finished.mean())
        fit = fit_duration("inv", data, 0.95, "visits", family="gamma", with_km=False)
        naive = fit_duration("inv", data.closed_only(), 0.95, "visits", "gamma", with_km=False)
        censored_means.append(fit.mean_days)
        closed_means.append(naive.mean_days)
        covered += fit.chosen.mean.contains(MEAN)
        closed_covered += naive.chosen.mean.contains(MEAN)
    assert 0.25 < np.mean(open_share) < 0.5  # a realistic share of open cases
    # Censored: within 3% of the truth on average, and its intervals cover it.
    assert np.mean(censored_means) == pytest.approx(MEAN, rel=0.03)
    assert covered >= 21  # of 25 at 95% (P(fewer) < 4%)
    # Closed cases only: far too short, and its intervals almost never cover the truth.
    assert np.mean(closed_means) < 0.8 * MEAN
    assert closed_covered <= 2


def test_aic_picks_the_true_family_in_a_large_sample() -> None:
    rng = np.random.default_rng(1)
    values = rng.lognormal(np.log(20), 1.0, 3000)
    data = Durations(values, np.ones(3000, bool), np.full(3000, MINUTE))
    fit = fit_duration("x", data, 0.95, "visits")
    assert fit.chosen.family == "lognormal"
    assert {a.family for a in fit.alternatives} == {"exponential", "gamma", "weibull"}
    assert all(a.aic > fit.chosen.aic for a in fit.alternatives)
    true_mean = 20 * np.exp(0.5)
    assert fit.chosen.parameters["mean"].contains(true_mean)
    assert fit.chosen.parameters["cv"].contains(np.sqrt(np.e - 1))
    assert fit.km is not None and fit.km["survival"][0] <= 1.0


def test_weibull_parameters_and_mean_are_recovered() -> None:
    rng = np.random.default_rng(2)
    values = 50 * rng.weibull(2.5, 2000)
    data = Durations(values, np.ones(2000, bool), np.full(2000, MINUTE))
    fit = fit_duration("w", data, 0.99, "visits", family="weibull")
    assert fit.chosen.parameters["shape"].contains(2.5)
    assert fit.chosen.parameters["scale"].contains(50)
    assert fit.chosen.mean.contains(50 * 0.887264)  # Gamma(1 + 1/2.5)


def test_zero_durations_are_below_the_resolution_not_exact() -> None:
    rng = np.random.default_rng(3)
    values = np.concatenate([np.zeros(100), rng.exponential(3.0, 400)])
    values = np.floor(values)  # bare dates: whole days
    data = Durations(values, np.ones(500, bool), np.ones(500))
    fit = fit_duration("d", data, 0.95, "visits")
    assert np.isfinite(fit.chosen.aic)
    assert 2.0 < fit.mean_days < 4.5


def test_all_zero_durations_give_a_stated_upper_bound() -> None:
    data = Durations(np.zeros(50), np.ones(50, bool), np.full(50, MINUTE))
    fit = fit_duration("z", data, 0.95, "visits")
    assert fit.chosen.mean.high == pytest.approx(MINUTE)
    assert "below the recording resolution" in fit.chosen.mean.method


def test_scaling_keeps_family_and_spread() -> None:
    theta = np.log([10.0, 0.5])
    assert scenario_distribution("gamma", theta, 3.0) == pytest.approx(
        {"dist": "gamma", "mean": 30.0, "cv": 0.5}
    )
    weibull = scenario_distribution("weibull", np.log([2.0, 10.0]), 0.5)
    assert weibull["shape"] == pytest.approx(2.0) and weibull["scale"] == pytest.approx(5.0)
