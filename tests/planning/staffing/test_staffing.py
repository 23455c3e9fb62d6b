"""The staffing estimate: analytic load, the replication count, the search, recruitment timing.

The proofs the issue asks for are here: the search against exact Erlang C on
an M/M/c queue and against brute force on two roles; common random numbers
against independent seeds; more staff of the binding role never worse beyond
noise on the baseline; infeasible targets named with the best found.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.compare import paired_differences
from model.engine.kpis import target_periods
from model.engine.unit import staffing_schedule
from model.queueing import mmc_p_wait_within
from model.replications import meets, one_sided_bound, run_replications
from model.scenario import ScenarioError, scenario_from_mapping, with_overrides
from planning.staffing.analytic import (
    FTE_TOLERANCE,
    attribute_classes,
    erlang_c_servers,
    snap_up,
    step_above,
)
from planning.staffing.precision import (
    PrecisionRule,
    relative_half_widths,
    replications_needed,
    sequential_replications,
)
from planning.staffing.recommend import (
    analytic_staffing,
    apply_staffing,
    first_failures,
    recruitment_plan,
    search_staffing,
)
from planning.staffing.runs import fte_at, reporting_from
from planning.staffing.search import Evaluation, SearchSpace, cheapest_staffing
from tests.conftest import ONE_MIX, as_mapping, queue_scenario

LAM, MU, WITHIN, SHARE = 4.0, 1.0, 1.0, 0.9
"""The M/M/c check: 4 arrivals a day, 1-day services, 90% to start within a day."""


def mmc_scenario(servers: float = 3, horizon_years: float = 2, **extra):
    return queue_scenario(
        servers=servers,
        arrivals_per_day=LAM,
        mean_service_days=1 / MU,
        horizon_years=horizon_years,
        warmup_days=60,
        roles__server__cost_per_fte_per_year_gbp=40_000,
        roles__server__recruitment_lead_time_days=120,
        targets={
            "start_within_a_day": {
                "kind": "share_within",
                "description": "Started within a day",
                "stage": "service",
                "within_days": WITHIN,
                "min_share": SHARE,
            }
        },
        **extra,
    )


def erlang_servers() -> int:
    return erlang_c_servers(LAM, MU, WITHIN, SHARE, limit=50)


@pytest.fixture(scope="module")
def mmc_result():
    return search_staffing(mmc_scenario())


def two_role_scenario(seed: int = 4):
    """Triage then investigation; one target times investigation from referral, so the
    two roles interact (a slow triage eats the investigation's time)."""
    role = {"contracted_hours_per_week": 168, "abstraction_rate": 0, "casework_share": 1}
    return scenario_from_mapping(
        {
            "name": "two_roles",
            "start_date": "2025-01-01",
            "horizon_years": 1,
            "warmup_days": 30,
            "seed": seed,
            "roles": {
                "triage": {
                    **role,
                    "title": "Triage",
                    "fte": 2,
                    "cost_per_fte_per_year_gbp": 30_000,
                },
                "investigator": {
                    **role,
                    "title": "Investigator",
                    "fte": 2,
                    "cost_per_fte_per_year_gbp": 50_000,
                },
            },
            "sources": {
                "poisson": {
                    "title": "Poisson",
                    "kind": "rate",
                    "rate_per_week": 28,
                    "entry_stage": "triage",
                    "mix": ONE_MIX,
                }
            },
            "stages": {
                "triage": {
                    "title": "Triage",
                    "role": "triage",
                    "effort_hours": {"dist": "exponential", "mean": 12},
                    "discipline": "fifo",
                    "routing": {"default": {"investigation": 0.5, "closed": 0.5}},
                },
                "investigation": {
                    "title": "Investigation",
                    "role": "investigator",
                    "effort_hours": {"dist": "exponential", "mean": 36},
                    "discipline": "fifo",
                    "routing": {"default": {"closed": 1.0}},
                },
            },
            "outcomes": ["closed"],
            "targets": {
                "triaged_half_day": {
                    "kind": "share_within",
                    "stage": "triage",
                    "within_days": 0.5,
                    "min_share": 0.9,
                },
                "investigated_2_days": {
                    "kind": "share_within",
                    "stage": "investigation",
                    "within_days": 2.0,
                    "min_share": 0.93,
                },
            },
        },
        "two_roles",
    )


# --------------------------------------------------------------------------- analytic


def test_analytic_estimate_is_exact_erlang_c_on_mm_c() -> None:
    row = analytic_staffing(mmc_scenario()).iloc[0]
    assert row["method"] == "erlang_c"
    assert row["fte_at_full_load"] == pytest.approx(LAM / MU, rel=1e-9)
    assert row["offered_load_hours_per_week"] == pytest.approx(LAM * 24 / MU * 7, rel=1e-9)
    c = erlang_servers()
    assert row["suggested_fte"] == c
    assert mmc_p_wait_within(LAM, MU, c, WITHIN) >= SHARE > mmc_p_wait_within(LAM, MU, c - 1, 1)
    assert row["fte_floor"] == 5  # the first whole server above a load of exactly 4


def test_analytic_load_matches_simulated_staff_hours_on_the_baseline(baseline) -> None:
    """Traffic equations x mean effort = the staff-hours the simulation books (within 10%;
    the simulation also works off the open caseload at the start)."""
    analytic = analytic_staffing(baseline).set_index("role")
    frame = run_replications(baseline, replications=3).kpi_frame()
    for role in baseline.roles:
        simulated = frame[f"staff_hours_per_year.{role}"].mean()
        expected = analytic.loc[role, "offered_load_hours_per_week"] * 365 / 7
        assert simulated == pytest.approx(expected, rel=0.1), role


def test_caseload_places_add_a_requirement_from_littles_law(baseline) -> None:
    row = analytic_staffing(baseline).set_index("role").loc["dc_investigator"]
    assert row["caseload_fte_at_full_load_peak"] > 0
    tighter = with_overrides(baseline, {"roles.dc_investigator.caseload_cap_per_fte": 1})
    tight = analytic_staffing(tighter).set_index("role").loc["dc_investigator"]
    assert tight["caseload_fte_at_full_load_peak"] == pytest.approx(
        6 * row["caseload_fte_at_full_load_peak"]
    )
    assert tight["suggested_fte"] > row["suggested_fte"]


def test_attribute_classes_follow_the_mix(baseline) -> None:
    mix = baseline.sources["ict_monitoring"].mix
    classes = attribute_classes(mix)
    assert sum(p for *_, p in classes) == pytest.approx(1.0)
    apsp = sum(p for _, flag, _, p in classes if flag)
    assert apsp == pytest.approx(0.15 * 0.2 + 0.05 * 0.1)
    high = [p for _, flag, priority, p in classes if flag and priority != 0]
    assert high == []  # APSP referrals always get the apsp_priority (high)


@given(
    lam=st.floats(0.2, 20),
    within=st.floats(0.05, 5),
    share=st.floats(0.5, 0.99),
)
@settings(max_examples=60, deadline=None)
def test_erlang_c_staffing_is_the_fewest_servers_that_meet_the_share(lam, within, share) -> None:
    c = erlang_c_servers(lam, 1.0, within, share, limit=500)
    assert c is not None and c > lam
    assert mmc_p_wait_within(lam, 1.0, c, within) >= share
    if c - 1 > lam:
        assert mmc_p_wait_within(lam, 1.0, c - 1, within) < share
    # More demand never needs fewer servers.
    assert erlang_c_servers(lam * 1.5, 1.0, within, share, limit=500) >= c


@given(value=st.floats(0, 100), step=st.sampled_from([0.25, 0.5, 1.0, 2.0]))
def test_grid_snapping(value: float, step: float) -> None:
    up = snap_up(value, step)
    # Snapping forgives a float error of FTE_TOLERANCE steps (2.0 FTE - 2e-9 is 2 FTE).
    assert up >= value - FTE_TOLERANCE * step and up - value < step + 1e-9
    above = step_above(value, step)
    assert above == 0 if value <= 1e-9 else above > value


# --------------------------------------------------------------------------- precision


class _Values:
    def __init__(self, x: np.ndarray) -> None:
        self.x = x

    def single_run(self, replication: int) -> dict[str, float]:
        return {"kpi": float(self.x[replication])}


@given(
    seed=st.integers(0, 10_000),
    mean=st.floats(1, 10),
    cv=st.floats(0.02, 0.8),
    precision=st.floats(0.02, 0.2),
    look_ahead=st.integers(0, 6),
)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_sequential_method_agrees_with_sim_tools(seed, mean, cv, precision, look_ahead) -> None:
    """On positive data (where relative precision is half-width over mean) the batch
    implementation picks the same count as sim-tools' ReplicationsAlgorithm (Hoad et al.)."""
    from sim_tools.output_analysis import ReplicationsAlgorithm

    x = np.abs(np.random.default_rng(seed).normal(mean, cv * mean, 120)) + 0.01
    rule = PrecisionRule(precision, 0.95, 3, look_ahead, 100)
    mine = replications_needed(x, rule)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        algorithm = ReplicationsAlgorithm(
            alpha=0.05,
            half_width_precision=precision,
            initial_replications=3,
            look_ahead=look_ahead,
            replication_budget=100,
        )
        reference = algorithm.select(_Values(x), ["kpi"])[0]["kpi"]
    if reference is not None and reference + look_ahead <= 100:
        assert mine == reference
    else:
        assert mine is None or mine + look_ahead > 100 - look_ahead


def test_precision_near_zero_is_judged_against_the_threshold() -> None:
    """A KPI around zero (backlog growth) has no useful relative precision; a negative mean
    must not pass as 'precise'. Against a threshold of 0.1 it is judged as intended."""
    x = np.random.default_rng(1).normal(-0.05, 0.02, 200)
    rule = PrecisionRule(0.05, 0.95, 3, 5, 200)
    widths_mean_only = relative_half_widths(x, 0.95)
    assert (widths_mean_only[5:] > 0).all()  # sim-tools would divide by a negative mean
    needed = replications_needed(x, rule, scale_floor=0.1)
    assert needed is not None
    widths = relative_half_widths(x[:needed], 0.95, 0.1)
    assert widths[-1] <= 0.05


def test_batches_do_not_change_the_answer() -> None:
    x = np.random.default_rng(7).gamma(4.0, 1.0, 300)
    rule = PrecisionRule(0.05, 0.95, 3, 5, 300)

    def fetch(n: int) -> dict[str, np.ndarray]:
        return {"kpi": x[:n]}

    answers = {
        batch: sequential_replications(fetch, {"kpi": 0.0}, rule, batch).needed["kpi"]
        for batch in (1, 4, 25)
    }
    assert len(set(answers.values())) == 1
    assert answers[1] == replications_needed(x, rule)


# --------------------------------------------------------------------------- the search itself


def _space(floor, ceiling, cost):
    roles = tuple(floor)
    return SearchSpace(roles, dict.fromkeys(roles, 1.0), floor, ceiling, cost)


@given(
    data=st.data(),
    n_roles=st.integers(2, 4),
)
@settings(max_examples=150, deadline=None)
def test_search_finds_the_brute_force_optimum_of_any_monotone_rule(data, n_roles) -> None:
    """Feasible iff each role has its own minimum and a weighted sum of staff reaches a level
    (roles interact): the search's answer is the cheapest in the grid, found by brute force."""
    roles = [f"r{i}" for i in range(n_roles)]
    floor = {r: float(data.draw(st.integers(0, 2))) for r in roles}
    ceiling = {r: floor[r] + data.draw(st.integers(1, 5)) for r in roles}
    cost = {r: float(data.draw(st.integers(1, 6))) for r in roles}
    need = {r: data.draw(st.floats(floor[r] - 1, ceiling[r])) for r in roles}
    weight = {r: data.draw(st.floats(0, 1)) for r in roles}
    level = data.draw(st.floats(0, sum(weight[r] * ceiling[r] for r in roles) + 1))
    space = _space(floor, ceiling, cost)

    def evaluate(x):
        shortfall = sum(max(0.0, need[r] - x[r]) for r in roles) + max(
            0.0, level - sum(weight[r] * x[r] for r in roles)
        )
        return Evaluation(dict(x), shortfall == 0, shortfall)

    grid = [
        dict(zip(roles, combo, strict=True)) for combo in itertools.product(*map(space.grid, roles))
    ]
    feasible = [x for x in grid if evaluate(x).feasible]
    outcome = cheapest_staffing(space, evaluate, floor, exact_evaluations=10_000)
    if not feasible:
        assert not outcome.feasible
        return
    assert outcome.feasible and evaluate(outcome.staffing).feasible
    assert space.cost_of(outcome.staffing) == pytest.approx(min(map(space.cost_of, feasible)))


def test_fallback_without_the_exact_step_is_feasible_and_locally_minimal() -> None:
    floor, ceiling = {"a": 0.0, "b": 0.0}, {"a": 8.0, "b": 8.0}
    space = _space(floor, ceiling, {"a": 3.0, "b": 2.0})

    def evaluate(x):
        shortfall = max(0.0, 9 - x["a"] - x["b"]) + max(0.0, 2 - x["a"])
        return Evaluation(dict(x), shortfall == 0, shortfall)

    outcome = cheapest_staffing(space, evaluate, floor, exact_evaluations=1)
    assert outcome.feasible and outcome.repaired
    x = outcome.staffing
    assert x == {"a": 2.0, "b": 7.0}
    for role in x:
        fewer = {**x, role: x[role] - 1}
        assert not evaluate(fewer).feasible


def test_search_equals_brute_force_on_two_roles_under_the_same_seeds() -> None:
    scenario = two_role_scenario()
    n = 5
    result = search_staffing(scenario, replications=n, max_fte=7)
    ranges = result.ranges.set_index("role")
    grids = {
        role: [
            ranges.loc[role, "floor"] + k * ranges.loc[role, "step"]
            for k in range(
                round(
                    (ranges.loc[role, "ceiling"] - ranges.loc[role, "floor"])
                    / ranges.loc[role, "step"]
                )
                + 1
            )
        ]
        for role in ranges.index
    }
    cheapest = None
    for combo in itertools.product(*grids.values()):
        staffing = dict(zip(grids, combo, strict=True))
        frame = run_replications(
            apply_staffing(scenario, staffing), replications=n, seed=scenario.seed
        ).kpi_frame()
        meets_all = all(
            meets(
                one_sided_bound(frame[f"target.{name}"], t.direction, 0.95),
                t.direction,
                t.threshold,
            )
            for name, t in scenario.targets.items()
        )
        cost = sum(staffing[r] * scenario.roles[r].cost_per_fte_per_year_gbp for r in staffing)
        if meets_all and (cheapest is None or cost < cheapest[0]):
            cheapest = (cost, staffing)
    assert cheapest is not None
    assert result.searched == cheapest[1]
    assert result.evaluations < len(list(itertools.product(*grids.values()))) + 10


# --------------------------------------------------------------------------- proofs


def test_search_returns_the_erlang_c_number_of_servers(mmc_result) -> None:
    c = erlang_servers()
    got = mmc_result.recommended["server"]
    if got != c:  # allowed only where the analytic value is within the CI margin
        assert abs(got - c) == 1
        row = mmc_result.tradeoff.set_index("fte").loc[float(c)]
        exact = mmc_p_wait_within(LAM, MU, c, WITHIN)
        assert row["ci_low"] <= exact <= row["ci_high"]
        assert row["ci_low"] <= SHARE <= row["ci_high"]
    assert mmc_result.feasible and mmc_result.confirmed
    assert mmc_result.binding_target == "start_within_a_day"
    assert mmc_result.binding_role == "server"
    assert mmc_result.cost_recommended == got * 40_000
    assert mmc_result.cost_current == 3 * 40_000
    # The simulated share at each server count agrees with Erlang C.
    for row in mmc_result.tradeoff.to_dict("records"):
        exact = mmc_p_wait_within(LAM, MU, int(row["fte"]), WITHIN)
        margin = max(row["ci_high"] - row["ci_low"], 0.02)
        assert abs(row["mean"] - exact) < margin, row


def test_result_tables_are_shaped_for_the_app(mmc_result, baseline) -> None:
    status_columns = set(run_replications(baseline, 2).target_status().columns)
    assert status_columns <= set(mmc_result.targets_current.columns)
    assert status_columns <= set(mmc_result.targets_recommended.columns)
    assert {"role", "fte", "target", "mean", "ci_low", "ci_high", "met_with_confidence"} <= set(
        mmc_result.tradeoff.columns
    )
    assert set(mmc_result.targets_recommended["basis"]) == {f"seed {mmc_result.confirmation_seed}"}
    fewer = mmc_result.step_down.iloc[0]
    assert fewer["fte"] == mmc_result.recommended["server"] - 1
    assert fewer["failing_beyond_noise"] == "start_within_a_day"
    assert mmc_result.replications >= 3 and mmc_result.evaluations >= 3
    assert mmc_result.confirmation_seed != mmc_result.seed
    document = json.loads(json.dumps(mmc_result.to_dict()))
    assert document["recommended"] == mmc_result.recommended
    assert document["brute_force_evaluations"] == mmc_result.brute_force_evaluations


def test_common_random_numbers_sharpen_the_difference_of_adjacent_staffings() -> None:
    """The same seed at 4 and 5 servers (bursty arrivals, as monitoring alerts are) gives a
    far smaller variance of the per-replication difference than independent seeds."""
    scenario = queue_scenario(
        servers=4,
        arrivals_per_day=2,
        horizon_years=0.5,
        warmup_days=30,
        sources__poisson__burst_cv=1.0,
        sources__poisson__burst_period_days=14,
        targets={
            "start_within_a_day": {
                "kind": "share_within",
                "stage": "service",
                "within_days": 1,
                "min_share": 0.9,
            }
        },
    )
    kpi = "target.start_within_a_day"

    def values(servers: int, seed: int) -> np.ndarray:
        results = run_replications(apply_staffing(scenario, {"server": servers}), 16, seed=seed)
        return results.kpi_frame()[kpi].to_numpy()

    fewer = values(4, seed=1)
    paired = values(5, seed=1) - fewer
    independent = values(5, seed=2) - fewer
    assert np.var(paired, ddof=1) < 0.5 * np.var(independent, ddof=1)
    assert (paired >= 0).all()  # with the same random numbers, one more server never hurts here


@pytest.mark.parametrize(("role", "levels"), [("dc_investigator", (3, 4, 5, 6)), ("ds", (1, 2, 3))])
def test_more_of_the_binding_role_never_makes_targets_worse_on_the_baseline(
    baseline, role, levels
) -> None:
    """Monotone sanity: one more of the role, same seeds: no target estimate gets worse
    beyond noise (the paired difference is not significantly in the wrong direction)."""
    runs = [
        run_replications(apply_staffing(baseline, {role: float(k)}), replications=6, seed=3)
        for k in levels
    ]
    for fewer, more in itertools.pairwise(runs):
        diffs = paired_differences(fewer, more, [f"target.{t}" for t in baseline.targets])
        for name, target in baseline.targets.items():
            row = diffs.loc[f"target.{name}"]
            worse = -row["difference"] if target.direction == ">=" else row["difference"]
            assert worse <= max(row["half_width"], 1e-12), (name, row.to_dict())


def test_a_target_out_of_reach_is_named_with_the_best_found() -> None:
    result = search_staffing(mmc_scenario(horizon_years=0.5), max_fte=erlang_servers() - 1)
    assert not result.feasible
    assert result.unachievable == ["start_within_a_day"]
    assert "start_within_a_day" in result.message and "best found" in result.message
    assert f"{erlang_servers() - 1:g} server" in result.message
    best = result.targets_recommended.iloc[0]
    assert best["mean"] < SHARE and not best["met_with_confidence"]


def test_a_target_no_staffing_can_meet_is_reported_and_others_still_staffed() -> None:
    """A share that cannot be reached because the service itself takes too long."""
    scenario = mmc_scenario(horizon_years=0.5)
    data = as_mapping(scenario)
    data["targets"]["done_within_an_hour"] = {
        "kind": "long_open_share",
        "stage": "service",
        "over_days": 1 / 24,
        "max_share": 0.01,
    }
    result = search_staffing(scenario_from_mapping(data, "test"), replications=4)
    assert result.unachievable == ["done_within_an_hour"]
    assert not result.feasible
    assert result.recommended["server"] == pytest.approx(
        search_staffing(scenario, replications=4).recommended["server"]
    )
    assert "done_within_an_hour" in result.message


def test_bad_requests_are_one_line_errors(baseline) -> None:
    with pytest.raises(ScenarioError, match="--roles: unknown role 'nobody'"):
        search_staffing(baseline, roles=["nobody"])
    no_cost = with_overrides(baseline, {"roles.ds.cost_per_fte_per_year_gbp": None})
    with pytest.raises(ScenarioError, match=r"roles\.ds\.cost_per_fte_per_year_gbp"):
        search_staffing(no_cost, roles=["ds"])
    with pytest.raises(ScenarioError, match="--confidence"):
        search_staffing(baseline, confidence=1.5)
    with pytest.raises(ScenarioError, match="--max-fte: 'nobody'"):
        search_staffing(baseline, roles=["ds"], max_fte={"nobody": 3})
    without = with_overrides(baseline, {"targets": {}})
    with pytest.raises(ScenarioError, match="nothing to staff for"):
        search_staffing(without)


def test_only_the_roles_asked_for_are_searched() -> None:
    scenario = two_role_scenario()
    result = search_staffing(scenario, roles=["investigator"], replications=4, max_fte=7)
    assert result.roles == ["investigator"]
    assert set(result.recommended) == {"investigator"}
    assert result.cost_current == 2 * 30_000 + 2 * 50_000


# --------------------------------------------------------------------------- by when


def test_reporting_from_a_date_keeps_every_date_on_the_same_day(baseline) -> None:
    later = reporting_from(baseline, dt.date(2028, 4, 1))
    assert later.start_date == dt.date(2028, 4, 1)
    assert later.warmup_days == 366  # 2028 is a leap year
    assert later.horizon_years == baseline.horizon_years
    from model.scenario import days_from_start

    for when in (dt.date(2027, 6, 1), dt.date(2029, 1, 1)):
        assert days_from_start(later, when) == days_from_start(baseline, when)
    with pytest.raises(ScenarioError, match="before the scenario's start date"):
        reporting_from(baseline, dt.date(2020, 1, 1))


def test_staffing_from_a_date_keeps_the_plan_before_it() -> None:
    scenario = with_overrides(
        mmc_scenario(),
        {"roles.server.staffing_plan": [{"date": "2025-03-01", "change_fte": 1}]},
    )
    when = dt.date(2025, 6, 1)
    later = reporting_from(scenario, when)
    assert fte_at(later, "server", when) == 4
    changed = apply_staffing(later, {"server": 7}, when)
    schedule = staffing_schedule(changed, "server")
    assert [fte for _, fte in schedule] == [3, 4, 7]
    whole = apply_staffing(scenario, {"server": 7})
    assert staffing_schedule(whole, "server") == [(0.0, 7)]


def test_periods_measure_each_target_over_time(baseline) -> None:
    result = run_replications(baseline, replications=2).replications[0]
    periods = target_periods(baseline)
    assert len(periods) == math.ceil(156 / 13)
    growth = [result.kpis[f"target_period.backlog_not_growing.{k}"] for k in range(1, 13)]
    assert growth[-1] == result.kpis["target.backlog_not_growing"]
    shares = [result.kpis[f"target_period.all_assessed_28_days.{k}"] for k in range(1, 13)]
    assert all(0 <= s <= 1 for s in shares if not math.isnan(s))


def test_first_failure_is_found_after_demand_rises() -> None:
    """Arrivals double on 1 July 2025: the target holds before and fails after."""
    scenario = with_overrides(
        mmc_scenario(servers=6),
        {
            "roles.server.fte": 6,
            "horizon_years": 1,
            "sources.poisson.modifiers": [{"type": "step", "date": "2025-07-01", "factor": 1.4}],
        },
    )
    table = first_failures(scenario, dt.date(2025, 6, 1), replications=4)
    row = table.iloc[0]
    assert row["first_missed_from"] is not None
    assert dt.date(2025, 6, 1) <= row["first_missed_from"] <= dt.date(2025, 9, 30)
    assert row["first_at_risk_from"] <= row["first_missed_from"]
    assert row["checked_until"] >= dt.date(2026, 5, 1)


def test_recruitment_starts_a_lead_time_before_the_staff_are_needed(mmc_result) -> None:
    scenario = mmc_scenario()
    extra = mmc_result.recommended["server"] - 3
    in_time = recruitment_plan(scenario, mmc_result, dt.date(2025, 12, 1)).iloc[0]
    assert in_time["extra_fte"] == extra > 0
    assert in_time["start_recruiting_by"] == dt.date(2025, 12, 1) - dt.timedelta(days=120)
    assert not in_time["late"] and in_time["earliest_in_post"] == dt.date(2025, 12, 1)
    assert in_time["extra_cost_per_year_gbp"] == extra * 40_000
    late = recruitment_plan(scenario, mmc_result, dt.date(2025, 2, 1)).iloc[0]
    assert late["late"]
    assert late["earliest_in_post"] == scenario.start_date + dt.timedelta(days=120)


def test_search_from_a_date_judges_the_targets_from_then() -> None:
    scenario = with_overrides(
        mmc_scenario(horizon_years=1),
        {"sources.poisson.modifiers": [{"type": "step", "date": "2025-07-01", "factor": 1.25}]},
    )
    result = search_staffing(scenario, from_date=dt.date(2025, 7, 1), replications=3)
    assert result.from_date == dt.date(2025, 7, 1)
    assert result.current == {"server": 3}
    # 5 arrivals a day from July: Erlang C for the higher load.
    assert result.recommended["server"] >= erlang_c_servers(5.0, 1.0, WITHIN, SHARE, 50) - 1


# --------------------------------------------------------------------------- scenario section


def test_staffing_search_section_is_validated(baseline) -> None:
    data = as_mapping(baseline)
    data["staffing_search"] = {"roles": {"nobody": {"max_fte": 3}}}
    with pytest.raises(ScenarioError) as info:
        scenario_from_mapping(data, "x.yaml")
    assert any("staffing_search.roles.nobody: unknown role" in line for line in info.value.lines)
    data["staffing_search"] = {"roles": {"ds": {"min_fte": 5, "max_fte": 3}}}
    with pytest.raises(ScenarioError, match="min_fte"):
        scenario_from_mapping(data, "x.yaml")
    data["staffing_search"] = {"initial_replications": 50, "max_replications": 10}
    with pytest.raises(ScenarioError, match="initial_replications"):
        scenario_from_mapping(data, "x.yaml")


def test_default_search_settings_leave_the_content_hash_alone(baseline) -> None:
    data = as_mapping(baseline)
    data.pop("staffing_search")
    assert scenario_from_mapping(data, "x").content_hash() == baseline.content_hash()
    changed = with_overrides(baseline, {"staffing_search.fte_step": 0.5})
    assert changed.content_hash() != baseline.content_hash()


def test_role_settings_set_the_search_range() -> None:
    scenario = with_overrides(
        mmc_scenario(horizon_years=0.5),
        {"staffing_search.roles": {"server": {"fte_step": 0.5, "min_fte": 5, "max_fte": 8}}},
    )
    result = search_staffing(scenario, replications=3)
    row = result.ranges.iloc[0]
    assert (row["floor"], row["ceiling"], row["step"]) == (5.0, 8.0, 0.5)
    assert result.recommended["server"] in np.arange(5.0, 8.01, 0.5)
    assert result.brute_force_evaluations == 7


def test_frames_serialise(mmc_result) -> None:
    plan = recruitment_plan(mmc_scenario(), mmc_result, dt.date(2026, 1, 1))
    from planning.staffing.recommend import json_records

    assert json.dumps(json_records(plan))
    assert isinstance(plan, pd.DataFrame)


def test_the_analytic_start_sizes_a_stage_on_its_effort_after_a_change() -> None:
    """A go-live that lengthens assessments must raise the analytic load, not be ignored."""
    from pathlib import Path

    from model.scenario import load_scenario
    from planning.staffing.analytic import analytic_staffing

    path = Path(__file__).parents[2] / "scenarios" / "effort_change.yaml"
    changed = load_scenario(path)
    stage = changed.stages["assessment"]
    flat = changed.model_copy(
        update={
            "stages": {
                **changed.stages,
                "assessment": stage.model_copy(update={"effort_changes": []}),
            }
        }
    )
    load = {
        name: analytic_staffing(s).set_index("role").loc["ds", "offered_load_hours_per_week"]
        for name, s in (("changed", changed), ("flat", flat))
    }
    ratio = stage.effort_changes[-1].effort_hours.mean() / stage.effort_hours.mean()
    assert load["changed"] > load["flat"]
    assert load["changed"] / load["flat"] <= ratio + 1e-9
