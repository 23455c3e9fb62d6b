"""Seeds, parallel execution and confidence intervals."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from model.engine.streams import Streams
from model.engine.unit import run_replication
from model.replications import chunks, estimate, one_sided_bound, run_replications
from model.results import summary_json


def test_same_seed_same_results_in_one_or_two_processes(baseline) -> None:
    one = run_replications(baseline, replications=4, workers=1)
    two = run_replications(baseline, replications=4, workers=2)
    pd.testing.assert_frame_equal(one.kpi_frame(), two.kpi_frame())
    assert summary_json(one) == summary_json(two)


def test_a_replication_does_not_depend_on_which_others_run(baseline) -> None:
    batch = run_replications(baseline, replications=3, first_replication=5)
    alone = run_replication(baseline, baseline.seed, 6)
    assert batch.replications[1].kpis == alone.kpis


def test_different_seeds_differ(baseline) -> None:
    a = run_replication(baseline, 1, 0).kpis
    b = run_replication(baseline, 2, 0).kpis
    assert a["referrals_total"] != b["referrals_total"]


def test_streams_are_named_not_ordered() -> None:
    s = Streams(42, 3)
    x = s.generator("arrivals:a").random(3)
    s.generator("something else").random(10)
    assert np.array_equal(Streams(42, 3).generator("arrivals:a").random(3), x)
    assert not np.array_equal(Streams(42, 4).generator("arrivals:a").random(3), x)
    assert not np.array_equal(s.generator("arrivals:b").random(3), x)


@given(st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=40))
@settings(max_examples=200, deadline=None)
def test_confidence_interval_matches_scipy(values) -> None:
    e = estimate(values)
    assert e.n == len(values)
    if np.std(values) > 0:
        low, high = stats.t.interval(0.95, len(values) - 1, np.mean(values), stats.sem(values))
        assert e.ci_low == pytest.approx(low, rel=1e-6, abs=1e-6)
        assert e.ci_high == pytest.approx(high, rel=1e-6, abs=1e-6)


def test_estimates_skip_nan_and_say_how_many() -> None:
    e = estimate([1.0, math.nan, 3.0])
    assert e.n == 2 and e.mean == 2.0
    assert estimate([5.0]).n == 1 and math.isnan(estimate([5.0]).half_width)
    assert estimate([]).n == 0
    assert one_sided_bound([0.9, 1.0, 0.95], ">=") < 0.95 < one_sided_bound([0.9, 1.0, 0.95], "<=")


@given(st.integers(1, 200), st.integers(1, 50))
def test_chunks_cover_every_replication_once(n, k) -> None:
    parts = chunks(list(range(n)), k)
    assert [i for part in parts for i in part] == list(range(n))
    assert all(parts)


def test_a_reused_process_pool_gives_the_same_results(baseline) -> None:
    from model.replications import process_pool

    serial = run_replications(baseline, replications=3, workers=1)
    with process_pool(2) as pool:
        first = run_replications(baseline, replications=3, executor=pool)
        again = run_replications(baseline, replications=3, executor=pool)
    pd.testing.assert_frame_equal(serial.kpi_frame(), first.kpi_frame())
    pd.testing.assert_frame_equal(first.kpi_frame(), again.kpi_frame())
