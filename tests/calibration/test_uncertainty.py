"""Input uncertainty: bootstrap parameter sets, the sidecar file, and the variance split."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from calibration.extract import Extract
from calibration.types import Calibration
from calibration.uncertainty import (
    InputUncertaintyError,
    bootstrap_parameter_sets,
    decompose,
    find_parameter_sets,
    input_scenarios,
    parameter_sets_path,
    read_parameter_sets,
    run_input_uncertainty,
    write_parameter_sets,
)
from calibration.writer import render_scenario
from model.scenario import with_overrides


def nested_frames(sd_input: float, sd_process: float, sets: int, reps: int) -> list[pd.DataFrame]:
    rng = np.random.default_rng(0)
    frames = []
    for _ in range(sets):
        level = 10 + sd_input * rng.standard_normal()
        frames.append(pd.DataFrame({"kpi": level + sd_process * rng.standard_normal(reps)}))
    return frames


def test_the_variance_split_recovers_known_components() -> None:
    row = decompose(nested_frames(2.0, 1.0, 300, 4)).iloc[0]
    assert row["sd_input"] == pytest.approx(2.0, rel=0.12)
    assert row["sd_process"] == pytest.approx(1.0, rel=0.06)
    assert row["share_input"] == pytest.approx(0.8, abs=0.05)
    assert row["share_input"] + row["share_process"] == pytest.approx(1.0)
    # The interval covers input uncertainty: far wider than replications alone would say.
    assert row["half_width"] > 5 * row["process_only_half_width"]


def test_no_input_uncertainty_gives_a_share_near_zero() -> None:
    row = decompose(nested_frames(0.0, 1.0, 200, 5)).iloc[0]
    assert row["share_input"] < 0.05
    assert row["half_width"] == pytest.approx(row["process_only_half_width"], rel=0.5)


@pytest.fixture(scope="module")
def sets(extract: Extract, calibration: Calibration):
    return bootstrap_parameter_sets(extract, calibration, 3, seed=5)


def test_bootstrap_sets_vary_the_fitted_values_only(calibration: Calibration, sets) -> None:
    parameter_sets, spread = sets
    assert len(parameter_sets) == 3
    keys = set(parameter_sets[0])
    assert "sources.complaints.rate_per_week" in keys
    assert "stages.assessment.effort_hours" in keys
    assert all(k.startswith(("sources.", "stages.")) for k in keys)
    rates = [s["sources.complaints.rate_per_week"] for s in parameter_sets]
    assert len(set(rates)) == 3  # each resample gives its own estimate
    fitted = calibration.arrivals["complaints"].base_per_week
    assert all(fitted.value / 2 < r < fitted.value * 2 for r in rates)
    paths = {row["path"] for row in spread}
    assert "sources.complaints.rate_per_week" in paths
    # The step's date is part of the structure: the same in every set.
    dates = {s["sources.complaints.modifiers"][0]["date"] for s in parameter_sets}
    assert len(dates) == 1
    scenario = render_scenario(calibration)[0]
    assert len(input_scenarios(scenario, parameter_sets, "test")) == 3


def test_bootstrap_sets_are_reproducible_in_parallel(
    extract: Extract, calibration: Calibration, sets
) -> None:
    again, _ = bootstrap_parameter_sets(extract, calibration, 3, seed=5, workers=2)
    assert again == sets[0]


def test_the_sidecar_file_is_found_beside_the_scenario_or_its_base(
    calibration: Calibration, sets, tmp_path: Path
) -> None:
    scenario, _, text = render_scenario(calibration)
    base = tmp_path / "calibrated.yaml"
    base.write_text(text)
    written = write_parameter_sets(base, scenario, sets[0], seed=5)
    assert written == parameter_sets_path(base) == tmp_path / "calibrated.input-sets.json"
    variant = tmp_path / "variant.yaml"
    variant.write_text("extends: calibrated.yaml\nname: more staff\n")
    assert find_parameter_sets(variant) == written
    assert len(read_parameter_sets(written, 2)) == 2
    with pytest.raises(InputUncertaintyError, match="holds 3 parameter sets but"):
        read_parameter_sets(written, 10)
    (tmp_path / "lonely.yaml").write_text(text)
    with pytest.raises(InputUncertaintyError, match=r"lonely\.input-sets\.json: not found"):
        find_parameter_sets(tmp_path / "lonely.yaml")
    bad = tmp_path / "bad.input-sets.json"
    bad.write_text(json.dumps({"schema": "something else"}))
    with pytest.raises(InputUncertaintyError, match="not an acusim parameter-set file"):
        read_parameter_sets(bad, 1)


def test_running_the_sets_splits_every_kpi(calibration: Calibration, sets) -> None:
    scenario = with_overrides(render_scenario(calibration)[0], {"horizon_years": 0.5})
    result = run_input_uncertainty(scenario, sets[0], replications=2, seed=3)
    table = result.table.set_index("kpi")
    row = table.loc["arrivals_per_year.complaints"]
    assert row["ci_low"] < row["mean"] < row["ci_high"]
    assert 0.0 <= row["share_input"] <= 1.0
    payload = result.as_dict()
    assert payload["sets"] == 3 and payload["replications_per_set"] == 2
    with pytest.raises(InputUncertaintyError, match="at least 2"):
        run_input_uncertainty(scenario, sets[0], replications=1, seed=3)
