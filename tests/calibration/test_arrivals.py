"""Arrival fits recover known rates, steps, seasonality and over-dispersion."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from calibration.arrivals import ArrivalSettings, fit_arrivals, refit_with_structure

START = dt.date(2021, 1, 4)
DAYS = 4 * 365.0


def poisson_times(rng: np.random.Generator, rate_per_day: np.ndarray) -> np.ndarray:
    """Arrival times for a daily rate profile (exact for a rate constant within each day)."""
    counts = rng.poisson(rate_per_day)
    days = np.repeat(np.arange(len(rate_per_day)), counts)
    return np.sort(days + rng.random(days.size))


def step_profile(before: float, after: float, day: int) -> np.ndarray:
    rate = np.full(int(DAYS), before / 7.0)
    rate[day:] = after / 7.0
    return rate


WIDE = ArrivalSettings(confidence=0.99)
"""Single-dataset checks use 99% intervals; coverage itself is tested below."""


def test_a_step_is_found_with_its_date_and_factor() -> None:
    rng = np.random.default_rng(11)
    times = poisson_times(rng, step_profile(3.0, 6.0, 700))
    fit = fit_arrivals("s", times, START, DAYS, WIDE)
    assert fit.change is not None and not fit.change.known
    true_date = START + dt.timedelta(days=700)
    assert fit.change.low_date <= true_date <= fit.change.high_date
    assert abs((fit.change.date - true_date).days) <= 21
    assert fit.base_per_week.contains(3.0)
    assert fit.change.factor.contains(2.0)
    assert fit.current_per_week.contains(6.0)
    assert fit.burst_cv is None  # Poisson data: no over-dispersion


def test_constant_poisson_data_gets_no_components() -> None:
    rng = np.random.default_rng(5)
    times = poisson_times(rng, np.full(int(DAYS), 2.0 / 7.0))
    fit = fit_arrivals("c", times, START, DAYS, WIDE)
    assert fit.structure.step_day is None and not fit.structure.trend
    assert fit.structure.season is None and not fit.structure.negbin
    assert fit.base_per_week.contains(2.0)
    expected = 2.0 * fit.window_weeks
    assert fit.n == pytest.approx(expected, rel=0.15)
    chosen = [c for c in fit.candidates if c["chosen"]]
    assert len(chosen) == 1 and len(fit.candidates) == 12


def test_a_known_change_date_is_used_as_given() -> None:
    rng = np.random.default_rng(3)
    times = poisson_times(rng, step_profile(1.0, 4.0, 400))
    known = START + dt.timedelta(days=400)
    fit = fit_arrivals("k", times, START, DAYS, WIDE, known_change=known)
    assert fit.change is not None and fit.change.known and fit.change.date == known
    assert fit.change.factor.contains(4.0)


def test_over_dispersed_weeks_choose_the_negative_binomial() -> None:
    rng = np.random.default_rng(8)
    weeks = int(DAYS // 7) + 1
    cv = 0.5
    bursts = rng.gamma(1 / cv**2, cv**2, weeks)
    rate = 5.0 / 7.0 * bursts[np.arange(int(DAYS)) // 7]
    fit = fit_arrivals("b", poisson_times(rng, rate), START, DAYS, WIDE)
    assert fit.structure.negbin
    assert fit.burst_cv is not None and fit.burst_cv.contains(cv)
    assert fit.dispersion_test[1] < 0.05
    assert fit.base_per_week.contains(5.0)


def test_a_seasonal_cycle_is_found_and_normalised() -> None:
    rng = np.random.default_rng(21)
    days = np.arange(int(DAYS))
    dates = np.datetime64(START) + days.astype("timedelta64[D]")
    month = dates.astype("datetime64[M]").astype(int) % 12
    profile = 1.0 + 0.5 * np.cos(2 * np.pi * month / 12)
    fit = fit_arrivals("m", poisson_times(rng, 3.0 / 7.0 * profile), START, DAYS, WIDE)
    assert fit.structure.season == "harmonic"
    assert fit.seasonal is not None
    values = np.array([m.value for m in fit.seasonal])
    assert values.mean() == pytest.approx(1.0, abs=1e-9)
    assert values[0] > 1.3 and values[6] < 0.7  # January high, July low
    assert fit.seasonal[0].contains(1.5) and fit.seasonal[6].contains(0.5)


def test_short_windows_do_not_try_seasonality() -> None:
    rng = np.random.default_rng(2)
    days = 400.0
    times = poisson_times(rng, np.full(int(days), 1.0))
    fit = fit_arrivals("short", times, START, days, ArrivalSettings())
    assert {c["seasonal"] for c in fit.candidates} == {"no"}


def test_a_source_that_starts_mid_window_is_written_as_a_step_from_almost_zero() -> None:
    rng = np.random.default_rng(4)
    rate = step_profile(0.0, 3.0, 600)
    fit = fit_arrivals("late", poisson_times(rng, rate), START, DAYS, ArrivalSettings())
    assert fit.change is not None and fit.change.before == 0
    assert fit.base_per_week.low == 0.0 and fit.base_per_week.value < 0.01
    post = fit.base_per_week.value * fit.change.factor.value
    assert post == pytest.approx(3.0, rel=0.15)
    assert any("start" in note for note in fit.notes)


def test_refitting_a_fixed_structure_skips_the_search() -> None:
    rng = np.random.default_rng(11)
    times = poisson_times(rng, step_profile(3.0, 6.0, 700))
    fit = fit_arrivals("s", times, START, DAYS, ArrivalSettings())
    again = refit_with_structure("s", times, START, DAYS, ArrivalSettings(), fit.structure)
    assert again.structure == fit.structure
    assert again.base_per_week.value == pytest.approx(fit.base_per_week.value, rel=1e-4)
    assert again.candidates == []


def test_the_fitted_weekly_means_add_up_to_the_count() -> None:
    rng = np.random.default_rng(9)
    times = poisson_times(rng, step_profile(2.0, 5.0, 900))
    fit = fit_arrivals("t", times, START, DAYS, ArrivalSettings())
    # A Poisson MLE with an intercept reproduces the total exactly.
    assert fit.weekly_expected.sum() == pytest.approx(fit.weekly_observed.sum(), rel=1e-3)


def test_intervals_cover_the_truth_and_estimates_are_unbiased() -> None:
    """A small simulation study: 20 datasets with a step, 95% intervals."""
    base, factor, covered_base, covered_factor, covered_date = [], [], 0, 0, 0
    true_date = START + dt.timedelta(days=700)
    for seed in range(20):
        rng = np.random.default_rng(1000 + seed)
        times = poisson_times(rng, step_profile(3.0, 6.0, 700))
        fit = fit_arrivals("s", times, START, DAYS, ArrivalSettings())
        assert fit.change is not None
        base.append(fit.base_per_week.value)
        factor.append(fit.change.factor.value)
        covered_base += fit.base_per_week.contains(3.0)
        covered_factor += fit.change.factor.contains(2.0)
        covered_date += fit.change.low_date <= true_date <= fit.change.high_date
    assert np.mean(base) == pytest.approx(3.0, rel=0.03)
    assert np.mean(factor) == pytest.approx(2.0, rel=0.04)
    # 95% intervals: at least 16 of 20 (P(fewer) < 2% for true 95% coverage).
    assert covered_base >= 16 and covered_factor >= 16 and covered_date >= 16
