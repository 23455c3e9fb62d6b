"""`acusim` as a user runs it: a real subprocess, real files, exit codes, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ROOT, SCENARIOS

pytestmark = pytest.mark.e2e


def acusim(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "acusim", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_run_prints_a_kpi_table() -> None:
    result = acusim("run", str(SCENARIOS / "baseline.yaml"), "-n", "3", "--workers", "1")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for heading in ("Referrals per year by source", "Stages", "Staff", "Service targets"):
        assert heading in out
    assert "3 replications" in out and "95% CI" in out
    assert "Investigations open beyond 365 days" in out


def test_run_writes_parquet_and_summary(tmp_path: Path) -> None:
    out = tmp_path / "results"
    result = acusim(
        "run",
        str(SCENARIOS / "baseline.yaml"),
        "-n",
        "2",
        "--workers",
        "2",
        "--horizon-years",
        "1",
        "--seed",
        "5",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["schema"] == "acusim.summary/1"
    assert summary["seed"] == 5 and summary["replications"] == 2
    assert summary["scenario"]["horizon_years"] == 1
    assert len(summary["scenario"]["content_hash"]) == 16
    assert summary["package_version"]
    wait = summary["kpis"]["wait_mean_days.assessment"]
    assert set(wait) == {"mean", "ci_low", "ci_high", "half_width", "n"} and wait["n"] == 2
    assert set(summary["targets"]) == {
        "high_priority_assessed_2_days",
        "all_assessed_28_days",
        "investigations_over_12_months",
        "backlog_not_growing",
    }
    weekly = pd.read_parquet(out / "weekly.parquet")
    assert set(weekly["series"]) == {
        "arrivals",
        "backlog_waiting",
        "backlog_in_progress",
        "utilisation",
        "staff_hours",
    }
    assert weekly["week"].max() == 52
    cases = pd.read_parquet(out / "cases.parquet")
    assert {
        "replication",
        "case_id",
        "source",
        "stage",
        "queued_day",
        "allocated_day",
        "left_day",
        "next",
    } <= set(cases.columns)
    kpis = pd.read_parquet(out / "kpis.parquet")
    assert list(kpis["replication"]) == [0, 1]
    assert not list(out.glob(".*"))  # no temporary files left behind


def test_json_output_is_the_summary_and_deterministic() -> None:
    args = (
        "run",
        str(SCENARIOS / "no_monitoring.yaml"),
        "-n",
        "2",
        "--horizon-years",
        "0.5",
        "--json",
    )
    one = acusim(*args, "--workers", "1")
    two = acusim(*args, "--workers", "2")
    assert one.returncode == 0 and two.returncode == 0, one.stderr + two.stderr
    assert json.loads(one.stdout) == json.loads(two.stdout)
    assert json.loads(one.stdout)["kpis"]["arrivals.ict_monitoring"]["mean"] == 0


def test_validate_describes_a_scenario() -> None:
    result = acusim("validate", str(SCENARIOS / "full_mobile_monitoring.yaml"))
    assert result.returncode == 0, result.stderr
    assert "is valid" in result.stdout
    for word in ("ict_monitoring", "investigation", "dc_investigator"):
        assert word in result.stdout


@pytest.mark.parametrize("command", ["validate", "run"])
def test_bad_file_gives_one_line_and_no_traceback(tmp_path: Path, command: str) -> None:
    bad = tmp_path / "bad.yaml"
    base = SCENARIOS / "baseline.yaml"
    bad.write_text(f"extends: {base}\nsources: {{psd_referrals: {{rate_per_week: -1}}}}\n")
    result = acusim(command, str(bad))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    problem = "Input should be greater than or equal to 0 (got -1)"
    assert lines == [f"{bad}: sources.psd_referrals.rate_per_week: {problem}"]


def test_unwritable_output_is_reported_plainly(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = acusim(
        "run",
        str(SCENARIOS / "baseline.yaml"),
        "-n",
        "1",
        "--horizon-years",
        "0.2",
        "--out",
        str(blocker / "x"),
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "cannot write results" in result.stderr


def test_bad_options_are_refused() -> None:
    result = acusim("run", str(SCENARIOS / "baseline.yaml"), "-n", "0")
    assert result.returncode == 2 and "Traceback" not in result.stderr
