"""Effort per period: a go-live that changes the work is matched per period, not averaged.

The round trip: `acusim synth` from tests/scenarios/effort_change.yaml (assessment effort
3.4 h, 5.44 h from a go-live on 2023-07-01, a DS uplift on 2024-03-01 that changes no
work) -> extract -> calibrate: each period's effort within 10%, one change near the
go-live, none at the uplift; with a flat effort the fit invents no change."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from calibration.backtest import run_backtest
from calibration.calibrate import fit_extract
from calibration.effort_periods import candidate_spans, period_weeks, stage_periods
from calibration.extract import read_extract
from calibration.pipeline import calibrate_extract
from calibration.synth import synthesise
from calibration.types import CalibrationSettings
from model.scenario import Scenario, load_scenario, scenario_from_mapping
from tests.conftest import TEST_SCENARIOS, as_mapping

SCENARIO = TEST_SCENARIOS / "effort_change.yaml"
AS_OF = dt.date(2025, 1, 1)
GO_LIVE = dt.date(2023, 7, 1)
BEFORE, AFTER = 3.4, 5.44  # true mean effort (hours) before and after the go-live


def _files(directory: Path) -> dict[str, Path]:
    return {
        "referrals": directory / "referrals.csv",
        "events": directory / "stage_events.csv",
        "staffing": directory / "staffing.csv",
    }


def _round_trip(truth: Scenario, directory: Path):
    """``truth`` simulated into an extract (3 years to AS_OF) and calibrated back on itself."""
    synthesise(truth, 3.0, AS_OF).write(directory)
    f = _files(directory)
    return calibrate_extract(
        f["referrals"], f["events"], f["staffing"], AS_OF, template=truth, with_report=False
    )


@pytest.fixture(scope="module")
def extract_dir(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("effort_change")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "acusim",
            "synth",
            str(SCENARIO),
            "--years",
            "3",
            "--as-of",
            AS_OF.isoformat(),
            "-o",
            str(directory),
        ],
        check=True,
        capture_output=True,
    )
    return directory


@pytest.fixture(scope="module")
def fitted(extract_dir):
    f = _files(extract_dir)
    return calibrate_extract(
        f["referrals"],
        f["events"],
        f["staffing"],
        AS_OF,
        template=load_scenario(SCENARIO),
        with_report=True,
    )


def test_each_period_effort_is_recovered_within_ten_percent(fitted) -> None:
    stage = fitted.scenario.stages["assessment"]
    assert stage.effort_hours.mean() == pytest.approx(BEFORE, rel=0.10)
    assert len(stage.effort_changes) == 1  # the go-live; not the uplift, which changed no work
    change = stage.effort_changes[0]
    assert abs((change.date - GO_LIVE).days) <= 6 * 7
    assert change.effort_hours.mean() == pytest.approx(AFTER, rel=0.10)
    # the report shows the effort per period
    assert "Effort per period" in fitted.report_html
    assert "its own effort from this date" in fitted.report_html


def test_the_fitted_schedule_is_a_valid_file_with_its_basis(fitted) -> None:
    text = fitted.yaml_text
    assert "effort_changes:" in text and "period from" in text
    assert "effort_changes" in fitted.mapping["stages"]["assessment"]


def test_a_flat_effort_gets_no_invented_change(tmp_path) -> None:
    data = as_mapping(load_scenario(SCENARIO))
    data["stages"]["assessment"]["effort_changes"] = []
    result = _round_trip(scenario_from_mapping(data, "flat"), tmp_path)
    stage = result.scenario.stages["assessment"]
    assert stage.effort_changes == []
    assert stage.effort_hours.mean() == pytest.approx(BEFORE, rel=0.10)
    fit = result.calibration.stages["assessment"]
    assert fit.periods == [] and len(fit.period_candidates) >= 2  # looked, found nothing


def test_the_round_trip_conftest_extract_keeps_one_effort(calibration) -> None:
    """tests/calibration/conftest.py: a go-live with a flat effort."""
    assert calibration.stages["assessment"].periods == []


def test_a_bootstrap_refit_keeps_the_periods(extract_dir, fitted) -> None:
    f = _files(extract_dir)
    extract = read_extract(f["referrals"], f["events"], f["staffing"], AS_OF)
    cal = fitted.calibration
    refit = fit_extract(extract, cal.settings, cal.template, structure=cal.structure, light=True)
    kept = [p.start_day for p in cal.stages["assessment"].periods]
    assert [p.start_day for p in refit.stages["assessment"].periods] == kept


def test_the_backtest_runs_with_the_effort_schedule(extract_dir) -> None:
    f = _files(extract_dir)
    extract = read_extract(f["referrals"], f["events"], f["staffing"], AS_OF)
    bt = run_backtest(
        extract, dt.date(2024, 7, 1), template=load_scenario(SCENARIO), replications=3, seed=2
    )
    stage = bt.scenario.stages["assessment"]
    assert len(stage.effort_changes) == 1
    # the forecast starts after the change: the later effort is the one in force
    assert stage.at(bt.scenario.start_date).effort_hours.mean() == pytest.approx(AFTER, rel=0.10)
    assert bt.coverage


def test_a_period_at_capacity_still_warns_per_role(tmp_path) -> None:
    """3 days of work per case after the go-live: beyond 2 DS, and beyond 3 after the uplift."""
    data = as_mapping(load_scenario(SCENARIO))
    data["stages"]["assessment"]["effort_changes"][0]["effort_hours"]["mean"] = 3.0 * BEFORE
    result = _round_trip(scenario_from_mapping(data, "busy"), tmp_path)
    stage = result.scenario.stages["assessment"]
    assert stage.effort_changes  # the change is found
    assert stage.effort_changes[0].effort_hours.mean() == pytest.approx(3.0 * BEFORE, rel=0.10)
    lines = [w for w in result.calibration.warnings if w.startswith("role 'ds'")]
    assert len(lines) == 1 and "utilisation 100%" in lines[0]


# ---------------------------------------------------------------- the period test itself


def _rows(means: tuple[float, float], change: float, n_per_day: float = 2.0, seed: int = 1):
    """Visits started uniformly over 700 days, service exponential with ``means[0]`` before
    day ``change`` and ``means[1]`` from it; all finished."""
    rng = np.random.default_rng(seed)
    started = np.sort(rng.uniform(0, 700.0, int(n_per_day * 700)))
    service = rng.exponential(np.where(started < change, means[0], means[1]))
    return pd.DataFrame(
        {
            "started": started,
            "finished": started + service,
            "started_exact": True,
            "finished_exact": True,
        }
    )


def _periods(rows, spans, window, movable=frozenset()):
    return stage_periods(
        "a",
        rows,
        spans,
        dt.date(2024, 1, 1),
        window,
        "exponential",
        None,
        0.95,
        0.05,
        None,
        movable,
    )


def test_a_material_change_is_kept_and_a_small_one_is_not() -> None:
    spans = [(0.0, 350.0), (350.0, 700.0)]
    periods, _ = _periods(_rows((1.0, 1.6), 350.0), spans, 800)
    assert [p.start_day for p in periods] == [0.0, 350.0]
    assert periods[1].service.mean_days / periods[0].service.mean_days == pytest.approx(1.6, 0.1)
    # 5% with thousands of visits: statistically clear, but below MATERIAL_CHANGE
    rows = _rows((1.0, 1.05), 350.0, n_per_day=40)
    assert _periods(rows, spans, 800)[0] == []


def test_few_visits_rarely_make_a_change_out_of_chance() -> None:
    """35 visits a period: a true 20% change is rarely provable, and a flat effort almost
    never passes the test (its level is 5%, two-sided)."""
    spans = [(0.0, 350.0), (350.0, 700.0)]
    kept_small = [
        bool(_periods(_rows((1.0, 1.2), 350.0, 0.1, s), spans, 800)[0]) for s in range(20)
    ]
    kept_flat = [bool(_periods(_rows((1.0, 1.0), 350.0, 0.1, s), spans, 800)[0]) for s in range(20)]
    assert sum(kept_small) <= 6 and sum(kept_flat) <= 3


def test_a_found_boundary_moves_to_where_the_service_time_changed() -> None:
    rows = _rows((1.0, 2.0), 280.0, n_per_day=4)
    periods, _ = _periods(rows, [(0.0, 350.0), (350.0, 700.0)], 800, frozenset({350.0}))
    assert periods[1].start_day == pytest.approx(280.0)
    fixed, _ = _periods(rows, [(0.0, 350.0), (350.0, 700.0)], 800)
    assert fixed[1].start_day == 350.0  # a staffing change's date is exact: it stays


def test_period_weeks_merge_short_periods() -> None:
    assert period_weeks([70.0, 84.0], 52) == [(0, 12), (12, 52)]  # 2 weeks: joins the one before
    assert period_weeks([7.0], 52) == [(0, 52)]
    assert period_weeks([], 52) == [(0, 52)]
    assert candidate_spans([140.0], 367.5)[-1] == (140.0, 367.5)


def test_settings_alpha_is_used_for_the_test() -> None:
    assert CalibrationSettings().alpha == 0.05


def test_the_role_warning_comes_in_english_and_welsh() -> None:
    from calibration.history_match import RoleMatch, warnings

    period = {
        "from": dt.date(2024, 3, 3),
        "to": dt.date(2024, 12, 29),
        "observed": 20.0,
        "simulated": 30.0,
        "utilisation": 1.0,
    }
    match = RoleMatch("ds", ["assessment"], {"assessment": 1.0}, 1.0, 20.0, 30.0, "high")
    match.periods = [period]
    (en,) = warnings([match])
    assert en.startswith("role 'ds': utilisation 100% from 2024-03-03 to 2024-12-29")
    assert "misses the observed one" in en and "too short" in en
    cy = en.render("cy")
    assert "rôl 'ds'" in cy and "100%" in cy and "ailchwarae" in cy


def test_the_report_shows_the_replay_per_role_and_period(fitted) -> None:
    assert fitted.calibration.role_checks
    assert "open caseload, replay" in fitted.report_html


def test_a_matched_period_factor_is_written_as_changes_and_back(fitted) -> None:
    """The writer's schedule: a role's period factor (history matching per period) becomes an
    effort change at the period's start and a change back at its end."""
    import copy
    import dataclasses

    from calibration.effort_periods import effort_segments
    from calibration.writer import render_scenario

    cal = copy.copy(fitted.calibration)
    fit = cal.stages["assessment"]
    effort = cal.efforts["ds"]
    start, end = fit.periods[1].start_day + 70.0, fit.periods[1].start_day + 140.0
    segs = effort_segments(
        fit.periods, [(start, end, 0.5)], fit.service, 1.0, cal.window_start, cal.window_days
    )
    assert [s.factor for s in segs] == [1.0, 1.0, 0.5, 1.0]
    assert segs[1].service is segs[2].service is segs[3].service is fit.periods[1].service
    cal.efforts = {
        **cal.efforts,
        "ds": dataclasses.replace(effort, period_factors=[(start, end, 0.5)]),
    }
    stage = render_scenario(cal)[0].stages["assessment"]
    changes = stage.effort_changes
    assert len(changes) == 3
    k = effort.touch["assessment"]
    halved = changes[1].effort_hours.mean() / changes[0].effort_hours.mean()
    assert halved == pytest.approx(min(1.0, 0.5 * k) / k, rel=1e-4)  # 6 significant digits
    # the rest of the service time becomes waiting on others in the halved period only
    assert changes[1].external_delays and not changes[2].external_delays
    assert changes[2].effort_hours.mean() == pytest.approx(changes[0].effort_hours.mean())


def test_bootstrap_sets_carry_each_period_effort(extract_dir) -> None:
    f = _files(extract_dir)
    result = calibrate_extract(
        f["referrals"],
        f["events"],
        f["staffing"],
        AS_OF,
        template=load_scenario(SCENARIO),
        with_report=False,
        bootstrap=2,
    )
    main = result.scenario.stages["assessment"].effort_changes
    for values in result.parameter_sets:
        changes = values["stages.assessment.effort_changes"]
        assert [c["date"] for c in changes] == [c.date.isoformat() for c in main]
        assert changes[0]["effort_hours"]["mean"] == pytest.approx(AFTER, rel=0.25)


def test_a_touch_share_change_is_matched_per_period(tmp_path) -> None:
    """The same 2 days in service throughout, but from the uplift 1.8 days of it are work
    (was 1): only the queues show it. Per-period history matching recovers both periods'
    effort within 10%, and the role's one factor is matched again without that period."""
    data = as_mapping(load_scenario(SCENARIO))
    data["sources"]["complaints"].update(modifiers=[], rate_per_week=10.0)
    data["sources"]["reporting_line"]["rate_per_week"] = 1.0
    rest = {
        "name": "other_elapsed_time",
        "duration_days": {"dist": "gamma", "mean": 1.0, "cv": 0.8},
    }
    stage = data["stages"]["assessment"]
    stage["external_delays"] = [rest]
    stage["effort_changes"] = [
        {
            "date": "2024-03-01",
            "effort_hours": {"dist": "gamma", "mean": 1.8 * BEFORE, "cv": 0.8},
            "external_delays": [{**rest, "duration_days": {**rest["duration_days"], "mean": 0.2}}],
        }
    ]
    result = _round_trip(scenario_from_mapping(data, "touch"), tmp_path)
    fitted = result.scenario.stages["assessment"]
    assert fitted.effort_hours.mean() == pytest.approx(BEFORE, rel=0.10)
    (change,) = fitted.effort_changes
    assert abs((change.date - dt.date(2024, 3, 1)).days) <= 7
    assert change.effort_hours.mean() == pytest.approx(1.8 * BEFORE, rel=0.10)
    (check,) = result.calibration.role_checks
    assert check.period_factors and not [w for w in result.calibration.warnings if "ds" in w]
