"""Day 0 is the start date in every output, with a warm-up; the initial caseload is placed
when the simulation starts (the start of the warm-up); `acusim staff --by` keeps it there.

The scenario: 100 days of warm-up, an initial caseload aged exactly 5 days, and one
server who joins 30 days after the start date (no one works before), so the output day of
the first start is known in advance.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from model.replications import run_replications
from model.results import write_outputs
from model.scenario import days_from_start, with_overrides
from planning.staffing.runs import reporting_from
from tests.conftest import queue_scenario

WARMUP = 100.0
JOIN_AFTER = 30


def warmed_scenario():
    start = dt.date(2025, 1, 1)
    return queue_scenario(
        servers=0,
        arrivals_per_day=1.0,
        horizon_years=1,
        warmup_days=WARMUP,
        mean_service_days=0.5,
        initial_backlog=[
            {
                "stage": "service",
                "source": "poisson",
                "waiting": 3,
                "age_days": {"dist": "fixed", "value": 5},
            }
        ],
        roles__server__staffing_plan=[
            {"date": (start + dt.timedelta(days=JOIN_AFTER)).isoformat(), "change_fte": 2}
        ],
    )


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    scenario = warmed_scenario()
    results = run_replications(scenario, replications=2, record_cases=True)
    out = tmp_path_factory.mktemp("warm")
    write_outputs(results, out)
    return scenario, results, out


def test_case_records_count_days_from_the_start_date(outputs) -> None:
    scenario, results, out = outputs
    cases = pd.read_parquet(out / "cases.parquet")
    frame = results.kpi_frame()
    backlog = cases[cases["case_id"] < 3]  # created first
    # The initial caseload is placed at the start of the warm-up, aged 5 days.
    assert (backlog["received_day"] == -WARMUP - 5).all()
    arrivals = cases[cases["case_id"] >= 3]
    assert arrivals["received_day"].min() >= -WARMUP
    assert (arrivals["received_day"] < 0).any()  # warm-up arrivals are before day 0
    for r, rows in arrivals.groupby("replication"):
        in_window = rows["received_day"].between(0, scenario.horizon_days, inclusive="left")
        assert in_window.sum() == frame.loc[r, "arrivals.poisson"]
    # Nobody works until the join 30 days after the start date: the first start is day 30.
    assert cases["allocated_day"].min() == pytest.approx(JOIN_AFTER)
    assert days_from_start(scenario, scenario.start_date) == WARMUP  # the engine's clock


def test_weekly_yearly_and_summary_count_from_the_start_date(outputs) -> None:
    scenario, results, out = outputs
    cases = pd.read_parquet(out / "cases.parquet")
    weekly = pd.read_parquet(out / "weekly.parquet")
    arrivals = cases[cases["case_id"] >= 3].drop_duplicates(["replication", "case_id"])
    first = weekly[(weekly["series"] == "arrivals") & (weekly["week"] == 1)]
    assert (first["week_ending"] == pd.Timestamp(scenario.start_date) + pd.Timedelta(days=7)).all()
    for _, row in first.iterrows():
        rows = arrivals[arrivals["replication"] == row["replication"]]
        assert row["value"] == rows["received_day"].between(0, 7, inclusive="left").sum()
    # Waiting at the end of week 1 (day 7), rebuilt from the case records.
    waiting = weekly[(weekly["series"] == "backlog_waiting") & (weekly["week"] == 1)]
    for _, row in waiting.iterrows():
        rows = cases[cases["replication"] == row["replication"]]
        queued = rows["queued_day"] <= 7
        not_started = rows["allocated_day"].isna() | (rows["allocated_day"] > 7)
        assert row["value"] == (queued & not_started).sum()
    yearly = pd.read_parquet(out / "yearly.parquet")
    year1 = yearly[(yearly["year"] == 1) & (yearly["metric"] == "arrivals")]["mean"].iloc[0]
    per_rep = arrivals.groupby("replication")["received_day"].apply(
        lambda d: d.between(0, 364, inclusive="left").sum()
    )
    assert year1 == pytest.approx(per_rep.mean())
    summary = json.loads((out / "summary.json").read_text())
    assert summary["scenario"]["start_date"] == "2025-01-01"
    assert summary["scenario"]["warmup_days"] == WARMUP
    assert summary["kpis"]["arrivals.poisson"]["mean"] == pytest.approx(
        results.kpi_frame()["arrivals.poisson"].mean()
    )


def test_staff_by_keeps_the_caseload_at_the_original_start() -> None:
    """`acusim staff --by` reports from a later date: the days before it become warm-up,
    dates keep their simulation day (the caseload stays on the original start date, the
    join 30 days after it), and case days count from the new start date."""
    scenario = with_overrides(warmed_scenario(), {"warmup_days": 0})
    when = scenario.start_date + dt.timedelta(days=70)
    later = reporting_from(scenario, when)
    assert later.warmup_days == 70 and later.start_date == when
    join = scenario.start_date + dt.timedelta(days=JOIN_AFTER)
    assert days_from_start(later, join) == days_from_start(scenario, join) == JOIN_AFTER
    cases = run_replications(later, replications=1, record_cases=True).cases()
    backlog = cases[cases["case_id"] < 3]
    assert (backlog["received_day"] == -70 - 5).all()  # aged 5 days on the original start
    assert cases["allocated_day"].min() == pytest.approx(JOIN_AFTER - 70)
