"""A fractional FTE is modelled once: the fit converts a part-timer's slower service to
staff-hours at the role's mean rate, so the engine's part-rate server does not slow it twice."""

from __future__ import annotations

import datetime as dt

import pytest

from calibration.calibrate import fit_extract
from calibration.effort import FteHistory, derive_role_effort
from calibration.extract import read_extract
from calibration.synth import synthesise
from calibration.types import CalibrationSettings
from model.scenario import scenario_from_mapping
from tests.calibration.conftest import HOURS_PER_DAY, roundtrip_mapping


def test_budget_counts_people_and_effort_uses_their_mean_rate() -> None:
    history = FteHistory((0.0,), (1.5,))
    effort = derive_role_effort("ds", ["a"], {"a": 1000.0}, history, 6.0, 0.5, 1000.0)
    assert effort.server_days == 2000.0 and effort.fte_days == 1500.0
    assert effort.speed == pytest.approx(0.75)
    assert effort.touch["a"] == pytest.approx(1.0)  # 0.5 x 2000 people's days over 1000
    whole = derive_role_effort("ds", ["a"], {"a": 1000.0}, FteHistory((0.0,), (2.0,)), 6, 0.5, 1e3)
    assert whole.speed == 1.0 and whole.server_days == whole.fte_days


def test_a_part_timer_is_not_slowed_twice(tmp_path) -> None:
    """1.5 FTE near saturation, no delays: the fitted effort is the true one (within 10%)."""
    mean_hours = 1.0 * HOURS_PER_DAY
    m = roundtrip_mapping()
    m["start_date"], m["horizon_years"] = "2024-01-01", 1
    m["roles"]["ds"]["fte"] = 1.5
    m["sources"]["complaints"]["modifiers"] = []
    m["sources"]["complaints"]["rate_per_week"] = 8.7
    m["sources"]["reporting_line"]["rate_per_week"] = 1.0
    m["stages"]["assessment"]["effort_hours"] = {"dist": "exponential", "mean": mean_hours}
    scenario = scenario_from_mapping(m, "part")
    synthesise(scenario, 1.0, dt.date(2025, 1, 1), seed=4).write(tmp_path)
    extract = read_extract(
        tmp_path / "referrals.csv",
        tmp_path / "stage_events.csv",
        tmp_path / "staffing.csv",
        dt.date(2025, 1, 1),
    )
    settings = CalibrationSettings(touch_shares={"assessment": 1.0})
    cal = fit_extract(extract, settings, scenario, light=True)
    from calibration.writer import render_scenario

    fitted = render_scenario(cal)[0].stages["assessment"].effort_hours.mean()
    assert cal.efforts["ds"].speed == pytest.approx(0.75)
    assert fitted == pytest.approx(mean_hours, rel=0.10)
