"""Staff who leave, rotate and learn: analytic checks of model.engine.workforce."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.engine.unit import run_replication
from model.engine.workforce import effective_fraction, financial_years, in_post_fraction
from model.replications import estimate, run_replications
from model.scenario import with_overrides
from tests.conftest import queue_scenario


def _idle_unit(turnover: dict, fte: float = 4, years: float = 30, **extra):
    """A unit with (almost) no demand: only people coming and going matter."""
    return queue_scenario(
        servers=fte,
        arrivals_per_day=0.0,
        horizon_years=years,
        warmup_days=730,
        roles__server__turnover=turnover,
        roles__server__recruitment_lead_time_days=240,
        **extra,
    )


def test_mean_fte_in_post_is_n_over_one_plus_r_l() -> None:
    """Repair-shop identity: exponential tenures (rate r), fixed vacancy L -> N / (1 + r L)."""
    rate, lead, n = 0.5, 240.0, 4
    scenario = _idle_unit({"leaving_rate_per_year": rate})
    runs = run_replications(scenario, replications=20)
    e = estimate(runs.kpi_frame()["fte_in_post_mean.server"])
    expected = n / (1 + rate * lead / 365.0)
    assert e.n == 20
    assert e.ci_low <= expected <= e.ci_high, (e, expected)
    assert expected == pytest.approx(n * in_post_fraction(scenario.roles["server"]))
    # Leavers a year = r x FTE in post.
    leavers = estimate(runs.kpi_frame()["leavers_per_year.server"])
    assert leavers.ci_low <= rate * expected <= leavers.ci_high


def test_fixed_tenure_gives_tenure_over_tenure_plus_lead() -> None:
    scenario = _idle_unit({"leaving_rate_per_year": 0.0, "fixed_tenure_years": 3})
    frame = run_replications(scenario, replications=10).kpi_frame()
    e = estimate(frame["fte_in_post_mean.server"])
    expected = 4 * 3 / (3 + 240 / 365)
    assert e.ci_low - 0.02 <= expected <= e.ci_high + 0.02
    assert in_post_fraction(scenario.roles["server"]) == pytest.approx(3 / (3 + 240 / 365))


def test_not_replaced_posts_stay_vacant() -> None:
    scenario = _idle_unit({"leaving_rate_per_year": 1.0, "replaced": False}, years=10)
    r = run_replication(scenario, scenario.seed, 0)
    weekly = r.series["fte_in_post"][:, 0]
    assert np.all(np.diff(weekly) <= 1e-12)  # never refilled
    assert r.kpis["starters_per_year.server"] == 0


def test_no_turnover_block_adds_nothing_and_changes_nothing() -> None:
    base = queue_scenario(servers=2, arrivals_per_day=1.5, horizon_years=2)
    r = run_replication(base, base.seed, 0)
    assert not any(k.startswith(("fte_in_post", "leavers")) for k in r.kpis)
    assert "fte_in_post" not in r.series
    # A turnover block nobody ever leaves under, with no ramp-up, keeps every number.
    still = with_overrides(base, {"roles.server.turnover": {"leaving_rate_per_year": 0}})
    s = run_replication(still, base.seed, 0)
    for key, value in r.kpis.items():
        assert s.kpis[key] == value or (math.isnan(value) and math.isnan(s.kpis[key])), key
    assert s.kpis["fte_in_post_mean.server"] == pytest.approx(2.0)
    assert s.kpis["vacancy_share.server"] == pytest.approx(0.0)


def test_content_hash_ignores_absent_turnover() -> None:
    base = queue_scenario(servers=2)
    assert "turnover" not in str(base.content_hash())
    changed = with_overrides(base, {"roles.server.turnover": {"leaving_rate_per_year": 0.1}})
    assert changed.content_hash() != base.content_hash()


def test_hand_overs_conserve_cases() -> None:
    """High turnover on a caseload role: every case ends exactly once, counts balance."""
    scenario = queue_scenario(
        servers=3,
        arrivals_per_day=0.6,
        mean_service_days=2.0,
        horizon_years=3,
        warmup_days=0,
        roles__server__caseload_cap_per_fte=4,
        roles__server__recruitment_lead_time_days=60,
        roles__server__turnover={
            "leaving_rate_per_year": 2.0,
            "ramp_up": [{"months": 2, "effort_share": 0.5}],
        },
        stages__service__holds_caseload=True,
        stages__service__external_delays=[
            {"name": "wait", "duration_days": {"dist": "exponential", "mean": 20}}
        ],
    )
    runs = run_replications(scenario, replications=4, record_cases=True)
    cases = runs.cases()
    handed = 0.0
    for r in runs.replications:
        k = r.kpis
        assert k["conservation_gap"] == 0
        assert k["cases_created"] == k["cases_closed"] + k["cases_open_at_end"]
        mine = cases[cases["replication"] == r.replication]
        closed = mine.dropna(subset=["left_day"]).groupby("case_id").size()
        assert (closed <= 1).all()  # one stage: a case leaves it once at most
        assert len(mine["case_id"].unique()) == k["cases_created"]
        assert k["handovers_queued_per_year.server"] <= k["handovers_per_year.server"]
        handed += k["handovers_per_year.server"]
    assert handed > 0


def test_ramp_up_lowers_throughput_by_its_share() -> None:
    """One saturated server who starts on day 0 at half speed for 6 months: in the first
    half-year it completes half the work it does in a half-year at full speed."""
    scenario = queue_scenario(
        servers=1,
        arrivals_per_day=5.0,  # far beyond capacity: the server never idles
        mean_service_days=0.5,
        horizon_years=1,
        warmup_days=0,
        roles__server__turnover={
            "leaving_rate_per_year": 0,
            "ramp_up": [{"months": 6, "effort_share": 0.5}],
        },
        roles__server__staffing_plan=[{"date": "2025-01-02", "change_fte": 1}],
        roles__server__fte=0,
    )
    r = run_replication(scenario, scenario.seed, 0)
    hours = r.series["staff_hours"][:, 0]
    first, second = hours[:25].sum(), hours[27:52].sum()
    assert first / second == pytest.approx(0.5, abs=0.03)
    effective = r.series["fte_effective"][:, 0]
    assert effective[1:25] == pytest.approx(0.5) and effective[28:] == pytest.approx(1.0)
    assert r.kpis["starters_per_year.server"] == 1


def test_effective_fraction_counts_ramp_up() -> None:
    scenario = _idle_unit(
        {"leaving_rate_per_year": 0.5, "ramp_up": [{"months": 6, "effort_share": 0.5}]}
    )
    role = scenario.roles["server"]
    frame = run_replications(scenario, replications=10).kpi_frame()
    e = estimate(frame["fte_effective_mean.server"])
    assert e.ci_low - 0.03 <= 4 * effective_fraction(role) <= e.ci_high + 0.03
    assert effective_fraction(role) < in_post_fraction(role)


def test_workforce_streams_are_common_across_demand() -> None:
    """Leavers depend on the post's own stream, not on demand."""
    a = _idle_unit({"leaving_rate_per_year": 0.5}, years=5)
    b = with_overrides(a, {"sources.poisson.rate_per_week": 3.0})
    ra, rb = run_replication(a, 1, 0), run_replication(b, 1, 0)
    assert ra.kpis["leavers_per_year.server"] == rb.kpis["leavers_per_year.server"]
    assert np.array_equal(ra.series["fte_in_post"], rb.series["fte_in_post"])


def test_financial_years_split_the_window() -> None:
    scenario = queue_scenario(horizon_years=2, warmup_days=10, start_date="2027-01-01")
    years = financial_years(scenario, 10.0, 10.0 + 730)
    assert list(years) == ["2026-27", "2027-28", "2028-29"]
    assert years["2026-27"] == (10.0, 10.0 + 90)
    assert sum(hi - lo for lo, hi in years.values()) == pytest.approx(730)


def test_bad_turnover_is_one_line() -> None:
    from model.scenario import ScenarioError

    with pytest.raises(ScenarioError) as info:
        with_overrides(queue_scenario(), {"roles.server.turnover": {"leaving_rate_per_year": -1}})
    assert any("turnover.leaving_rate_per_year" in line for line in info.value.lines)


def test_baseline_with_nobody_leaving_gives_the_same_numbers(baseline) -> None:
    """Every role driven by the workforce module, but nobody leaves and nobody learns: the
    KPIs of the baseline are unchanged, number for number."""
    short = with_overrides(baseline, {"horizon_years": 1})
    still = with_overrides(
        short, {f"roles.{r}.turnover": {"leaving_rate_per_year": 0} for r in short.roles}
    )
    a, b = run_replication(short, short.seed, 0), run_replication(still, short.seed, 0)
    for key, value in a.kpis.items():
        assert b.kpis[key] == value or (math.isnan(value) and math.isnan(b.kpis[key])), key


def test_summary_has_no_workforce_block_without_turnover(baseline) -> None:
    from model.results import summary_dict

    runs = run_replications(with_overrides(baseline, {"horizon_years": 0.5}), replications=2)
    summary = summary_dict(runs)
    assert "workforce" not in summary
    assert not any(k.startswith(("fte_", "vacancy_", "leavers_")) for k in summary["kpis"])


@settings(max_examples=12, deadline=None)
@given(
    rate=st.floats(0.0, 3.0),
    tenure=st.one_of(st.none(), st.floats(0.2, 3.0)),
    lead=st.floats(0.0, 200.0),
    share=st.floats(0.1, 1.0),
    fte=st.sampled_from([1.0, 2.5, 4.0]),
    replaced=st.booleans(),
)
def test_any_turnover_keeps_the_books(rate, tenure, lead, share, fte, replaced) -> None:
    """Whatever the turnover: cases balance, nobody is in post beyond the posts funded, and
    effective FTE never exceeds FTE in post."""
    turnover = {
        "leaving_rate_per_year": rate,
        "fixed_tenure_years": tenure,
        "replaced": replaced,
        "replacement_lead_time_days": lead,
        "ramp_up": [{"months": 1, "effort_share": share}],
    }
    scenario = queue_scenario(
        servers=fte,
        arrivals_per_day=0.8,
        horizon_years=1,
        warmup_days=0,
        roles__server__caseload_cap_per_fte=3,
        roles__server__turnover=turnover,
        stages__service__holds_caseload=True,
    )
    r = run_replication(scenario, 3, 0)
    k = r.kpis
    assert k["conservation_gap"] == 0
    in_post, effective = r.series["fte_in_post"][:, 0], r.series["fte_effective"][:, 0]
    assert np.all(in_post <= r.series["establishment"][:, 0] + 1e-9)
    assert np.all(effective <= in_post + 1e-9)
    assert 0 <= k["vacancy_share.server"] <= 1
    assert k["handovers_queued_per_year.server"] <= k["handovers_per_year.server"]
