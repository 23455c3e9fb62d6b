"""Open cases resume: a backlog case's remaining stay is conditional on its time in service."""

from __future__ import annotations

import math

import numpy as np
import pytest

from model.distributions import Gamma, LogNormal
from model.engine.resume import StayPhase, backlog_mix, remaining_stay, resume_open_case
from model.engine.unit import run_replication
from model.scenario import with_overrides
from tests.conftest import queue_scenario


def test_two_phase_stay_matches_brute_force_conditioning():
    """Work then a delay: E[stay - a | stay > a] against filtering unconditional draws."""
    work = Gamma(dist="gamma", mean=48, cv=0.7)  # hours at 8 h/day: 6 days
    delay = LogNormal(dist="lognormal", mean=20, cv=1.2)
    rng = np.random.default_rng(11)
    n = 400_000
    stays = work.sample(rng, n) / 8 + delay.sample(rng, n)
    age = 40.0
    tail = stays[stays > age] - age
    exact, sd = tail.mean(), tail.std()
    draws = [
        resume_open_case(work, 8.0, [(delay, 1.0)], age, np.random.default_rng(s))
        for s in range(3000)
    ]
    left = np.array([d.hours / 8 + sum(d.delays) for d in draws])
    assert abs(left.mean() - exact) < 4 * sd / math.sqrt(len(left)) + 4 * sd / math.sqrt(len(tail))
    # By 40 days the work (6 days on average) is nearly always done: cases resume in the delay.
    assert np.mean([d.hours == 0 for d in draws]) > 0.95


def test_age_zero_is_a_fresh_stay_and_single_phase_uses_the_exact_tail():
    dist = Gamma(dist="gamma", mean=10, cv=1.0)
    rng = np.random.default_rng(1)
    fresh = [remaining_stay([StayPhase(dist, 1.0, 1.0)], 0.0, rng)[0] for _ in range(20000)]
    assert abs(np.mean(fresh) - 10) < 0.3
    single = [remaining_stay([StayPhase(dist, 1.0, 1.0)], 25.0, rng)[0] for _ in range(20000)]
    assert abs(np.mean(single) - 10) < 0.3  # cv 1 gamma is exponential: memoryless


def test_ages_beyond_the_tail_fall_back_without_failing():
    dist = LogNormal(dist="lognormal", mean=5, cv=0.2)
    left = remaining_stay(
        [StayPhase(dist, 1.0, 1.0), StayPhase(dist, 1.0, 0.5)], 500.0, np.random.default_rng(1)
    )
    assert all(np.isfinite(left)) and left[0] >= 0


def _waiting_stage_scenario(in_service_days):
    """A stage with no role: its stay is one lognormal delay; 200 cases open in it."""
    base = queue_scenario(horizon_years=1, warmup_days=0, arrivals_per_day=0.01)
    return with_overrides(
        base,
        {
            "stages.service.role": None,
            "stages.service.effort_hours": None,
            "stages.service.external_delays": [
                {"name": "wait", "duration_days": {"dist": "lognormal", "mean": 30, "cv": 1.5}}
            ],
            "initial_backlog": [
                {
                    "stage": "service",
                    "source": "poisson",
                    "in_progress": 200,
                    "in_service_days": in_service_days,
                }
            ],
        },
    )


def test_engine_backlog_cases_leave_after_the_conditional_remaining_time():
    from scipy import integrate, stats

    age = 60.0
    scenario = _waiting_stage_scenario([age] * 200)
    sigma = math.sqrt(math.log1p(1.5**2))
    frozen = stats.lognorm(sigma, scale=30 / math.sqrt(1 + 1.5**2))
    exact = integrate.quad(frozen.sf, age, frozen.isf(1e-12), limit=400)[0] / frozen.sf(age)
    left = []
    for r in range(4):
        cases = run_replication(scenario, 5, r, record_cases=True).cases
        backlog = cases[cases["received_day"] <= 0]
        left.extend(backlog["left_day"].fillna(scenario.horizon_days).tolist())
    # Censoring at one year barely matters here; the mean is ~ exact (> 2x the fresh mean 30).
    assert np.mean(left) == pytest.approx(exact, rel=0.15)
    assert np.mean(left) > 1.5 * 30


def test_without_ages_the_backlog_behaves_as_before():
    """The field's default keeps the old draws (and so byte-identical results)."""
    old = _waiting_stage_scenario(None)
    a = run_replication(old, 5, 0).kpis
    b = run_replication(old, 5, 0).kpis
    assert a == b
    cases = run_replication(old, 5, 0, record_cases=True).cases
    assert cases[cases["received_day"] <= 0]["left_day"].mean() < 45


def test_in_service_days_must_match_the_in_progress_count():
    with pytest.raises(Exception, match="one per case"):
        _waiting_stage_scenario([1.0, 2.0])


def test_a_backlog_entry_can_fix_its_cases_attributes():
    """The cases open at a date are not a sample of the mix: an entry can say who they are."""
    base = _waiting_stage_scenario(None)
    fixed = with_overrides(
        base,
        {
            "initial_backlog": [
                {
                    "stage": "service",
                    "source": "poisson",
                    "waiting": 30,
                    "priority": "low",
                    "apsp": True,
                    "category": "sexual_misconduct",
                },
                {"stage": "service", "source": "poisson", "in_progress": 20, "priority": "high"},
            ]
        },
    )
    cases = run_replication(fixed, 5, 0, record_cases=True).cases
    backlog = cases[cases["received_day"] <= 0].drop_duplicates("case_id")
    first, second = backlog.iloc[:30], backlog.iloc[30:]
    assert (first["priority"] == "low").all() and first["apsp"].all()
    assert (first["category"] == "sexual_misconduct").all()
    assert len(second) == 20 and (second["priority"] == "high").all()
    mix = base.sources["poisson"].mix
    assert backlog_mix(mix, base.initial_backlog[0]) is mix  # nothing fixed: the same draws
