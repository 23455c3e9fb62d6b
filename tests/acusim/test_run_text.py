"""The text of `acusim run` in the cases that used to come out garbled or misleading: one
replication (no interval), a role with no staff, a stage no case reached, an overloaded
stage (said in words, not given a wait as if it were settled)."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from acusim.main import app
from model.scenario import Scenario
from tests.conftest import SCENARIOS, as_mapping, queue_scenario


def run_text(*args: str) -> str:
    result = CliRunner().invoke(app, ["run", *args, "--workers", "1"])
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())  # the same words, whatever the table wrapping


def write(scenario: Scenario, path: Path) -> Path:
    path.write_text(yaml.safe_dump(as_mapping(scenario)), encoding="utf-8")
    return path


def test_one_replication_says_so_and_prints_no_empty_interval() -> None:
    text = run_text(str(SCENARIOS / "baseline.yaml"), "-n", "1", "--horizon-years", "1")
    assert "1 replication," in text and "no confidence intervals" in text
    assert "% %" not in text and "%%" not in text and "± %" not in text
    assert " of investigations; " in text and " open at the end." in text
    line = text[text.index("Investigations open beyond") :]
    share = line.split("(report to the PCC): ")[1].split(" of investigations")[0]
    assert share.endswith("%") and "(" not in share  # "2.1%", no interval
    assert "First action on high-priority and APSP referrals" in text
    assert "not confidently" not in text  # one run cannot be confident either way


def test_more_replications_give_intervals_in_brackets() -> None:
    text = run_text(str(SCENARIOS / "baseline.yaml"), "-n", "2", "--horizon-years", "1")
    line = text[text.index("Investigations open beyond") :]
    assert "% (± " in line and "%) of investigations" in line


def test_zero_staff_overloaded_stage_in_words(tmp_path: Path) -> None:
    nobody = queue_scenario(servers=0, arrivals_per_day=1.0, horizon_years=1, warmup_days=0)
    text = run_text(str(write(nobody, tmp_path / "nobody.yaml")), "-n", "2")
    staff = text[text.index("Staff") :]
    assert "-%" not in staff  # utilisation of no one is "-", not "-%"
    assert "OVERLOADED" in text
    assert "Service: Overloaded: the queue grew by about" in text
    assert "still waiting at the end" in text


def test_a_stage_no_case_reached(tmp_path: Path) -> None:
    data = as_mapping(queue_scenario(servers=1, arrivals_per_day=0.5, horizon_years=1))
    data["stages"]["never"] = {
        "title": "Unused",
        "role": "server",
        "effort_hours": {"dist": "fixed", "value": 1},
        "routing": {"default": {"done": 1.0}},
    }
    data["stages"]["service"]["routing"] = {
        "default": {"done": 1.0},
        "rules": [{"when": {"apsp": True}, "routes": {"never": 1.0}}],  # no case is APSP
    }
    path = tmp_path / "never.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    text = run_text(str(path), "-n", "2")
    row = text[text.index("Unused") :]
    assert row.split("│")[1].strip() == "no cases"
