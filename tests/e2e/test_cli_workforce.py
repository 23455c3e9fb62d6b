"""`acusim run` with turnover: the workforce table and the summary block, as a user sees them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import SCENARIOS
from tests.e2e.test_cli import acusim

pytestmark = pytest.mark.e2e


def test_run_with_turnover_prints_and_writes_the_workforce(tmp_path: Path) -> None:
    out = tmp_path / "results"
    result = acusim(
        "run",
        str(SCENARIOS / "baseline_with_turnover.yaml"),
        "-n",
        "3",
        "--workers",
        "1",
        "--horizon-years",
        "1",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert "Workforce" in result.stdout and "vacancy" in result.stdout
    summary = json.loads((out / "summary.json").read_text())
    dc = summary["workforce"]["dc_investigator"]
    assert dc["establishment_at_start"] == 4
    assert dc["fte_in_post_mean"]["n"] == 3 and dc["fte_in_post_mean"]["mean"] <= 4
    assert [y["financial_year"] for y in dc["financial_years"]] == ["2027-28"]


def test_run_without_turnover_has_no_workforce_table() -> None:
    result = acusim(
        "run",
        str(SCENARIOS / "baseline.yaml"),
        "-n",
        "2",
        "--workers",
        "1",
        "--horizon-years",
        "0.5",
    )
    assert result.returncode == 0, result.stderr
    assert "Workforce" not in result.stdout
