"""A small scenario with known parameters, its synthetic extract and its calibration.

Several years, a go-live step in one source, an APSP routing rule, a staffed stage with
a known service time and an investigation stage long enough that about half of the
investigations are still open at the as-of date: everything the round trip must recover.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from calibration.calibrate import fit_extract
from calibration.extract import Extract, read_extract
from calibration.synth import SyntheticExtract, synthesise
from calibration.types import Calibration, CalibrationSettings
from model.scenario import Scenario, scenario_from_mapping
from tests.conftest import ROOT

AS_OF = dt.date(2025, 1, 1)
YEARS = 4.0
STEP_DATE = dt.date(2023, 1, 1)
TRUE = {
    "complaints_rate": 3.0,
    "step_factor": 2.0,
    "line_rate": 1.5,
    "assessment_routes": {"no_further_action": 0.6, "investigation": 0.4},
    "investigation_routes": {"misconduct": 0.3, "no_case_to_answer": 0.7},
    "assessment_service_days": 1.0,
    "investigation_mean_days": 700.0,
    "investigation_cv": 0.7,
    "apsp_sexual_misconduct": 0.3,
}
HOURS_PER_DAY = 40 * (1 - 0.3) * 0.85 / 7  # the ds role's casework hours per calendar day


def roundtrip_mapping() -> dict[str, Any]:
    mix = {
        "category": {"abuse_of_authority": 0.5, "sexual_misconduct": 0.3, "other": 0.2},
        "apsp_probability": 0.0,
        "apsp_probability_by_category": {"sexual_misconduct": TRUE["apsp_sexual_misconduct"]},
        "priority": {"high": 0.2, "medium": 0.5, "low": 0.3},
        "apsp_priority": "high",
    }
    return {
        "name": "roundtrip",
        "start_date": "2021-01-01",
        "horizon_years": YEARS,
        "seed": 7,
        "replications": 4,
        "roles": {
            "ds": {
                "title": "Detective Sergeant",
                "fte": 3,
                "contracted_hours_per_week": 40,
                "abstraction_rate": 0.3,
                "casework_share": 0.85,
            }
        },
        "sources": {
            "complaints": {
                "title": "Complaints",
                "kind": "rate",
                "rate_per_week": TRUE["complaints_rate"],
                "entry_stage": "assessment",
                "modifiers": [
                    {"type": "step", "date": STEP_DATE.isoformat(), "factor": TRUE["step_factor"]}
                ],
                "mix": mix,
            },
            "reporting_line": {
                "title": "Reporting line",
                "kind": "rate",
                "rate_per_week": TRUE["line_rate"],
                "entry_stage": "assessment",
                "mix": {
                    "category": {"inappropriate_association": 0.6, "other": 0.4},
                    "apsp_probability": 0.0,
                    "priority": {"medium": 0.7, "low": 0.3},
                },
            },
        },
        "stages": {
            "assessment": {
                "title": "Assessment",
                "role": "ds",
                "effort_hours": {
                    "dist": "exponential",
                    "mean": TRUE["assessment_service_days"] * HOURS_PER_DAY,
                },
                "routing": {
                    "default": TRUE["assessment_routes"],
                    "rules": [{"when": {"apsp": True}, "routes": {"investigation": 1.0}}],
                },
            },
            "investigation": {
                "title": "Investigation",
                "external_delays": [
                    {
                        "name": "inquiry",
                        "duration_days": {
                            "dist": "gamma",
                            "mean": TRUE["investigation_mean_days"],
                            "cv": TRUE["investigation_cv"],
                        },
                    }
                ],
                "routing": {"default": TRUE["investigation_routes"]},
            },
        },
        "outcomes": ["no_further_action", "misconduct", "no_case_to_answer"],
    }


def roundtrip_scenario() -> Scenario:
    return scenario_from_mapping(roundtrip_mapping(), "roundtrip")


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SyntheticExtract]:
    directory = tmp_path_factory.mktemp("extract")
    extract = synthesise(roundtrip_scenario(), YEARS, AS_OF)
    extract.write(directory)
    return directory, extract


@pytest.fixture(scope="session")
def extract(synthetic: tuple[Path, SyntheticExtract]) -> Extract:
    directory, _ = synthetic
    return read_extract(
        directory / "referrals.csv",
        directory / "stage_events.csv",
        directory / "staffing.csv",
        AS_OF.isoformat(),
    )


@pytest.fixture(scope="session")
def calibration(extract: Extract) -> Calibration:
    """Calibrated at 99% so the many round-trip checks together rarely miss by chance."""
    return fit_extract(extract, CalibrationSettings(confidence=0.99), roundtrip_scenario())


def acusim(*args: str | Path) -> subprocess.CompletedProcess:
    """The CLI as a user runs it, from the repository root; it must never show a traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "acusim", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result
