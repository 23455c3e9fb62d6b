"""The in-memory API (for the app): DataFrames or uploads in, scenario and report out."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest

from calibration import (
    CalibrationError,
    CalibrationSettings,
    ExtractError,
    calibrate_extract,
)
from calibration.synth import SyntheticExtract
from tests.calibration.conftest import AS_OF, roundtrip_scenario


def test_dataframes_in_scenario_yaml_and_report_out(
    synthetic: tuple[Path, SyntheticExtract],
) -> None:
    directory, extract = synthetic
    referrals = extract.referrals.assign(subject_name="Private Person")
    upload = io.BytesIO((directory / "stage_events.csv").read_bytes())
    upload.name = "stage_events.csv"  # as a Streamlit UploadedFile carries it
    result = calibrate_extract(
        referrals,
        upload,
        extract.staffing,
        AS_OF,
        settings=CalibrationSettings(name="from memory"),
        template=roundtrip_scenario(),
        bootstrap=2,
    )
    assert result.scenario.name == "from memory"
    assert set(result.scenario.sources) == {"complaints", "reporting_line"}
    assert result.mapping["start_date"].isoformat() == "2025-01-01"
    assert result.yaml_text.startswith("# Calibrated scenario")
    assert result.report_html.startswith("<!DOCTYPE html>")
    assert len(result.parameter_sets) == 2
    assert "Private Person" not in result.yaml_text + result.report_html
    assert result.calibration.arrivals["complaints"].change is not None


def test_errors_carry_lines() -> None:
    with pytest.raises(ExtractError) as info:
        calibrate_extract(pd.DataFrame({"x": [1]}), b"referral_id\n")
    assert any("column 'received_at' is missing" in line for line in info.value.lines)


def test_a_stage_that_nothing_has_left_needs_a_template(
    synthetic: tuple[Path, SyntheticExtract],
) -> None:
    _, extract = synthetic
    events = extract.events.copy()
    late = events["stage"] == "investigation"
    events.loc[late, ["finished_at", "outcome"]] = ""
    with pytest.raises(CalibrationError) as info:
        calibrate_extract(extract.referrals, events, as_of=AS_OF)
    assert any("stage 'investigation': no visit has finished" in x for x in info.value.lines)
    # With a template that has the stage, its routing fills the gap (and says so).
    result = calibrate_extract(
        extract.referrals, events, as_of=AS_OF, template=roundtrip_scenario()
    )
    routing = result.scenario.stages["investigation"].routing.default
    assert routing == {"misconduct": 0.3, "no_case_to_answer": 0.7}
    assert "from the template: no visit finished here" in result.yaml_text
