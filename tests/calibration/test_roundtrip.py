"""Round trip: synthesise from known parameters, calibrate, recover them within their CIs.

The scenario (tests/calibration/conftest.py) runs four years with a go-live step, an
APSP routing rule and investigations long enough that about half are open at the as-of
date. Calibration runs at 99% confidence, so the many checks together rarely miss by
chance; coverage itself is tested with simulation studies in test_arrivals and
test_durations.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import yaml

from calibration.types import Calibration
from calibration.writer import render_scenario
from model.scenario import load_scenario
from tests.calibration.conftest import HOURS_PER_DAY, STEP_DATE, TRUE


def test_about_half_of_the_investigations_are_open(calibration: Calibration) -> None:
    investigation = calibration.stages["investigation"]
    open_share = investigation.routing.unfinished / investigation.visits
    assert 0.4 < open_share < 0.65


def test_arrival_rates_and_the_change_point_are_recovered(calibration: Calibration) -> None:
    complaints = calibration.arrivals["complaints"]
    assert complaints.base_per_week.contains(TRUE["complaints_rate"])
    change = complaints.change
    assert change is not None and not change.known
    assert change.low_date <= STEP_DATE <= change.high_date
    assert abs((change.date - STEP_DATE).days) <= 28
    assert change.factor.contains(TRUE["step_factor"])
    line = calibration.arrivals["reporting_line"]
    assert line.change is None and not line.structure.trend
    assert line.base_per_week.contains(TRUE["line_rate"])


def test_routing_probabilities_are_recovered(calibration: Calibration) -> None:
    for stage, key in (
        ("assessment", "assessment_routes"),
        ("investigation", "investigation_routes"),
    ):
        routing = calibration.stages[stage].routing
        fitted = dict(zip(routing.default.labels, routing.default.fitted, strict=True))
        for destination, probability in TRUE[key].items():
            assert fitted[destination].contains(probability), (stage, destination)
    rule = calibration.stages["assessment"].routing.apsp_rule
    assert rule is not None and rule.probabilities() == {"investigation": 1.0}


def test_duration_parameters_are_recovered(calibration: Calibration) -> None:
    service = calibration.stages["assessment"].service
    assert service.chosen.mean.contains(TRUE["assessment_service_days"])
    stay = calibration.stages["investigation"].sojourn
    assert stay.censored > 0.4 * stay.n
    assert stay.chosen.mean.contains(TRUE["investigation_mean_days"])
    assert stay.cv == pytest.approx(TRUE["investigation_cv"], rel=0.25)
    if stay.chosen.family == "gamma":
        assert stay.chosen.parameters["cv"].contains(TRUE["investigation_cv"])


def test_closed_cases_alone_would_have_biased_the_investigation_low(
    calibration: Calibration,
) -> None:
    stay = calibration.stages["investigation"].sojourn
    assert stay.closed_mean < stay.chosen.mean.low
    assert stay.closed_mean < 0.8 * TRUE["investigation_mean_days"]


def test_the_mix_and_effort_are_recovered(calibration: Calibration) -> None:
    mix = calibration.mixes["complaints"]
    assert mix.apsp_by_category["sexual_misconduct"].contains(TRUE["apsp_sexual_misconduct"])
    assert mix.apsp_priority == "high"
    # The role had slack, so all of the assessment's service time is work (touch share 1)
    # and the effort is the true one.
    effort = calibration.efforts["ds"]
    assert effort.touch["assessment"] == 1.0
    service = calibration.stages["assessment"].service
    assert service.chosen.mean.scaled(HOURS_PER_DAY).contains(
        TRUE["assessment_service_days"] * HOURS_PER_DAY
    )


def test_the_written_scenario_is_valid_and_every_fitted_value_is_commented(
    calibration: Calibration, tmp_path: Path
) -> None:
    scenario, mapping, text = render_scenario(calibration)
    path = tmp_path / "calibrated.yaml"
    path.write_text(text)
    loaded = load_scenario(path)
    assert loaded.content_hash() == scenario.content_hash()
    assert loaded.start_date.isoformat() == "2025-01-01"
    complaints = loaded.sources["complaints"]
    assert complaints.modifiers[0].type == "step"
    assert loaded.stages["investigation"].external_delays[0].name == "time_in_stage"
    assert "investigation" in {b.stage for b in loaded.initial_backlog}
    # Every numeric value under sources and stages carries a comment with n= and a CI.
    in_fitted = False
    numeric = re.compile(r"^\s*(- )?[a-z_]*:? ?-?[0-9.]+(\s|$)")
    checked = 0
    for line in text.splitlines():
        if re.match(r"^(sources|stages):", line):
            in_fitted = True
        elif re.match(r"^[a-z_]+:", line):
            in_fitted = False
        if in_fitted and numeric.match(line) and "burst_period_days" not in line:
            assert "#" in line, line
            comment = line.split("#", 1)[1]
            assert "n=" in comment and "CI" in comment, line
            checked += 1
    assert checked > 20
    reread = yaml.safe_load(text)
    assert np.isclose(sum(reread["stages"]["assessment"]["routing"]["default"].values()), 1.0)
    assert mapping == reread
