"""The assumptions register reads each value's basis from the comment beside it."""

from __future__ import annotations

from planning.brief.assumptions import (
    ASSUMED,
    CALIBRATED,
    NOT_STATED,
    PUBLISHED,
    changed,
    classify,
    register,
)
from tests.conftest import SCENARIOS, TEST_SCENARIOS


def test_comments_say_the_kind_of_basis():
    assert classify("assumption: not published")[0] == ASSUMED
    assert classify("Police Regulations")[0] == PUBLISHED
    assert classify(None)[0] == NOT_STATED
    kind, interval, n = classify("fitted 0.85 (95% CI 0.8 to 0.9); n=40 weeks; method")
    assert (kind, interval, n) == (CALIBRATED, ("0.8", "0.9"), 40)


def test_values_take_their_own_or_an_enclosing_comment():
    entries = {e.path: e for e in register(TEST_SCENARIOS / "brief_tiny.yaml")}
    assert entries["roles.analyst.contracted_hours_per_week"].kind == PUBLISHED
    assert entries["roles.analyst.casework_share"].kind == CALIBRATED
    assert entries["sources.ict_monitoring.mix.category"].value.startswith("misuse_of_force")
    assert entries["sources.ict_monitoring.mix.category"].kind == ASSUMED
    assert "seed" not in entries and "horizon_years" not in entries


def test_an_option_inherits_comments_and_lists_what_it_changes():
    base = register(TEST_SCENARIOS / "brief_tiny.yaml")
    option = register(TEST_SCENARIOS / "brief_tiny_more_devices.yaml")
    diff = changed(base, option)
    assert [e.path for e in diff] == ["sources.ict_monitoring.devices_covered"]
    assert diff[0].value == "200" and diff[0].note.startswith("assumption")


def test_the_baseline_states_a_basis_for_its_inputs():
    entries = register(SCENARIOS / "baseline.yaml")
    assert len(entries) > 50
    assert {e.kind for e in entries} <= {PUBLISHED, ASSUMED, CALIBRATED, NOT_STATED}
    assert sum(e.kind == NOT_STATED for e in entries) == 0
