"""The thrifty staffing search: futility stops keep the guarantee, the search still finds
the exhaustive answer, and the report's neighbours get no more replications than a normal
run. Seeded Monte Carlo with known truth, and simulation on small scenarios; no timings."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from model.scenario import ScenarioError, with_overrides
from planning.staffing.cache import ReplicationCache
from planning.staffing.recommend import _starts, search_staffing
from planning.staffing.runs import CandidateRunner, TargetJudge
from planning.staffing.search import SearchSpace
from planning.staffing.sequential import (
    FUTILE,
    MET,
    OPEN,
    SequentialRule,
    run_looks,
    verdicts,
)
from tests.planning.staffing.test_fast_search import small_queue
from tests.planning.staffing.test_staffing import two_role_scenario

RULE = SequentialRule.doubling(0.95, 6, 100)


def _stream(values: np.ndarray, rule: SequentialRule) -> tuple[str, int]:
    """The verdict of one stream of replications under ``rule`` and the replications used."""
    found, n = run_looks(lambda n: {"t": values[:n]}, {"t": (">=", 0.9)}, rule)
    return found["t"], n


def test_futility_never_calls_met_what_the_plain_test_would_not() -> None:
    """A futility stop can only end a stream early as not met: every stream it calls met,
    the plain sequential test calls met at the same look. So the wrong-"met" rate at the
    threshold (the guarantee) cannot rise."""
    rng = np.random.default_rng(7)
    futile_rule = RULE.with_futility(0.5)
    for shift in (-0.01, 0.0, 0.01, 0.02):
        for values in rng.normal(0.9 + shift, 0.05, size=(150, 100)):
            with_stop, n = _stream(values, futile_rule)
            plain, m = _stream(values, RULE)
            if with_stop == MET:
                assert plain == MET and n == m


def test_futility_keeps_the_error_rate_and_saves_replications_on_misses() -> None:
    """Known truth: at the threshold the wrong-"met" rate stays within 5%; a staffing that
    truly misses (2 standard errors of a 100-replication mean on the wrong side) is settled
    in far fewer replications; and one truly on the right side by 4 such standard errors is
    still called met nearly as often (the power the stop costs, stated in docs/staffing.md)."""
    rng = np.random.default_rng(20261130)
    futile_rule = RULE.with_futility(0.5)
    trials, se100 = 2000, 0.05 / 10

    def rates(mean: float, rule: SequentialRule) -> tuple[float, float]:
        streams = rng.normal(mean, 0.05, size=(trials, 100))
        results = [_stream(v, rule) for v in streams]
        return np.mean([f == MET for f, _ in results]), np.mean([n for _, n in results])

    at_threshold, _ = rates(0.9, futile_rule)
    assert at_threshold <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / trials)
    _, plain_n = rates(0.9 - 2 * se100, RULE)
    _, futile_n = rates(0.9 - 2 * se100, futile_rule)
    assert futile_n < 0.5 * plain_n
    plain_power, _ = rates(0.9 + 4 * se100, RULE)
    futile_power, _ = rates(0.9 + 4 * se100, futile_rule)
    assert futile_power >= plain_power - 0.05


def test_no_futility_stop_when_switched_off() -> None:
    assert RULE.with_futility(None) == RULE
    low = np.full(12, 0.5) + np.linspace(0, 0.3, 12)  # mean 0.65, wide: open, not missed
    found = verdicts({"t": low}, {"t": (">=", 0.7)}, RULE.with_futility(0.5))["t"]
    assert found == FUTILE
    assert verdicts({"t": low}, {"t": (">=", 0.7)}, RULE)["t"] == OPEN
    # Before the first look at which a target may be met, no futility stop.
    early = np.array([0.4, 0.9, 0.5, 0.85, 0.45, 0.8])  # mean 0.65, open at 6
    assert verdicts({"t": early}, {"t": (">=", 0.7)}, RULE.with_futility(0.5))["t"] == OPEN


def test_the_search_equals_an_exhaustive_search_with_the_same_verdicts() -> None:
    """Sequential, futility on: every staffing of a small two-role grid judged with the same
    rule, seed and replications (through the same cache); the cheapest one judged feasible
    is what the search found, after simulating far fewer staffings."""
    scenario = with_overrides(two_role_scenario(), {"staffing_search.max_replications": 24}, "t")
    cache = ReplicationCache()
    result = search_staffing(scenario, max_fte=6, cache=cache)
    assert result.sequential
    ranges = result.ranges.set_index("role")
    grids = {
        role: np.arange(ranges.loc[role, "floor"], ranges.loc[role, "ceiling"] + 1e-9, 1.0)
        for role in ranges.index
    }
    judge = TargetJudge(scenario, result.confidence)
    runner = CandidateRunner(scenario, judge, cache=cache)
    rule = SequentialRule.doubling(
        result.confidence,
        scenario.staffing_search.first_look_replications,
        scenario.staffing_search.max_replications,
    ).with_futility(scenario.staffing_search.futility_standard_errors)
    cheapest = None
    for combo in itertools.product(*grids.values()):
        staffing = {r: float(v) for r, v in zip(grids, combo, strict=True)}
        if runner.sequential(
            staffing, result.seed, list(scenario.targets), rule
        ).evaluation.feasible:
            cost = sum(staffing[r] * scenario.roles[r].cost_per_fte_per_year_gbp for r in staffing)
            if cheapest is None or cost < cheapest[0]:
                cheapest = (cost, staffing)
    assert cheapest is not None
    assert result.searched == cheapest[1]
    assert result.evaluations < result.brute_force_evaluations


def test_the_report_neighbours_get_at_most_a_normal_runs_replications() -> None:
    scenario = small_queue(horizon_years=0.5)
    result = search_staffing(scenario, cache=ReplicationCache())
    assert result.feasible and result.confirmed
    assert result.tradeoff["n"].max() <= max(scenario.replications, 12)
    answer = result.tradeoff[result.tradeoff["fte"] == result.recommended["server"]]
    assert (answer["n"] == result.confirmation_replications).all()
    assert (result.targets_recommended["n"] == result.confirmation_replications).all()
    assert (result.targets_current["n"] == result.confirmation_replications).all()


def test_report_replications_is_validated_and_used() -> None:
    scenario = small_queue(horizon_years=0.5)
    capped = with_overrides(scenario, {"staffing_search.report_replications": 12}, "test")
    result = search_staffing(capped, cache=ReplicationCache())
    neighbours = result.tradeoff[result.tradeoff["fte"] != result.recommended["server"]]
    assert neighbours["n"].max() <= 12
    with pytest.raises(ScenarioError):
        with_overrides(scenario, {"staffing_search.report_replications": 2}, "test")
    with pytest.raises(ScenarioError):
        with_overrides(scenario, {"staffing_search.futility_standard_errors": -1}, "test")


def test_floor_searches_start_at_the_floor_unless_erlang_c_sized_the_role() -> None:
    """A role sized by square-root staffing starts its floor search at its floor (its margin
    answers no target; the answers sit at the floor or a step above); a role Erlang C sized
    for a waiting-time target starts at that estimate, on the grid."""
    roles = ("analyst", "sergeant", "idle")
    space = SearchSpace(
        roles,
        step={r: 1.0 for r in roles},
        floor={"analyst": 58.0, "sergeant": 18.0, "idle": 0.0},
        ceiling={"analyst": 240.0, "sergeant": 120.0, "idle": 3.0},
        cost={r: 1.0 for r in roles},
    )
    analytic = pd.DataFrame(
        [
            {"role": "analyst", "method": "square_root", "suggested_fte": 66.0},
            {"role": "sergeant", "method": "erlang_c", "suggested_fte": 19.0},
            {"role": "idle", "method": "no_work", "suggested_fte": 0.0},
        ]
    )
    assert _starts(space, analytic) == {"analyst": 58.0, "sergeant": 19.0, "idle": 0.0}


# --------------------------------------------------------------------------- probe budget

PROBE_RULE = SequentialRule.doubling(0.95, 6, 48).with_futility(0.5)


def test_a_probe_budget_keeps_the_error_rate_and_bounds_a_near_threshold_probe() -> None:
    """Known truth, normal values (sd 0.05, threshold 0.9): a probe's looks end at 48, so a
    staffing within noise of a threshold costs at most 48 replications instead of 100; the
    chance of a wrong "met" at the threshold is still within 5% (Bonferroni over its own four
    looks); a staffing clearly on the right side (6 standard errors of a 100-replication mean)
    is still called met nearly always. What it costs, power between those, is the table in
    docs/staffing.md."""
    assert PROBE_RULE.looks == (6, 12, 24, 48)
    rng = np.random.default_rng(20261201)
    trials, se100 = 2000, 0.05 / 10

    def rates(mean: float, rule: SequentialRule) -> tuple[float, float, int]:
        results = [_stream(v, rule) for v in rng.normal(mean, 0.05, size=(trials, 100))]
        used = [n for _, n in results]
        return np.mean([f == MET for f, _ in results]), float(np.mean(used)), max(used)

    wrong, _, most = rates(0.9, PROBE_RULE)
    assert wrong <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / trials)
    assert most == 48
    _, full_n, _ = rates(0.9 + 2 * se100, RULE.with_futility(0.5))
    _, probe_n, _ = rates(0.9 + 2 * se100, PROBE_RULE)
    assert probe_n < 0.6 * full_n
    power, _, _ = rates(0.9 + 6 * se100, PROBE_RULE)
    assert power >= 0.9


def _replications_by_staffing(cache: ReplicationCache, seed: int) -> dict[str, int]:
    """Replications cached per scenario content hash (one per staffing) under ``seed``."""
    return {key[0]: len(rows) for key, rows in cache._rows.items() if key[1] == seed}


def test_floor_probes_stop_at_their_budget_and_candidate_answers_do_not() -> None:
    """On a queue whose target sits within noise of its threshold at one staffing, the
    staffings the search tries only to bound the floor get at most
    ``floor_probe_max_replications`` under the search seed; with the setting null they get up
    to ``max_replications`` and one takes more, so the budget is what bounded it. The
    ceiling and the staffing that could be the answer (the floors together) are judged on the
    full looks either way."""
    base = with_overrides(
        small_queue(servers=6, horizon_years=0.5),
        {"targets.start_within_a_day.min_share": 0.97},
        "test",
    )
    used, runs = {}, {}
    for probe in (12, None):
        scenario = with_overrides(
            base, {"staffing_search.floor_probe_max_replications": probe}, "test"
        )
        cache = ReplicationCache()
        result = search_staffing(scenario, cache=cache)
        assert result.sequential and result.confirmed
        runner = CandidateRunner(scenario, TargetJudge(scenario, 0.95))
        ceiling = float(result.ranges.set_index("role").loc["server", "ceiling"])
        probes = _replications_by_staffing(cache, result.seed)
        for not_a_probe in ({"server": ceiling}, result.searched):
            probes.pop(runner.scenario_for(not_a_probe).content_hash(), None)
        used[probe], runs[probe] = max(probes.values()), result.replications_run
    assert used[12] <= 12
    assert used[None] > 12
    assert runs[12] < runs[None]
