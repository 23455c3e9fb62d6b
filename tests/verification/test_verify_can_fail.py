"""Every ``acusim verify`` check can fail: each is run against an engine broken on purpose
(a rate 10% too high, a queue served in the wrong order, mean waits 10% off, closures
booked to the wrong outcome) and must report the fault. The seeds of a check depend on its
name only, so ``--only`` changes nobody else's numbers; and the arrivals check's
expectation is computed independently of the sampler.

Replications run in this process (``workers=1``) so the monkeypatched engine is the one
that runs."""

from __future__ import annotations

import numpy as np
from scipy import stats

import model.engine.kpis
import model.engine.sources
import model.engine.staff
import model.engine.unit
from model.engine.sources import day_edges, expected_counts
from verification.checks import (
    expected_arrivals_per_year,
    run_checks,
    seed_for,
    settings_for,
)

IN_PROCESS = settings_for(False, workers=1)


def _failed(report) -> set[str]:
    return {c.check_id for c in report.failures}


def test_a_rate_ten_percent_too_high_fails_the_arrivals_check(monkeypatch, baseline) -> None:
    original = model.engine.sources.rate_per_day

    def inflated(source, scenario, t):
        return original(source, scenario, t) * 1.1

    monkeypatch.setattr(model.engine.sources, "rate_per_day", inflated)
    report = run_checks(baseline, IN_PROCESS, groups=["arrivals"])
    assert {"arrivals.ict_monitoring", "arrivals.ict_desktop_monitoring"} <= _failed(report)


def test_a_queue_served_in_reverse_priority_fails_the_priority_check(monkeypatch, baseline):
    original = model.engine.staff.StaffPool.request

    def reversed_priority(self, task, precedence, rank):
        return original(self, task, precedence, -rank)  # the engine's queue key (unit.py, _work)

    monkeypatch.setattr(model.engine.staff.StaffPool, "request", reversed_priority)
    report = run_checks(baseline, IN_PROCESS, groups=["priority"])
    assert {"priority.high.mean_wait", "priority.low.mean_wait"} <= _failed(report)


def test_mean_waits_ten_percent_off_fail_the_precise_wait_check(monkeypatch, baseline) -> None:
    original = model.engine.kpis.Recorder.finish

    def off_by_ten_percent(self, *args, **kwargs):
        kpis = original(self, *args, **kwargs)
        for key in [k for k in kpis if k.startswith("wait_mean_days.")]:
            kpis[key] *= 1.1
        return kpis

    monkeypatch.setattr(model.engine.kpis.Recorder, "finish", off_by_ten_percent)
    report = run_checks(baseline, IN_PROCESS, groups=["wait_precision"])
    assert _failed(report) == {"wait_precision.mean_wait"}


def test_the_precise_wait_check_band_is_within_five_percent(baseline) -> None:
    """Narrow even at the Bonferroni level of the whole quick suite (wider than this one
    check's own 95% band): a 10% error cannot hide in it."""
    report = run_checks(baseline, IN_PROCESS, groups=["wait_precision"])
    (check,) = report.checks
    quick_suite_checks = 28
    widen = stats.t.ppf(1 - 0.05 / (2 * quick_suite_checks), check.estimate.n - 1) / stats.t.ppf(
        0.975, check.estimate.n - 1
    )
    assert check.estimate.half_width * widen < 0.05 * check.expected


def test_closures_booked_to_the_wrong_outcome_fail_conservation(monkeypatch, baseline) -> None:
    """Totals still add up; only the comparison with the case records can see it."""
    original = model.engine.kpis.Recorder.case_closed

    def wrong_outcome(self, case, outcome, now):
        original(self, case, (outcome + 1) % len(self.closed), now)

    monkeypatch.setattr(model.engine.kpis.Recorder, "case_closed", wrong_outcome)
    report = run_checks(baseline, IN_PROCESS, groups=["conservation"])
    assert _failed(report) == {"conservation.baseline"}


def test_seeds_do_not_depend_on_which_groups_run(baseline) -> None:
    alone = run_checks(baseline, IN_PROCESS, groups=["mg1"])
    together = run_checks(baseline, IN_PROCESS, groups=["mmc", "mg1"])
    mg1 = {c.check_id: c.estimate.mean for c in together.checks if c.group == "mg1"}
    assert {c.check_id: c.estimate.mean for c in alone.checks} == mg1
    assert seed_for(1, "mmc_1") != seed_for(1, "mmc_2") != seed_for(2, "mmc_1")


def test_the_independent_arrivals_expectation_agrees_with_the_sampler(baseline) -> None:
    """Two ways of computing the same expectation: they agree, but share no code."""
    end = baseline.warmup_days + baseline.horizon_days
    edges = day_edges(end)
    for name, source in baseline.sources.items():
        sampler = float(np.sum(expected_counts(source, baseline, edges))) / baseline.horizon_years
        assert abs(expected_arrivals_per_year(baseline, name) - sampler) <= 1e-3 * sampler + 1e-9
