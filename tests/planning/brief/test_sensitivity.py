"""The sensitivity factors become sweep variants that change only what they say."""

from __future__ import annotations

import pytest

from model.scenario import load_scenario, with_overrides
from planning.brief.sensitivity import Factor, level_overrides, load_factors
from tests.conftest import SCENARIOS


def test_every_factor_applies_to_the_baseline_and_validates():
    baseline = load_scenario(SCENARIOS / "baseline.yaml")
    for factor in load_factors():
        for level in (0, 1):
            changes = level_overrides(baseline, factor, level)
            assert changes, factor.name
            with_overrides(baseline, changes, factor.name)  # a valid scenario


def test_a_share_keeps_its_routing_table_summing_to_one():
    baseline = load_scenario(SCENARIOS / "baseline.yaml")
    factor = Factor(
        "fp", ("stages.alert_review.routing.default.false_positive",), None, (0.7, 0.95), True
    )
    table = level_overrides(baseline, factor, 0)["stages.alert_review.routing.default"]
    assert table["false_positive"] == 0.7
    assert sum(table.values()) == pytest.approx(1.0)


def test_a_factor_naming_nothing_is_left_out():
    baseline = load_scenario(SCENARIOS / "baseline.yaml")
    assert (
        level_overrides(
            baseline, Factor("x", ("sources.nothing.rate_per_week",), (0.5, 2.0), None, False), 0
        )
        == {}
    )
