"""Levers: read from any scenario, and turned back into re-validated overrides."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from app.levers import base_values, levers_for, moved, overrides
from model.scenario import load_scenario, with_overrides
from tests.conftest import SCENARIOS, queue_scenario

BASELINE = load_scenario(SCENARIOS / "baseline.yaml")
LEVERS = {lever.id: lever for lever in levers_for(BASELINE)}


def adjusted(values):
    values = {**base_values(list(LEVERS.values())), **values}
    return with_overrides(BASELINE, overrides(list(LEVERS.values()), values), "levers")


def test_baseline_offers_the_issue_levers():
    expected = {
        "sources.ict_monitoring.devices_covered",
        "sources.ict_monitoring.alerts_per_device_per_week",
        "sources.ict_monitoring.enabled",
        "stages.alert_review.routing.default.false_positive",
        "sources.confidential_reporting.modifiers.0.to_factor",
        "sources.psd_referrals.rate_per_week",
        "roles.dc_investigator.fte",
        "roles.ds.abstraction_rate",
        "horizon_years",
        "replications",
        "seed",
    }
    assert expected <= set(LEVERS)
    assert {lever.group for lever in LEVERS.values()} == {
        "monitoring",
        "reporting",
        "sources",
        "staff",
        "run",
    }


def test_untouched_levers_change_nothing():
    values = base_values(list(LEVERS.values()))
    assert overrides(list(LEVERS.values()), values) == {}
    assert moved(list(LEVERS.values()), values) == []
    assert adjusted({}).content_hash() == BASELINE.content_hash()


def test_each_lever_reaches_its_field():
    s = adjusted(
        {
            "sources.ict_monitoring.devices_covered": 2300.0,
            "sources.ict_monitoring.alerts_per_device_per_week": 0.02,
            "sources.ict_desktop_monitoring.enabled": False,
            "sources.psd_referrals.rate_per_week": 2.5,
            "roles.ds.fte": 3.0,
            "roles.ds.abstraction_rate": 25.0,
            "horizon_years": 1.5,
            "replications": 7,
            "seed": 42,
        }
    )
    assert s.sources["ict_monitoring"].devices_covered == 2300
    assert s.sources["ict_monitoring"].alerts_per_device_per_week == 0.02
    assert s.sources["ict_desktop_monitoring"].enabled is False
    assert s.sources["psd_referrals"].rate_per_week == 2.5
    assert s.roles["ds"].fte == 3 and s.roles["ds"].abstraction_rate == 0.25
    assert (s.horizon_years, s.replications, s.seed) == (1.5, 7, 42)
    # Everything else is as the file says.
    assert s.roles["di"] == BASELINE.roles["di"]
    assert s.stages == BASELINE.stages


def test_growth_changes_only_the_logistic_target():
    s = adjusted({"sources.confidential_reporting.modifiers.0.to_factor": 3.0})
    new, old = (
        s.sources["confidential_reporting"].modifiers[0],
        BASELINE.sources["confidential_reporting"].modifiers[0],
    )
    assert new.to_factor == 3.0
    assert (new.midpoint, new.growth_per_year, new.from_factor) == (
        old.midpoint,
        old.growth_per_year,
        old.from_factor,
    )


def test_false_positive_share_keeps_rules_and_other_routes_in_proportion():
    s = adjusted({"stages.alert_review.routing.default.false_positive": 70.0})
    routing = s.stages["alert_review"].routing
    assert routing.default == {"false_positive": 0.7, "assessment": 0.3}
    assert routing.rules == BASELINE.stages["alert_review"].routing.rules


@settings(max_examples=40, deadline=None)
@given(st.floats(min_value=0, max_value=100, allow_nan=False))
def test_any_false_positive_share_gives_a_valid_routing_table(percent):
    s = adjusted({"stages.alert_review.routing.default.false_positive": percent})
    routes = s.stages["alert_review"].routing.default
    assert abs(sum(routes.values()) - 1) < 1e-6
    assert abs(routes["false_positive"] - percent / 100) < 1e-5


def test_levers_follow_the_scenario_loaded():
    """An uploaded scenario with other names gets its own levers (no monitoring here)."""
    levers = {lever.id for lever in levers_for(queue_scenario())}
    assert "roles.server.fte" in levers and "sources.poisson.rate_per_week" in levers
    assert not any(lever.startswith("sources.poisson.devices") for lever in levers)
    assert not any(".routing." in lever for lever in levers)


def test_moved_lists_changed_levers_with_values():
    values = {**base_values(list(LEVERS.values())), "roles.ds.fte": 4.0}
    changes = moved(list(LEVERS.values()), values)
    assert [(lever.id, value) for lever, value in changes] == [("roles.ds.fte", 4.0)]
