"""`acusim synth`, `calibrate`, `validate-fit` and `run --input-uncertainty` as a user runs
them: real subprocesses and files, exit codes, no tracebacks, and no personal data out."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.calibration.conftest import acusim, roundtrip_mapping
from tests.conftest import ROOT

pytestmark = pytest.mark.e2e

SECRET = "Zebedee Quartermaine-Secret"
"""A name planted in a `subject_name` column: it must appear in no output at all."""


@pytest.fixture(scope="module")
def extract_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic extract from a known scenario, with a column of names added."""
    root = tmp_path_factory.mktemp("cli")
    scenario = root / "known.yaml"
    mapping = roundtrip_mapping()
    mapping["horizon_years"] = 3
    scenario.write_text(yaml.safe_dump(mapping, sort_keys=False))
    out = root / "extract"
    result = acusim("synth", scenario, "--years", "3", "--as-of", "2025-01-01", "-o", out)
    assert result.returncode == 0, result.stderr
    assert "referrals" in result.stdout and "open at --as-of" in result.stdout
    for name in ("referrals.csv", "stage_events.csv"):
        frame = pd.read_csv(out / name, dtype=str, keep_default_na=False)
        frame["subject_name"] = [f"{SECRET} {i}" for i in range(len(frame))]
        frame.to_csv(out / name, index=False)
    return out


def test_synth_writes_exactly_the_documented_format(extract_dir: Path) -> None:
    refs = pd.read_csv(extract_dir / "referrals.csv", dtype=str, keep_default_na=False)
    events = pd.read_csv(extract_dir / "stage_events.csv", dtype=str, keep_default_na=False)
    staffing = pd.read_csv(extract_dir / "staffing.csv", dtype=str)
    assert list(refs.columns[:6]) == [
        "referral_id",
        "received_at",
        "source",
        "category",
        "apsp",
        "priority",
    ]
    assert list(events.columns[:6]) == [
        "referral_id",
        "stage",
        "queued_at",
        "started_at",
        "finished_at",
        "outcome",
    ]
    assert list(staffing.columns) == ["role", "from_date", "fte"]
    assert refs["referral_id"].is_unique and set(refs["apsp"]) <= {"true", "false"}
    assert refs["received_at"].str.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$").all()
    unfinished = events["finished_at"] == ""
    assert (events.loc[unfinished, "outcome"] == "").all()
    assert (events.loc[~unfinished, "outcome"] != "").all()


def test_calibrate_validate_fit_and_input_uncertainty_end_to_end(
    extract_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    scenario = out / "calibrated.yaml"
    template = extract_dir.parent / "known.yaml"
    result = acusim(
        "calibrate",
        "--referrals",
        extract_dir / "referrals.csv",
        "--events",
        extract_dir / "stage_events.csv",
        "--staffing",
        extract_dir / "staffing.csv",
        "--as-of",
        "2025-01-01",
        "--template",
        template,
        "-o",
        scenario,
        "--report",
        out / "calibration.html",
        "--bootstrap",
        "3",
        "--workers",
        "1",
    )
    assert result.returncode == 0, result.stderr
    assert "Referral rates per week" in result.stdout and "complaints" in result.stdout
    assert acusim("validate", scenario).returncode == 0
    text = scenario.read_text()
    assert text.startswith("# Calibrated scenario written by `acusim calibrate`")
    assert "rate_per_week:" in text and "# fitted at the window start" in text
    html = (out / "calibration.html").read_text()
    assert "<script>" in html and "Plotly" in html and "<script src=" not in html
    assert "Kaplan-Meier" in html and "Input uncertainty (bootstrap)" in html
    sets = json.loads((out / "calibrated.input-sets.json").read_text())
    assert sets["n"] == 3 and len(sets["sets"]) == 3

    check = acusim(
        "validate-fit",
        scenario,
        "--referrals",
        extract_dir / "referrals.csv",
        "--events",
        extract_dir / "stage_events.csv",
        "--as-of",
        "2025-01-01",
        "-n",
        "3",
        "--workers",
        "1",
        "--report",
        out / "validate-fit.html",
    )
    assert check.returncode == 0, check.stderr
    assert "History vs simulation" in check.stdout and "Durations (Kaplan-Meier)" in check.stdout
    assert "MAE" in check.stdout and "KM distance" in check.stdout
    assert "<script>" in (out / "validate-fit.html").read_text()

    run = acusim(
        "run",
        scenario,
        "--input-uncertainty",
        "3",
        "-n",
        "2",
        "--horizon-years",
        "0.5",
        "--workers",
        "1",
        "--json",
        "--out",
        out / "run",
    )
    assert run.returncode == 0, run.stderr
    payload = json.loads(run.stdout)
    assert payload["sets"] == 3 and payload["replications_per_set"] == 2
    kpi = payload["kpis"]["arrivals_per_year.complaints"]
    assert kpi["ci_low"] < kpi["mean"] < kpi["ci_high"]
    assert 0 <= kpi["share_input"] <= 1
    assert (out / "run" / "input_uncertainty.json").is_file()
    table = acusim(
        "run",
        scenario,
        "--input-uncertainty",
        "2",
        "-n",
        "2",
        "--horizon-years",
        "0.25",
        "--workers",
        "1",
    )
    assert table.returncode == 0 and "KPIs with input uncertainty" in table.stdout

    # Privacy: the planted names appear in no file written and in no output at all.
    outputs = [result.stdout, result.stderr, check.stdout, check.stderr, run.stdout, run.stderr]
    outputs += [p.read_text() for p in out.rglob("*") if p.is_file()]
    for content in outputs:
        assert SECRET not in content and "subject_name" not in content


def test_input_uncertainty_without_parameter_sets_is_a_clear_error(tmp_path: Path) -> None:
    result = acusim("run", ROOT / "scenarios" / "baseline.yaml", "--input-uncertainty", "2")
    assert result.returncode == 2
    assert "baseline.input-sets.json: not found" in result.stderr


def test_bad_input_lists_every_problem_and_writes_nothing(
    extract_dir: Path, tmp_path: Path
) -> None:
    refs = pd.read_csv(extract_dir / "referrals.csv", dtype=str, keep_default_na=False)
    refs.loc[3, "received_at"] = "03/02/2022"
    refs.loc[5, "category"] = "bribery"
    refs.loc[7, "referral_id"] = refs.loc[6, "referral_id"]
    bad = tmp_path / "referrals.csv"
    refs.to_csv(bad, index=False)
    scenario = tmp_path / "calibrated.yaml"
    args = [
        "calibrate",
        "--referrals",
        bad,
        "--events",
        extract_dir / "stage_events.csv",
        "-o",
        scenario,
        "--report",
        tmp_path / "report.html",
    ]
    result = acusim(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert any(
        x.startswith("referrals.csv: row 5, column received_at: not an ISO 8601") for x in lines
    )
    assert any(
        x.startswith("referrals.csv: row 7, column category: unknown category") for x in lines
    )
    assert any(x.startswith("referrals.csv: row 9, column referral_id: duplicate") for x in lines)
    assert not scenario.exists() and not (tmp_path / "report.html").exists()

    stale = tmp_path / "calibrated.input-sets.json"
    stale.write_text("{}")  # parameter sets of an earlier calibration
    skipped = acusim(*args, "--skip-bad-rows")
    assert skipped.returncode == 0, skipped.stderr
    assert "referrals.csv: skipped 3 bad row(s)" in skipped.stderr
    assert "stage_events.csv: skipped" in skipped.stderr  # the events of the skipped rows
    assert "Rows skipped as bad (--skip-bad-rows): referrals.csv 3" in scenario.read_text()
    assert not stale.exists() and "Removed" in skipped.stderr
    assert SECRET not in scenario.read_text() + (tmp_path / "report.html").read_text()


def test_bad_options_are_one_line_errors(extract_dir: Path, tmp_path: Path) -> None:
    result = acusim(
        "calibrate",
        "--referrals",
        extract_dir / "referrals.csv",
        "--events",
        extract_dir / "stage_events.csv",
        "-o",
        tmp_path / "x.yaml",
        "--utilisation",
        "1.5",
        "--change-point",
        "nosuch=2023-01-01",
        "--stage-role",
        "oops",
    )
    assert result.returncode == 2
    assert "--stage-role: expected NAME=VALUE (got 'oops')" in result.stderr
    result = acusim(
        "calibrate",
        "--referrals",
        extract_dir / "referrals.csv",
        "--events",
        extract_dir / "stage_events.csv",
        "-o",
        tmp_path / "x.yaml",
        "--utilisation",
        "1.5",
    )
    assert result.returncode == 2 and result.stderr.startswith("--utilisation: ")
    result = acusim(
        "calibrate",
        "--referrals",
        extract_dir / "referrals.csv",
        "--events",
        extract_dir / "stage_events.csv",
        "-o",
        tmp_path / "x.yaml",
        "--change-point",
        "nosuch=2023-01-01",
    )
    assert result.returncode == 2
    assert "--change-point: no source 'nosuch'" in result.stderr
    assert not (tmp_path / "x.yaml").exists()
