"""Time still to run for an open case: X - a given X > a, against exact conditional means."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, stats

from model.distributions import (
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    LogNormal,
    Triangular,
    Weibull,
)

N = 40_000


def _exact_mean_residual(frozen, a: float) -> float:
    """E[X - a | X > a] = integral of S(x) from a to infinity / S(a)."""
    upper = frozen.isf(1e-12)
    value, _ = integrate.quad(frozen.sf, a, max(upper, a + 1), limit=400)
    return value / frozen.sf(a)


CASES = [
    (Gamma(dist="gamma", mean=50, cv=0.8), stats.gamma(1 / 0.64, scale=50 * 0.64)),
    (Gamma(dist="gamma", mean=20, cv=2.0), stats.gamma(0.25, scale=80)),
    (
        LogNormal(dist="lognormal", mean=60, cv=1.5),
        stats.lognorm(math.sqrt(math.log1p(2.25)), scale=60 / math.sqrt(1 + 2.25)),
    ),
    (Weibull(dist="weibull", shape=0.7, scale=40), stats.weibull_min(0.7, scale=40)),
    (Weibull(dist="weibull", shape=2.5, scale=40), stats.weibull_min(2.5, scale=40)),
    (Triangular(dist="triangular", min=5, mode=10, max=60), stats.triang(5 / 55, loc=5, scale=55)),
]


@pytest.mark.parametrize(("dist", "frozen"), CASES, ids=lambda c: getattr(c, "dist", ""))
@pytest.mark.parametrize("age", [0.0, 10.0, 45.0, 120.0])
def test_conditional_mean_matches_numerical_integration(dist, frozen, age):
    if frozen.sf(age) < 1e-6:
        pytest.skip("age beyond the distribution")
    exact = _exact_mean_residual(frozen, age)
    exact_sd = math.sqrt(
        integrate.quad(lambda x: 2 * (x - age) * frozen.sf(x), age, frozen.isf(1e-12), limit=400)[0]
        / frozen.sf(age)
        - exact**2
    )
    draws = dist.sample_remaining(np.random.default_rng(7), np.full(N, age))
    assert (draws >= 0).all()
    assert abs(draws.mean() - exact) < 4 * exact_sd / math.sqrt(N) + 1e-6 * exact


def test_exponential_is_memoryless():
    dist = Exponential(dist="exponential", mean=30)
    for age in (0.0, 50.0, 500.0):
        draws = dist.sample_remaining(np.random.default_rng(3), np.full(N, age))
        assert abs(draws.mean() - 30) < 4 * 30 / math.sqrt(N)


def test_weibull_closed_form_equals_inverse_survival():
    dist = Weibull(dist="weibull", shape=0.7, scale=40)
    frozen = stats.weibull_min(0.7, scale=40)
    ages = np.array([0.0, 5.0, 80.0])
    u = np.random.default_rng(5).random(3)
    expected = frozen.isf((1 - u) * frozen.sf(ages)) - ages
    got = dist.sample_remaining(np.random.default_rng(5), ages)
    np.testing.assert_allclose(got, expected, rtol=1e-9)


def test_fixed_and_triangular_past_their_end_have_nothing_left():
    assert Fixed(dist="fixed", value=10).sample_remaining(
        np.random.default_rng(1), np.array([3.0, 12.0])
    ).tolist() == [7.0, 0.0]
    tri = Triangular(dist="triangular", min=1, mode=2, max=5)
    assert tri.sample_remaining(np.random.default_rng(1), np.array([6.0]))[0] == 0.0


def test_empirical_resamples_values_above_the_age():
    dist = Empirical(dist="empirical", values=[1, 5, 10, 20], weights=[1, 1, 1, 3])
    draws = dist.sample_remaining(np.random.default_rng(2), np.full(N, 7.0))
    assert set(np.unique(draws)) == {3.0, 13.0}
    # weights renormalised over the values above 7: 10 (1) and 20 (3)
    assert abs((draws == 13.0).mean() - 0.75) < 0.02
    assert dist.sample_remaining(np.random.default_rng(2), np.array([25.0]))[0] == 0.0


def test_ages_far_beyond_the_tail_stay_finite():
    dist = LogNormal(dist="lognormal", mean=10, cv=0.3)
    draws = dist.sample_remaining(np.random.default_rng(1), np.array([1e4, 1e6]))
    assert np.isfinite(draws).all() and (draws >= 0).all()
