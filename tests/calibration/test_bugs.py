"""Calibration bugs from issue #11, each pinned by a test."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from calibration.calibrate import fit_extract
from calibration.types import CalibrationError, CalibrationSettings
from calibration.uncertainty import decompose
from model.scenario import scenario_from_mapping
from tests.calibration.conftest import STEP_DATE, acusim, roundtrip_mapping


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    from calibration.synth import synthesise

    root = tmp_path_factory.mktemp("bugs")
    mapping = roundtrip_mapping()
    mapping["horizon_years"] = 1
    (root / "known.yaml").write_text(yaml.safe_dump(mapping, sort_keys=False))
    synthesise(scenario_from_mapping(mapping, "k"), 1.0, dt.date(2025, 1, 1)).write(root / "x")
    return root


def test_events_with_a_header_and_no_rows_is_one_line(small: Path, tmp_path: Path) -> None:
    events = tmp_path / "stage_events.csv"
    events.write_text((small / "x" / "stage_events.csv").read_text().splitlines()[0] + "\n")
    result = acusim(
        "calibrate", "--referrals", small / "x" / "referrals.csv", "--events", events,
        "-o", tmp_path / "out.yaml",
    )  # fmt: skip
    assert result.returncode != 0
    assert "has a header but no rows" in result.stderr
    assert not (tmp_path / "out.yaml").exists()


def test_unwritable_report_writes_nothing_and_names_the_report(small: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file")
    report = blocker / "report.html"
    result = acusim(
        "calibrate", "--referrals", small / "x" / "referrals.csv",
        "--events", small / "x" / "stage_events.csv", "-o", tmp_path / "out.yaml",
        "--report", report,
    )  # fmt: skip
    assert result.returncode != 0
    assert str(report) in result.stderr and ".report.html." not in result.stderr
    assert not (tmp_path / "out.yaml").exists()


def test_change_point_outside_or_at_the_edge_of_the_window(extract) -> None:
    for date, words in (
        (dt.date(2030, 1, 1), "outside the data window"),
        (extract.window_start + dt.timedelta(days=10), "--min-segment-days"),
        (extract.as_of.date() - dt.timedelta(days=20), "--min-segment-days"),
    ):
        settings = CalibrationSettings(change_points={"complaints": date})
        with pytest.raises(CalibrationError) as info:
            fit_extract(extract, settings)
        assert any(words in line and "complaints" in line for line in info.value.lines)
    # A date well inside is used as given.
    fit = fit_extract(extract, CalibrationSettings(change_points={"complaints": STEP_DATE}))
    assert fit.arrivals["complaints"].change.date == STEP_DATE


def _renamed(extract, old: str, new: str, rows: slice | None = None):
    events = extract.events.copy()
    index = events.index[events["stage"] == old]
    if rows is not None:
        index = index[rows]
    events.loc[index, "stage"] = new
    return dataclasses.replace(extract, events=events)


def test_a_stage_name_typo_is_not_a_new_stage(extract) -> None:
    template = scenario_from_mapping(roundtrip_mapping(), "t")
    typo = _renamed(extract, "investigation", "investigaton")
    with pytest.raises(CalibrationError) as info:
        fit_extract(typo, None, template)
    assert "did you mean 'investigation'" in info.value.lines[0]
    rare = _renamed(extract, "assessment", "asessment", slice(0, 3))
    with pytest.raises(CalibrationError) as info:
        fit_extract(rare)
    assert "did you mean 'assessment'" in info.value.lines[0]
    with pytest.raises(CalibrationError) as info:
        fit_extract(extract, CalibrationSettings(stage_roles={"asessment": "ds"}))
    assert "did you mean 'assessment'" in info.value.lines[0]


def test_input_uncertainty_interval_of_a_wait_is_not_negative() -> None:
    rng = np.random.default_rng(1)
    frames = [
        pd.DataFrame({"wait.mean": rng.exponential(scale, 3), "change": rng.normal(0, 1, 3)})
        for scale in (0.01, 0.02, 5.0, 0.01)
    ]
    table = decompose(frames).set_index("kpi")
    assert table.loc["wait.mean", "ci_low"] >= 0
    assert table.loc["wait.mean", "mean"] - table.loc["wait.mean", "half_width"] < 0
    assert table.loc["change", "ci_low"] < 0 or table.loc["change", "ci_low"] == pytest.approx(
        table.loc["change", "mean"] - table.loc["change", "half_width"]
    )
