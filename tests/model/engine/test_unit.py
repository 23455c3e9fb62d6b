"""Functional tests of the ACU model: conservation, Little, capacity over time, edge cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.engine.unit import run_replication, staffing_schedule
from model.replications import estimate, run_replications
from model.scenario import scenario_from_mapping, with_overrides
from tests.conftest import as_mapping, queue_scenario


@pytest.fixture(scope="module")
def baseline_runs(baseline):
    return run_replications(baseline, replications=4, record_cases=True)


def test_conservation_in_every_replication(baseline_runs) -> None:
    for r in baseline_runs.replications:
        k = r.kpis
        assert k["conservation_gap"] == 0
        assert k["cases_created"] == k["cases_closed"] + k["cases_open_at_end"]
        backlog = sum(v for name, v in k.items() if name.startswith("backlog_end."))
        assert backlog == k["backlog_end_total"] >= k["cases_open_at_end"] - 1e-9
        # Every open case is in exactly one stage.
        assert k["backlog_end_total"] == k["cases_open_at_end"]


def test_littles_law_holds_on_the_baseline(baseline, baseline_runs) -> None:
    """Time-average work in progress = (1/T) x the time cases spent in the system within [0, T]."""
    horizon = baseline.horizon_days
    for r in baseline_runs.replications:
        cases = r.cases
        per_case = cases.groupby("case_id").agg(
            received=("received_day", "first"),
            left=("left_day", "max"),
            open=("left_day", lambda s: s.isna().any()),
        )
        left = np.where(per_case["open"], horizon, per_case["left"])
        time_in_window = np.clip(left, 0, horizon) - np.clip(per_case["received"], 0, horizon)
        assert time_in_window.sum() / horizon == pytest.approx(r.kpis["wip_mean"], rel=1e-9)


def test_case_records_are_consistent(baseline_runs) -> None:
    cases = baseline_runs.cases()
    started = cases.dropna(subset=["allocated_day"])
    assert (started["allocated_day"] >= started["queued_day"] - 1e-9).all()
    done = started.dropna(subset=["left_day"])
    assert (done["left_day"] >= done["allocated_day"]).all()
    assert set(cases["priority"]) <= {"high", "medium", "low"}
    # Baseline rules: APSP is never closed at assessment, and always goes to the IOPC from
    # severity assessment (a mandatory referral).
    apsp = cases[cases["apsp"]].dropna(subset=["next"])
    at_assessment = apsp[apsp["stage"] == "assessment"]["next"]
    assert set(at_assessment) <= {"development", "severity_assessment"} and len(at_assessment)
    at_severity = apsp[apsp["stage"] == "severity_assessment"]["next"]
    assert set(at_severity) == {"iopc_referral"}


def test_staff_hours_by_source_add_up(baseline_runs, baseline) -> None:
    frame = baseline_runs.kpi_frame()
    for role in baseline.roles:
        parts = sum(frame[f"staff_hours_per_year.{role}.{s}"] for s in baseline.sources)
        assert np.allclose(parts, frame[f"staff_hours_per_year.{role}"])
    # Monitoring alerts create monitoring-analyst work and nothing else creates it.
    alerts = frame["staff_hours_per_year.monitoring_analyst.ict_monitoring"]
    assert (alerts > 0).all()
    assert (frame["staff_hours_per_year.monitoring_analyst.psd_referrals"] == 0).all()


def test_adding_staff_on_a_date_shortens_queues_after_and_not_before() -> None:
    base = queue_scenario(servers=1, arrivals_per_day=0.9, horizon_years=2, warmup_days=0)
    join = "2026-01-01"
    more = with_overrides(base, {"roles.server.staffing_plan": [{"date": join, "change_fte": 1}]})
    day = (pd.Timestamp(join) - pd.Timestamp(base.start_date)).days

    def waits(scenario):
        cases = run_replications(scenario, replications=6, record_cases=True).cases()
        cases = cases.dropna(subset=["allocated_day"])
        wait = cases["allocated_day"] - cases["queued_day"]
        before = cases["allocated_day"] < day  # started before the change could act
        after = cases["queued_day"] > day + 60  # after the extra server has cleared the queue
        return wait[before], wait[after]

    base_before, base_after = waits(base)
    more_before, more_after = waits(more)
    # Common random numbers: identical history before the join date ...
    assert np.array_equal(base_before.to_numpy(), more_before.to_numpy())
    # ... and much shorter waits after it.
    assert more_after.mean() < 0.3 * base_after.mean()


def test_recruitment_lead_time_delays_a_join(baseline) -> None:
    plan = [
        {"date": "2027-06-01", "change_fte": 2, "after_recruitment_lead_time": True},
        {"date": "2028-01-01", "change_fte": -1},
    ]
    scenario = with_overrides(baseline, {"roles.dc_investigator.staffing_plan": plan})
    schedule = staffing_schedule(scenario, "dc_investigator")
    lead = baseline.roles["dc_investigator"].recruitment_lead_time_days
    join_day = (pd.Timestamp("2027-06-01") - pd.Timestamp(baseline.start_date)).days + lead
    leave_day = (pd.Timestamp("2028-01-01") - pd.Timestamp(baseline.start_date)).days
    assert join_day > leave_day  # decided in June, the recruits arrive after January's leaver
    assert schedule == [(0.0, 4.0), (leave_day, 3.0), (join_day, 5.0)]


def test_more_investigators_reduce_the_investigation_backlog(baseline) -> None:
    more = with_overrides(baseline, {"roles.dc_investigator.fte": 8})
    a = run_replications(baseline, replications=4).kpi_frame()
    b = run_replications(more, replications=4).kpi_frame()
    assert (b["wait_mean_days.investigation"] <= a["wait_mean_days.investigation"]).all()
    assert b["utilisation.dc_investigator"].mean() < a["utilisation.dc_investigator"].mean()
    # Arrivals are untouched by staffing (common random numbers).
    assert (a["referrals_total"] == b["referrals_total"]).all()


def test_zero_arrivals_and_zero_staff() -> None:
    quiet = queue_scenario(arrivals_per_day=0.0, horizon_years=1, warmup_days=0)
    k = run_replication(quiet, 1, 0).kpis
    assert k["referrals_total"] == 0 and k["cases_created"] == 0
    assert np.isnan(k["wait_mean_days.service"])
    nobody = queue_scenario(servers=0, arrivals_per_day=1.0, horizon_years=1, warmup_days=0)
    k = run_replication(nobody, 1, 0).kpis
    assert k["cases_closed"] == 0 and k["backlog_end_total"] == k["cases_created"] > 300
    assert np.isnan(k["utilisation.server"])


def test_initial_backlog_is_worked_off(baseline) -> None:
    data = as_mapping(baseline)
    for source in data["sources"].values():
        source["enabled"] = False
    scenario = scenario_from_mapping(data, "backlog only")
    k = run_replication(scenario, baseline.seed, 0).kpis
    opened = sum(e.waiting + e.in_progress for e in baseline.initial_backlog)
    assert k["cases_created"] == opened == k["backlog_start_total"]
    assert k["referrals_total"] == 0
    assert k["cases_open_at_end"] == 0  # three years is enough to clear it


def test_long_investigations_count_open_cases_by_age(baseline) -> None:
    """Open investigations at the end count towards the 12-month share by their age."""
    starved = with_overrides(baseline, {"roles.dc_investigator.fte": 0.5})
    k = run_replication(starved, baseline.seed, 0).kpis
    assert k["pcc_open_over_at_end"] > 10
    assert k["pcc_investigations_over_share"] > 0.3
    assert k["target.investigations_over_12_months"] == k["pcc_investigations_over_share"]


def test_weekly_series_shapes_and_yearly_totals(baseline, baseline_runs) -> None:
    r = baseline_runs.replications[0]
    weeks = int(baseline.horizon_days // 7)
    assert r.series["arrivals"].shape == (weeks, len(baseline.sources))
    assert r.series["backlog_waiting"].shape == (weeks, len(baseline.stages))
    utilisation = r.series["utilisation"]
    assert np.nanmax(utilisation) <= 1 + 1e-9 and np.nanmin(utilisation) >= 0
    yearly = baseline_runs.yearly()
    arrivals = yearly[yearly["metric"] == "arrivals"].groupby("year")["mean"].sum()
    assert len(arrivals) == 3
    total = estimate(baseline_runs.kpi_frame()["referrals_total"]).mean
    assert arrivals.sum() == pytest.approx(total, rel=0.01)  # 3 x 52 weeks of 3 x 365 days


def test_warmup_is_left_out_of_the_kpis() -> None:
    scenario = queue_scenario(arrivals_per_day=1.0, servers=2, horizon_years=1, warmup_days=100)
    k = run_replication(scenario, 3, 0).kpis
    assert k["cases_created"] > k["referrals_total"] + 50  # warm-up arrivals exist ...
    assert k["arrival_rate_per_day"] == pytest.approx(
        k["referrals_total"] / 365
    )  # ... but are not counted


def test_a_horizon_of_whole_weeks_snapshots_its_last_week() -> None:
    """The last week's end falls exactly on the end of the run (backtests and history
    replays run whole weeks): its backlog is the cases open then, not an empty row."""
    nobody = queue_scenario(servers=0, arrivals_per_day=1.0, horizon_years=70 / 365, warmup_days=0)
    r = run_replication(nobody, 1, 0)
    waiting = r.series["backlog_waiting"][:, 0]
    assert len(waiting) == 10 and waiting[-1] == r.kpis["backlog_end_total"] > waiting[-2] > 0
