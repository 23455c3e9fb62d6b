"""Per-case random numbers drawn in blocks are the numbers drawn all at once (issue 12).

A case's effort, route and delays are defined as entry ``i`` of ``size`` values drawn in one
call on the (stage, group) stream, followed by one value at a time for re-visits. The engine
draws them a block at a time, as cases need them, and drops blocks whose cases are closed;
that only gives the same numbers if drawing n then m values equals drawing n + m at once, for
every distribution a scenario can use. Checked here family by family, with shapes that take
the different sampling branches (gamma shape below and above 1, etc.)."""

from __future__ import annotations

import numpy as np
import pytest

from model.distributions import (
    Empirical,
    Exponential,
    Fixed,
    Gamma,
    LogNormal,
    Triangular,
    Weibull,
)
from model.engine.stages import DRAW_BLOCK, GroupLife, _GroupDraws, _uniform

FAMILIES = {
    "uniform": _uniform,
    "exponential": Exponential(dist="exponential", mean=3.0).sample,
    "gamma shape > 1": Gamma(dist="gamma", mean=3.0, cv=0.6).sample,
    "gamma shape < 1": Gamma(dist="gamma", mean=3.0, cv=2.5).sample,
    "gamma shape 0.01": Gamma(dist="gamma", mean=3.0, cv=10).sample,
    "lognormal": LogNormal(dist="lognormal", mean=90.0, cv=0.8).sample,
    "weibull shape < 1": Weibull(dist="weibull", shape=0.7, scale=30.0).sample,
    "weibull shape > 1": Weibull(dist="weibull", shape=2.5, scale=30.0).sample,
    "triangular": Triangular(dist="triangular", min=1.0, mode=2.0, max=9.0).sample,
    "fixed": Fixed(dist="fixed", value=4.0).sample,
    "empirical": Empirical(dist="empirical", values=[1.0, 7.0, 21.0], weights=[1, 2, 3]).sample,
}


def _rng(seed: int = 7) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))


@pytest.mark.parametrize("family", FAMILIES)
def test_drawing_in_blocks_equals_drawing_at_once(family: str) -> None:
    sampler = FAMILIES[family]
    whole = sampler(_rng(), 3 * DRAW_BLOCK + 17)
    rng = _rng()
    parts = [sampler(rng, n) for n in (DRAW_BLOCK, DRAW_BLOCK, DRAW_BLOCK, 17)]
    np.testing.assert_array_equal(np.concatenate(parts), whole)
    # and the next values (re-visits) continue the same stream
    np.testing.assert_array_equal(sampler(rng, 5), sampler(_rng(), 3 * DRAW_BLOCK + 22)[-5:])


@pytest.mark.parametrize("family", ["uniform", "gamma shape < 1", "empirical"])
def test_group_draws_give_the_defined_numbers_in_any_order(family: str) -> None:
    """Any order of first visits and re-visits gives entry i of the whole draw for case i's
    first visit, and the stream's values after the whole draw, in turn, for re-visits."""
    sampler = FAMILIES[family]
    size = 2 * DRAW_BLOCK + 40
    revisits = (5, size // 2, size - 3)  # steps at which a re-visit comes in
    whole = sampler(_rng(), size + len(revisits))
    life = GroupLife(size)
    table = _GroupDraws(_rng, sampler, size, life)
    order = np.random.default_rng(1).permutation(size).tolist()
    got = {}
    for step, i in enumerate(order):
        got[i] = table.get(i, 0)
        if step in revisits:  # re-visits interleaved with first visits
            got[("tail", step)] = table.get(i, 1)
        life.closed(i)
    assert [got[i] for i in range(size)] == whole[:size].tolist()
    assert [got[("tail", s)] for s in revisits] == whole[size:].tolist()
    assert table.blocks == {}  # every case closed: no block is kept


def test_blocks_are_drawn_as_needed_and_dropped_when_their_cases_close() -> None:
    size = 4 * DRAW_BLOCK
    life = GroupLife(size)
    table = _GroupDraws(_rng, _uniform, size, life)
    assert table.blocks == {}  # nothing drawn up front
    table.get(0, 0)
    assert set(table.blocks) == {0}
    for i in range(DRAW_BLOCK):
        life.closed(i)
    assert table.blocks == {}
    table.get(3 * DRAW_BLOCK, 0)  # blocks 1 and 2 are drawn (the stream is sequential) ...
    assert set(table.blocks) == {1, 2, 3}  # ... and kept for their open cases
