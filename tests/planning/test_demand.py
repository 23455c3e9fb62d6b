"""Where the work comes from: staff-hours and referrals by source, and paired differences."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.replications import estimate, run_replications
from model.scenario import load_scenario, with_overrides
from planning.demand import (
    ALL_SOURCES,
    compare_demand,
    compare_referrals,
    demand_by_role,
    demand_table,
    headline,
    referrals_table,
    stage_outcomes_table,
)
from tests.conftest import SCENARIOS

N = 4


@pytest.fixture(scope="module")
def short_baseline(baseline):
    return with_overrides(baseline, {"horizon_years": 1})


@pytest.fixture(scope="module")
def base_run(short_baseline):
    return run_replications(short_baseline, replications=N, record_cases=True)


@pytest.fixture(scope="module")
def no_monitoring_run(short_baseline):
    other = with_overrides(load_scenario(SCENARIOS / "no_monitoring.yaml"), {"horizon_years": 1})
    return run_replications(other, replications=N, seed=short_baseline.seed)


def test_demand_table_has_every_role_and_source_and_adds_up(base_run, short_baseline) -> None:
    table = demand_table(base_run)
    assert len(table) == len(short_baseline.roles) * len(short_baseline.sources)
    assert {"role", "source", "mean", "ci_low", "ci_high", "n", "fte"} <= set(table.columns)
    assert (table["n"] == N).all()
    totals = demand_by_role(base_run).set_index("role")
    summed = table.groupby("role")["mean"].sum()
    for role in short_baseline.roles:
        assert summed[role] == pytest.approx(totals.loc[role, "mean"])
    # Only monitoring alerts create monitoring-analyst work.
    analyst = table[(table["role"] == "monitoring_analyst") & (table["mean"] > 0)]
    assert set(analyst["source"]) == {"ict_monitoring", "ict_desktop_monitoring"}


def test_fte_equivalent_uses_the_roles_casework_hours(base_run, short_baseline) -> None:
    table = demand_table(base_run)
    for row in table.to_dict("records"):
        per_fte = short_baseline.roles[row["role"]].casework_hours_per_day * 365
        assert row["fte"] == pytest.approx(row["mean"] / per_fte)
        if not np.isnan(row["ci_low"]):
            assert row["fte_ci_low"] <= row["fte"] <= row["fte_ci_high"]


@given(factor=st.floats(0.25, 4))
@settings(max_examples=15, deadline=None)
def test_fte_scales_inversely_with_casework_hours(base_run, factor: float) -> None:
    scenario = base_run.scenario
    hours = scenario.roles["ds"].contracted_hours_per_week
    changed = with_overrides(scenario, {"roles.ds.contracted_hours_per_week": hours * factor})
    other = dataclasses.replace(base_run, scenario=changed)
    a = demand_by_role(base_run).set_index("role").loc["ds"]
    b = demand_by_role(other).set_index("role").loc["ds"]
    assert b["mean"] == a["mean"]
    assert b["fte"] == pytest.approx(a["fte"] / factor)


def test_referrals_table_matches_the_arrival_kpis(base_run) -> None:
    table = referrals_table(base_run).set_index("source")
    frame = base_run.kpi_frame()
    for source in table.index:
        assert table.loc[source, "mean"] == estimate(frame[f"arrivals_per_year.{source}"]).mean


def test_stage_outcomes_follow_the_routing(base_run, short_baseline) -> None:
    table = stage_outcomes_table(base_run)
    review = table[(table["source"] == "ict_monitoring") & (table["stage"] == "alert_review")]
    shares = review.set_index("next")["mean"] / review["mean"].sum()
    assert set(shares.index) == {"false_positive", "assessment"}
    assert shares["false_positive"] == pytest.approx(0.85, abs=0.03)  # the baseline routing
    assert review.set_index("next").loc["false_positive", "is_outcome"]
    # Every alert is reviewed: exits from review are about the arrivals (a few still open).
    arrivals = referrals_table(base_run).set_index("source").loc["ict_monitoring", "mean"]
    assert review["mean"].sum() == pytest.approx(arrivals, rel=0.02)
    # Confidential reports never pass through alert review.
    confidential = table[table["source"] == "confidential_reporting"]
    assert "alert_review" not in set(confidential["stage"])


def test_stage_outcomes_need_case_records(no_monitoring_run) -> None:
    with pytest.raises(ValueError, match="record_cases"):
        stage_outcomes_table(no_monitoring_run)


def test_monitoring_demand_is_the_paired_difference(base_run, no_monitoring_run) -> None:
    table = compare_demand(base_run, no_monitoring_run)
    assert {"role", "source", "difference", "ci_low", "ci_high", "n", "fte"} <= set(table.columns)
    rows = table.set_index(["role", "source"])
    analyst = rows.loc[("monitoring_analyst", ALL_SOURCES)]
    assert analyst["other"] == 0 and analyst["difference"] == pytest.approx(-analyst["base"])
    # Without monitoring, every role does less; the monitoring sources' rows carry it all.
    for role in base_run.scenario.roles:
        assert rows.loc[(role, ALL_SOURCES), "difference"] < 0
        for source in ("confidential_reporting", "psd_referrals"):
            row = rows.loc[(role, source)]
            assert row["ci_low"] <= 0 or row["difference"] == 0
    assert (table["n"] == N).all()


def test_common_random_numbers_make_the_difference_sharp(
    base_run, no_monitoring_run, short_baseline
) -> None:
    """The paired CI of the change in DC investigator hours is narrower than the two
    separate CIs combined (what the difference would carry with independent runs)."""
    table = compare_demand(base_run, no_monitoring_run).set_index(["role", "source"])
    paired = table.loc[("dc_investigator", ALL_SOURCES), "half_width"]
    a = estimate(base_run.kpi_frame()["staff_hours_per_year.dc_investigator"]).half_width
    b = estimate(no_monitoring_run.kpi_frame()["staff_hours_per_year.dc_investigator"]).half_width
    assert paired < np.hypot(a, b)


def test_referral_differences_are_exact_for_sources_both_share(base_run, no_monitoring_run) -> None:
    table = compare_referrals(base_run, no_monitoring_run).set_index("source")
    for source in ("confidential_reporting", "psd_referrals", "vetting"):
        assert table.loc[source, "difference"] == 0  # the same arrivals in both (CRN)
    assert table.loc["ict_monitoring", "other"] == 0


def test_differences_need_the_same_seed(base_run, short_baseline) -> None:
    other = run_replications(short_baseline, replications=2, seed=short_baseline.seed + 1)
    with pytest.raises(ValueError, match="same seed"):
        compare_demand(base_run, other)


def test_headline_reads_as_plain_words(base_run, no_monitoring_run) -> None:
    table = compare_demand(base_run, no_monitoring_run)
    row = table[(table["role"] == "dc_investigator") & (table["source"] == ALL_SOURCES)].iloc[0]
    line = headline(row, "baseline", "no_monitoring")
    assert line.startswith("baseline needs ") and " more DC investigator hours a year" in line
    assert "FTE" in line and f"({N} paired replications)" in line
