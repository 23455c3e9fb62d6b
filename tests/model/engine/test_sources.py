"""Arrival streams: counts per interval against the rate, not just types."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from model.engine.sources import (
    devices_covered,
    expected_counts,
    merged_arrivals,
    rate_per_day,
    sample_arrival_times,
    sample_attributes,
)
from model.scenario import CATEGORIES, PRIORITIES, days_from_start, scenario_from_mapping
from tests.conftest import as_mapping, queue_scenario


def _with_source(**changes):
    base = as_mapping(queue_scenario())
    base["sources"]["poisson"].update(changes)
    return scenario_from_mapping(base, "test")


def _counts(scenario, start, end, reps=400):
    source = scenario.sources["poisson"]
    rng = np.random.default_rng(5)
    out = []
    for _ in range(reps):
        t = sample_arrival_times(source, scenario, scenario.horizon_days, rng)
        out.append(np.count_nonzero((t >= start) & (t < end)))
    return np.asarray(out)


def test_step_change_delivers_expected_counts_before_and_after() -> None:
    scenario = _with_source(
        rate_per_week=7.0,
        modifiers=[{"type": "step", "date": "2025-03-01", "factor": 3.0}],
    )
    scenario = scenario_from_mapping(
        {**as_mapping(scenario), "warmup_days": 0, "horizon_years": 0.5}, "test"
    )
    step = days_from_start(scenario, scenario.start_date.replace(month=3, day=1))
    before = _counts(scenario, step - 30, step)
    after = _counts(scenario, step, step + 30)
    # 1 a day before, 3 a day after: 30 and 90 in 30 days, checked to within a 99.9% interval.
    for observed, expected in ((before, 30.0), (after, 90.0)):
        se = np.sqrt(expected / len(observed))
        assert abs(observed.mean() - expected) < 3.3 * se
        assert observed.var(ddof=1) == pytest.approx(expected, rel=0.2)  # Poisson: var = mean


@pytest.mark.parametrize(
    "modifier",
    [
        {"type": "ramp", "start": "2025-02-01", "end": "2025-05-01", "factor": 4.0},
        {"type": "logistic", "midpoint": "2025-04-01", "growth_per_year": 6, "to_factor": 3.0},
        {"type": "seasonal", "monthly": [0.5, 0.5, 1, 1, 1.5, 1.5, 1, 1, 1, 1, 1, 1]},
    ],
)
def test_time_varying_rates_give_expected_counts_per_interval(modifier) -> None:
    scenario = _with_source(rate_per_week=14.0, modifiers=[modifier])
    scenario = scenario_from_mapping(
        {**as_mapping(scenario), "warmup_days": 0, "horizon_years": 1}, "t"
    )
    source = scenario.sources["poisson"]
    edges = np.arange(0, 365, 28.0)
    expected = [
        float(expected_counts(source, scenario, np.arange(a, b + 1.0)).sum())
        for a, b in itertools.pairwise(edges)
    ]
    rng = np.random.default_rng(9)
    observed = np.zeros(len(expected))
    reps = 200
    for _ in range(reps):
        t = sample_arrival_times(source, scenario, scenario.horizon_days, rng)
        observed += np.histogram(t, bins=edges)[0]
    observed /= reps
    # Each 4-week interval's mean count within 4 standard errors of the integrated rate.
    se = np.sqrt(np.asarray(expected) / reps)
    assert np.all(np.abs(observed - expected) < 4 * se)
    # And the rate really varies (the test would pass vacuously on a flat rate otherwise).
    assert max(expected) > 1.4 * min(expected)


def test_logistic_goes_from_from_factor_to_to_factor() -> None:
    scenario = _with_source(
        rate_per_week=7.0,
        modifiers=[
            {
                "type": "logistic",
                "midpoint": "2026-01-01",
                "growth_per_year": 4,
                "from_factor": 0.5,
                "to_factor": 2.0,
            }
        ],
    )
    mid = days_from_start(scenario, scenario.start_date.replace(year=2026))
    rates = rate_per_day(
        scenario.sources["poisson"], scenario, np.array([mid - 2000, mid, mid + 2000])
    )
    assert rates == pytest.approx([0.5, 1.25, 2.0], rel=1e-3)


def test_monitoring_rate_is_devices_times_alert_rate_with_rollout() -> None:
    base = as_mapping(queue_scenario(warmup_days=0))
    base["sources"]["poisson"] = {
        "title": "Alerts",
        "kind": "monitoring",
        "devices_covered": 1000,
        "alerts_per_device_per_week": 0.014,
        "rollout": [{"date": "2025-07-01", "devices": 2000}],
        "entry_stage": "service",
        "mix": base["sources"]["poisson"]["mix"],
    }
    scenario = scenario_from_mapping(base, "t")
    source = scenario.sources["poisson"]
    go_live = days_from_start(scenario, scenario.start_date.replace(month=7))
    assert rate_per_day(source, scenario, np.array([go_live - 1, go_live + 1])) == pytest.approx(
        [2.0, 4.0]
    )
    linear = scenario_from_mapping(
        {**base, "sources": {"poisson": {**base["sources"]["poisson"], "rollout_shape": "linear"}}},
        "t",
    )
    halfway = devices_covered(linear.sources["poisson"], linear, np.array([go_live / 2]))
    assert halfway == pytest.approx([1500.0])


def test_over_dispersion_matches_negative_binomial_variance() -> None:
    cv = 0.5
    scenario = _with_source(rate_per_week=70.0, burst_cv=cv, burst_period_days=7)
    scenario = scenario_from_mapping(
        {**as_mapping(scenario), "warmup_days": 0, "horizon_years": 4}, "t"
    )
    rng = np.random.default_rng(3)
    t = sample_arrival_times(scenario.sources["poisson"], scenario, scenario.horizon_days, rng)
    weekly = np.histogram(t, bins=np.arange(0, 52 * 4 * 7 + 1, 7))[0]
    mean = 70.0
    expected_var = mean + (cv * mean) ** 2  # gamma-Poisson
    assert weekly.mean() == pytest.approx(mean, rel=0.1)
    assert weekly.var(ddof=1) == pytest.approx(expected_var, rel=0.3)
    assert weekly.var(ddof=1) > 5 * mean  # far from Poisson


def test_attribute_mix_frequencies() -> None:
    scenario = queue_scenario()
    mix = (
        scenario_from_mapping(
            {
                **as_mapping(scenario),
                "sources": {
                    "poisson": {
                        **as_mapping(scenario)["sources"]["poisson"],
                        "mix": {
                            "category": {"sexual_misconduct": 0.3, "other": 0.7},
                            "apsp_probability": 0.0,
                            "apsp_probability_by_category": {"sexual_misconduct": 0.5},
                            "priority": {"high": 0.2, "medium": 0.3, "low": 0.5},
                            "apsp_priority": "high",
                        },
                    }
                },
            },
            "t",
        )
        .sources["poisson"]
        .mix
    )
    n = 200_000
    a = sample_attributes(mix, n, np.random.default_rng(1))
    sexual = a.category == CATEGORIES.index("sexual_misconduct")
    assert sexual.mean() == pytest.approx(0.3, abs=0.005)
    assert a.apsp[sexual].mean() == pytest.approx(0.5, abs=0.01)
    assert not a.apsp[~sexual].any()
    assert np.all(a.priority[a.apsp] == PRIORITIES.index("high"))
    non_apsp = a.priority[~a.apsp]
    observed = np.bincount(non_apsp, minlength=3)
    assert stats.chisquare(observed, np.array([0.2, 0.3, 0.5]) * len(non_apsp)).pvalue > 0.001


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from([0.0, 0.5, 1.0, 1.0, 2.25, 3.0, 7.5]), max_size=30),
        min_size=1,
        max_size=4,
    ),
    st.integers(min_value=1, max_value=8),
)
def test_merged_arrivals_is_the_sorted_order_of_time_source_position(sources, chunk) -> None:
    """Ties (common here) go by source, then position; chunks never change the order."""
    times = [np.sort(np.array(t, dtype=float)) for t in sources]
    expected = sorted((t, s, j) for s, ts in enumerate(times) for j, t in enumerate(ts.tolist()))
    merged = [
        item
        for ts, ss, js in merged_arrivals(times, chunk)
        for item in zip(ts, ss, js, strict=True)
    ]
    assert merged == expected
