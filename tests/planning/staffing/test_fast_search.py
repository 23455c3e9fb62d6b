"""The fast staffing search: the sequential test keeps its error rate, the replication cache
never re-simulates, cancel stops within a batch and leaves no worker processes, and the
progress reports carry a fraction done and a time left."""

from __future__ import annotations

import multiprocessing
import time

import numpy as np
import pytest

from model.replications import process_pool
from planning.staffing.cache import ReplicationCache
from planning.staffing.control import CancelToken, SearchCancelled, WorkPlan
from planning.staffing.recommend import search_staffing
from planning.staffing.runs import CandidateRunner, TargetJudge
from planning.staffing.search import Evaluation, SearchSpace, cheapest_staffing
from planning.staffing.sequential import MET, MISSED, OPEN, SequentialRule, run_looks, verdict
from tests.conftest import queue_scenario


def small_queue(servers: float = 3, horizon_years: float = 0.3):
    return queue_scenario(
        servers=servers,
        arrivals_per_day=4,
        mean_service_days=1,
        horizon_years=horizon_years,
        warmup_days=30,
        roles__server__cost_per_fte_per_year_gbp=40_000,
        targets={
            "start_within_a_day": {
                "kind": "share_within",
                "stage": "service",
                "within_days": 1,
                "min_share": 0.9,
            }
        },
    )


# --------------------------------------------------------------------------- sequential test


def test_looks_double_up_to_the_budget() -> None:
    rule = SequentialRule.doubling(0.95, 6, 100)
    assert rule.looks == (6, 12, 24, 48, 100)
    assert rule.look_confidence == pytest.approx(1 - 0.05 / 5)
    assert SequentialRule.doubling(0.95, 50, 20).looks == (20,)


def test_a_clear_case_is_settled_at_the_first_look() -> None:
    rng = np.random.default_rng(1)
    assert verdict(rng.normal(0.99, 0.005, 6), ">=", 0.9, 0.99) == MET
    assert verdict(rng.normal(0.5, 0.05, 6), ">=", 0.9, 0.99) == MISSED
    assert verdict(rng.normal(0.9, 0.05, 6), ">=", 0.9, 0.99) == OPEN
    assert verdict(rng.normal(0.05, 0.01, 6), "<=", 0.1, 0.99) == MET


def _sequential_says_met(values: np.ndarray, direction: str, threshold: float, rule) -> bool:
    """The sequential test over one stream of replications: met at some look."""
    found, _ = run_looks(lambda n: {"t": values[:n]}, {"t": (direction, threshold)}, rule)
    return found["t"] == MET


@pytest.mark.parametrize("direction", [">=", "<="])
@pytest.mark.parametrize("shape", ["normal", "skewed"])
def test_the_sequential_test_keeps_its_error_rate_at_the_threshold(direction, shape) -> None:
    """Seeded Monte Carlo with known truth: the true mean sits exactly on the threshold (the
    worst case for a wrong "met"); the test may call it met in at most 5% of streams, up to
    Monte Carlo error. Normal values are what the t-bound assumes; the skewed ones (a beta
    distribution, like a share near its ceiling) are where it is only approximate - the
    fixed-n rule at 77 replications calls them met in about 6% of streams."""
    rng = np.random.default_rng(20260130)
    rule = SequentialRule.doubling(0.95, 6, 100)
    threshold, trials = 0.9, 4000
    if shape == "normal":
        values = rng.normal(threshold, 0.05, size=(trials, 100))
    else:
        values = rng.beta(45, 5, size=(trials, 100))  # mean 0.9, long left tail
    met = sum(_sequential_says_met(v, direction, threshold, rule) for v in values)
    rate = met / trials
    assert rate <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / trials), rate


def test_the_sequential_test_settles_far_cases_with_few_replications() -> None:
    rng = np.random.default_rng(3)
    rule = SequentialRule.doubling(0.95, 6, 100)
    far = rng.beta(99, 1, size=(200, 100))  # mean 0.99 against at least 0.9
    used = []
    for v in far:
        for n in rule.looks:
            if verdict(v[:n], ">=", 0.9, rule.look_confidence) != OPEN:
                used.append(n)
                break
    assert np.mean(used) <= 12


# --------------------------------------------------------------------------- the cache


def test_the_cache_never_simulates_a_replication_twice() -> None:
    scenario = small_queue()
    cache = ReplicationCache()
    judge = TargetJudge(scenario, 0.95)
    first = CandidateRunner(scenario, judge, cache=cache)
    a = first.kpis({"server": 6.0}, 1, 5)
    first.kpis({"server": 6.0}, 1, 8)  # extends: 3 more
    assert first.replications_run == 8
    again = first.kpis({"server": 6.0}, 1, 8)
    assert first.replications_run == 8
    assert np.array_equal(a.to_numpy(), again.iloc[:5].to_numpy())
    # A second search (a new runner) on the same scenario reuses all of them.
    second = CandidateRunner(scenario, judge, cache=cache)
    second.kpis({"server": 6.0}, 1, 8)
    assert second.replications_run == 0 and second.replications_reused == 8
    # Another seed, or another staffing, is another world.
    second.kpis({"server": 6.0}, 2, 2)
    second.kpis({"server": 7.0}, 1, 2)
    assert second.replications_run == 4


def test_a_repeated_search_simulates_nothing_and_gives_the_same_answer() -> None:
    scenario = small_queue()
    cache = ReplicationCache()
    first = search_staffing(scenario, cache=cache, max_fte=9)
    again = search_staffing(scenario, cache=cache, max_fte=9)
    assert first.replications_run > 0
    assert again.replications_run == 0
    assert again.replications_reused > 0
    assert again.recommended == first.recommended
    assert again.to_dict()["targets_recommended"] == first.to_dict()["targets_recommended"]


def test_the_cache_is_bounded() -> None:
    cache = ReplicationCache(max_values=10)
    for k in range(10):
        cache.extend((f"h{k}", 0), 0, [np.zeros(2), np.zeros(2)])
    assert len(cache) <= 3
    assert cache.get(("h9", 0))  # the newest is kept
    assert cache.get(("h0", 0)) == []


# --------------------------------------------------------------------------- the search


def test_the_sequential_search_agrees_with_brute_force_on_a_made_up_problem() -> None:
    """The search over an evaluation with a known answer (feasible from 5 servers)."""
    space = SearchSpace(
        ("server",), {"server": 1.0}, {"server": 1.0}, {"server": 12.0}, {"server": 1.0}
    )

    def evaluate(x):
        return Evaluation(dict(x), x["server"] >= 5, max(0.0, 5 - x["server"]))

    assert cheapest_staffing(space, evaluate, {"server": 3.0}).staffing == {"server": 5.0}


def test_the_sequential_search_finds_the_erlang_c_answer_with_fewer_replications() -> None:
    scenario = small_queue(horizon_years=0.5)
    cache = ReplicationCache()
    fast = search_staffing(scenario, cache=cache)
    fixed = search_staffing(scenario, cache=ReplicationCache(), replications=fast.replications)
    assert fast.sequential and not fixed.sequential
    assert fast.feasible and fast.confirmed
    assert abs(fast.recommended["server"] - fixed.recommended["server"]) <= 1
    assert fast.replications_run < fixed.replications_run


# --------------------------------------------------------------------------- progress, cancel


def test_progress_reports_a_fraction_and_a_time_left() -> None:
    seen = []
    search_staffing(small_queue(), cache=ReplicationCache(), progress=seen.append, max_fte=9)
    assert seen
    fractions = [p.fraction for p in seen if p.fraction is not None]
    assert fractions and all(0 <= f <= 1 for f in fractions)
    assert any(p.seconds_left is not None for p in seen)


def test_work_plan_estimates_time_left_from_the_rate() -> None:
    plan = WorkPlan(started=time.perf_counter() - 10)
    plan.done = 50
    plan.revise(100)
    assert plan.fraction() == pytest.approx(0.5)
    assert plan.seconds_left() == pytest.approx(10, rel=0.1)
    plan.revise(10)  # never below what has run
    assert plan.expected == 50


def test_cancel_stops_within_one_batch_and_leaves_no_workers() -> None:
    token = CancelToken()
    batches_after_cancel = []
    # another test in this process (the app's warm pool) may keep workers of its own
    others = set(multiprocessing.active_children())

    def progress(p) -> None:
        if token.cancelled:
            batches_after_cancel.append(p)
        elif p.replications_run > 0:
            token.cancel()

    with pytest.raises(SearchCancelled):
        search_staffing(
            small_queue(), cache=ReplicationCache(), progress=progress, cancel=token, workers=2
        )
    assert batches_after_cancel == []  # the batch after the cancel never started
    deadline = time.time() + 10
    while set(multiprocessing.active_children()) - others and time.time() < deadline:
        time.sleep(0.1)
    assert set(multiprocessing.active_children()) - others == set()


def test_cancel_with_a_shared_pool_leaves_the_pool_usable() -> None:
    token = CancelToken()
    token.cancel()
    with process_pool(2) as pool:
        with pytest.raises(SearchCancelled):
            search_staffing(
                small_queue(), cache=ReplicationCache(), cancel=token, executor=pool, workers=2
            )
        assert pool.submit(abs, -1).result() == 1


def test_a_whole_search_never_simulates_the_same_replication_twice(monkeypatch) -> None:
    """Every (scenario with staffing, seed, replication index) the engine is asked for,
    over a whole search with its confirmation and report, is asked for once."""
    from planning.staffing import runs

    asked: list[tuple[str, int, int]] = []
    real = runs.run_replications

    def counting(scenario, replications, seed, first_replication=0, **kwargs):
        for r in range(first_replication, first_replication + replications):
            asked.append((scenario.content_hash(), seed, r))
        return real(
            scenario,
            replications=replications,
            seed=seed,
            first_replication=first_replication,
            **kwargs,
        )

    monkeypatch.setattr(runs, "run_replications", counting)
    result = search_staffing(small_queue(), cache=ReplicationCache(), max_fte=9)
    assert len(asked) == result.replications_run > 0
    assert len(set(asked)) == len(asked)
