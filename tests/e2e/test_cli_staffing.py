"""`acusim demand` and `acusim staff` as a user runs them: subprocesses, files, exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from model.queueing import mmc_p_wait_within
from tests.conftest import ROOT, SCENARIOS, as_mapping, queue_scenario

pytestmark = pytest.mark.e2e

EXIT_INFEASIBLE = 3


def acusim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "acusim", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def queue_file(tmp_path: Path, servers: float = 3, **extra) -> Path:
    """M/M/c: 4 arrivals a day, 1-day services, a target of 90% started within a day."""
    scenario = queue_scenario(
        servers=servers,
        arrivals_per_day=4,
        horizon_years=1,
        warmup_days=60,
        roles__server__cost_per_fte_per_year_gbp=40_000,
        roles__server__recruitment_lead_time_days=90,
        targets={
            "start_within_a_day": {
                "kind": "share_within",
                "description": "Started within a day",
                "stage": "service",
                "within_days": 1,
                "min_share": 0.9,
            }
        },
        **extra,
    )
    path = tmp_path / "mmc.yaml"
    path.write_text(yaml.safe_dump(as_mapping(scenario), sort_keys=False))
    return path


@pytest.fixture
def mmc_file(tmp_path: Path) -> Path:
    return queue_file(tmp_path)


def erlang_c_servers() -> int:
    return next(c for c in range(5, 20) if mmc_p_wait_within(4, 1, c, 1) >= 0.9)


def test_staff_returns_the_erlang_c_number_of_servers(mmc_file: Path) -> None:
    result = acusim("staff", str(mmc_file), "--workers", "1", "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["feasible"] and document["confirmed"]
    assert document["recommended"] == {"server": erlang_c_servers()}
    assert document["binding_target"] == "start_within_a_day"
    assert document["cost_recommended_gbp"] == 40_000 * erlang_c_servers()
    assert "Traceback" not in result.stderr


def test_staff_by_a_date_prints_the_plan_and_writes_offline_charts(tmp_path: Path) -> None:
    """Enough servers today; demand rises by half from October 2025: recruit by September."""
    rising = queue_file(
        tmp_path,
        servers=6,
        sources__poisson__modifiers=[{"type": "step", "date": "2025-10-01", "factor": 1.5}],
    )
    out = tmp_path / "answer"
    result = acusim("staff", str(rising), "--workers", "2", "--by", "2025-09-01", "--out", str(out))
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())  # tables wrap at 80 columns
    for heading in (
        "Analytic estimate",
        "Recommended staffing",
        "Service targets, today and recommended",
        "Trade-off: each target against server FTE",
        "With today's staffing: when each target first fails",
        "Recruitment to have the staff in post by 2025-09-01",
    ):
        assert heading in text, heading
    assert "brute-force grid" in text and "Binding target" in text
    assert "2025-06-03" in text  # start recruiting 90 days before 1 September
    assert "2025-09-3" in text or "2025-10-0" in text  # fails with today's staff from October
    for name in (
        "recommendation.json",
        "recommendation.csv",
        "targets.csv",
        "tradeoff.csv",
        "recruitment.csv",
        "first_failures.csv",
        "tradeoff.html",
        "staffing.html",
    ):
        assert (out / name).stat().st_size > 0, name
    page = (out / "tradeoff.html").read_text()
    assert "<script src=" not in page  # the plotly library is embedded: works offline
    assert "Plotly.newPlot" in page and len(page) > 1_000_000
    document = json.loads((out / "recommendation.json").read_text())
    assert document["recruitment"][0]["start_recruiting_by"] == "2025-06-03"
    assert document["from_date"] == "2025-09-01"
    tradeoff = pd.read_csv(out / "tradeoff.csv")
    assert set(tradeoff["role"]) == {"server"} and tradeoff["fte"].nunique() >= 3


def test_staff_names_an_unreachable_target_and_exits_non_zero(mmc_file: Path) -> None:
    limit = erlang_c_servers() - 1
    result = acusim("staff", str(mmc_file), "--workers", "1", "--max-fte", str(limit), "-n", "4")
    assert result.returncode == EXIT_INFEASIBLE
    text = " ".join(result.stdout.split())
    assert "Target 'start_within_a_day'" in text
    assert "cannot be met" in text and "best found" in text
    assert "Traceback" not in result.stderr


def test_a_target_above_100_percent_is_a_one_line_error(mmc_file: Path, tmp_path: Path) -> None:
    data = yaml.safe_load(mmc_file.read_text())
    data["targets"]["start_within_a_day"]["min_share"] = 1.2
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    result = acusim("staff", str(bad), "--workers", "1")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "targets.start_within_a_day.min_share" in lines[0] and "1.2" in lines[0]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--roles", "nobody"], "--roles: unknown role 'nobody'"),
        (["--max-fte", "server=lots"], "--max-fte: 'server=lots' is not ROLE=FTE"),
        (["--by", "next spring"], "--by: 'next spring' is not a date"),
        (["--by", "2020-01-01"], "--by: 2020-01-01 is before the scenario's start date"),
        (["--confidence", "1.2"], "--confidence: must be between 0.5 and 1"),
    ],
)
def test_bad_options_are_one_line_errors(mmc_file: Path, options, message) -> None:
    result = acusim("staff", str(mmc_file), "--workers", "1", *options)
    assert result.returncode == 2, result.stdout
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_demand_compares_with_common_random_numbers(tmp_path: Path) -> None:
    out = tmp_path / "demand"
    result = acusim(
        "demand",
        str(SCENARIOS / "baseline.yaml"),
        "--compare",
        str(SCENARIOS / "no_monitoring.yaml"),
        "-n",
        "3",
        "--horizon-years",
        "1",
        "--workers",
        "1",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    text = " ".join(result.stdout.split())  # tables wrap at 80 columns
    for heading in (
        "Staff-hours a year by role",
        "Referrals a year by source",
        "Where each stage sends each source's cases",
        "no_monitoring minus baseline: staff-hours a year",
    ):
        assert heading in text, heading
    assert (
        "baseline needs" in text and "more DC investigator hours a year than no_monitoring" in text
    )
    document = json.loads((out / "demand.json").read_text())
    assert document["replications"] == 3
    assert document["comparisons"][0]["other"] == "no_monitoring"
    assert {"demand.csv", "stage_outcomes.csv", "demand.html"} <= {p.name for p in out.iterdir()}
    assert "<script src=" not in (out / "demand.html").read_text()


def test_demand_json_goes_to_stdout(tmp_path: Path) -> None:
    result = acusim(
        "demand",
        str(SCENARIOS / "no_monitoring.yaml"),
        "-n",
        "2",
        "--horizon-years",
        "0.5",
        "--workers",
        "1",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    rows = {(r["role"], r["source"]): r for r in document["demand"]}
    assert rows[("monitoring_analyst", "ict_monitoring")]["mean"] == 0
    assert document["comparisons"] == []


def test_demand_reports_a_missing_file() -> None:
    result = acusim("demand", "no/such/file.yaml")
    assert result.returncode == 2
    assert "no/such/file.yaml: file not found" in result.stderr


def test_staff_progress_goes_to_stderr_and_json_stays_clean(mmc_file: Path) -> None:
    result = acusim("staff", str(mmc_file), "--workers", "1", "--json")
    assert result.returncode == 0, result.stderr
    json.loads(result.stdout)  # nothing but the document on stdout
    assert "replications so far" in result.stderr  # progress, one line per phase (no tty)


def test_ctrl_c_cancels_cleanly_with_exit_130_and_no_workers_left(tmp_path: Path) -> None:
    """SIGINT while the search runs: one line, exit code 130, no output files, and no worker
    process of the command left behind."""
    import os
    import signal
    import time

    slow = queue_file(tmp_path)
    data = yaml.safe_load(slow.read_text())
    data["horizon_years"] = 5  # long enough to be cancelled mid-search
    slow.write_text(yaml.safe_dump(data, sort_keys=False))
    out_dir = tmp_path / "out"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "acusim",
            "staff",
            str(slow),
            "--workers",
            "2",
            "--out",
            str(out_dir),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    time.sleep(0.5)
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None:
        # Wait for the search to start (its first progress line), then press Ctrl-C.
        line = process.stderr.readline()
        if "replications so far" in line:
            break
    os.kill(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines[-1].startswith("Cancelled:"), stderr
    assert "Traceback" not in stderr
    assert not out_dir.exists()
    time.sleep(0.5)
    try:
        os.killpg(process.pid, 0)  # any process left in the command's group?
        left = True
    except ProcessLookupError:
        left = False
    assert not left, "worker processes survived the cancel"
