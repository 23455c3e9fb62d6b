"""The Kaplan-Meier estimator: hand-worked curves, ties, censoring, left truncation, weights."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.survival import kaplan_meier, quantile_reason


def test_hand_worked_curve_with_ties_and_censoring() -> None:
    # Waits 1, 2, 2, 3+ (censored), 3, 5+ (censored), 6.
    durations = np.array([1, 2, 2, 3, 3, 5, 6], dtype=float)
    observed = np.array([1, 1, 1, 0, 1, 0, 1], dtype=bool)
    curve = kaplan_meier(durations, observed)
    # At 1: 7 at risk, 1 event; at 2: 6 at risk, 2 events; at 3: 4 at risk (the censored 3
    # is still at risk at 3), 1 event; at 6: 1 at risk, 1 event.
    expected = np.cumprod([1 - 1 / 7, 1 - 2 / 6, 1 - 1 / 4, 1 - 1 / 1])
    assert curve.times.tolist() == [1, 2, 3, 6]
    assert curve.survival == pytest.approx(expected)
    assert curve.quantile(0.5) == 3  # S(2) = 0.571 > 0.5, S(3) = 0.429
    assert curve.quantile(0.9) == 6
    assert curve.n == 7 and curve.censored == 2
    assert curve.at(2.5) == pytest.approx(expected[1])


def test_zero_waits_are_events_at_zero() -> None:
    curve = kaplan_meier(np.array([0.0, 0.0, 0.0, 4.0]), np.ones(4, dtype=bool))
    assert curve.quantile(0.5) == 0.0 and curve.quantile(0.9) == 4.0


def test_undefined_quantile_when_too_many_still_wait() -> None:
    durations = np.array([1.0, 2.0, 10.0, 10.0, 10.0])
    curve = kaplan_meier(durations, np.array([1, 1, 0, 0, 0], dtype=bool))
    assert curve.survival[-1] == pytest.approx(0.6)
    assert math.isnan(curve.quantile(0.5))
    reason = quantile_reason(curve, 0.5)
    assert "3 of 5" in reason and "50%" in reason
    assert quantile_reason(kaplan_meier(np.empty(0), np.empty(0, dtype=bool)), 0.5)
    assert quantile_reason(kaplan_meier(durations, np.ones(5, dtype=bool)), 0.5) == ""


def test_left_truncated_cases_enter_the_risk_set_late() -> None:
    # One case observed from wait 5 (it had waited 5 days at the start date) and started
    # at 6; three cases from 0 started at 1, 2 and 3. Without truncation the late case
    # would be at risk at 1, 2 and 3 as well.
    durations = np.array([1.0, 2.0, 3.0, 6.0])
    entry = np.array([0.0, 0.0, 0.0, 5.0])
    curve = kaplan_meier(durations, np.ones(4, dtype=bool), entry)
    assert curve.survival == pytest.approx([2 / 3, 1 / 3, 0.0, 0.0])
    naive = kaplan_meier(durations, np.ones(4, dtype=bool))
    assert naive.survival == pytest.approx([0.75, 0.5, 0.25, 0.0])


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 30), min_size=1, max_size=40),
    st.sampled_from([0.1, 0.25, 0.5, 0.75, 0.9]),
)
def test_without_censoring_it_is_the_empirical_quantile(waits: list[int], p: float) -> None:
    x = np.asarray(waits, dtype=float)
    curve = kaplan_meier(x, np.ones(x.size, dtype=bool))
    assert curve.quantile(p) == np.quantile(x, p, method="inverted_cdf")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 20), st.booleans(), st.integers(1, 3)), min_size=1, max_size=30
    )
)
def test_a_weight_of_k_is_k_copies(rows: list[tuple[int, bool, int]]) -> None:
    durations = np.array([d for d, _, _ in rows], dtype=float)
    observed = np.array([o for _, o, _ in rows])
    weights = np.array([w for _, _, w in rows], dtype=float)
    weighted = kaplan_meier(durations, observed, weights=weights)
    k = weights.astype(int)
    copies = kaplan_meier(np.repeat(durations, k), np.repeat(observed, k))
    assert weighted.times.tolist() == copies.times.tolist()
    assert weighted.survival == pytest.approx(copies.survival)
    assert weighted.n == copies.n and weighted.censored == copies.censored
