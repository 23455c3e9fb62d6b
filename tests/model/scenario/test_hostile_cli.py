"""A sample of the hostile corpus through ``acusim validate`` in a subprocess: exit 2, one
line on stderr, no traceback, within a memory cap and a timeout (so a regression fails the
suite instead of hanging it or eating the machine's memory)."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

from tests.model.scenario.test_hostile_files import corpus_file

pytestmark = pytest.mark.e2e

MEMORY_CAP = 1_024 * 1024 * 1024
"""Address space (not resident memory): the interpreter with numpy, pandas and scipy reserves
several hundred MB of it; a billion-laughs expansion would need many GB."""
TIMEOUT = 120  # seconds; each case takes a few (mostly interpreter start-up)

SAMPLE = [
    "billion laughs (mappings)",
    "20,000-deep nesting",
    "5,000-digit integer",
    "extends /dev/zero",
    "Weibull shape 0.001",
    "loop exiting with probability 1e-6",
]


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def _validate(path: Path) -> subprocess.CompletedProcess[str]:
    code = "import sys; from acusim.main import app; sys.argv = ['acusim', *sys.argv[1:]]; app()"
    return subprocess.run(
        [sys.executable, "-c", code, "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        preexec_fn=_limit_memory,
        check=False,
    )


def test_the_sample_covers_the_corpus() -> None:
    from tests.model.scenario.test_hostile_files import CORPUS

    assert set(SAMPLE) <= set(CORPUS)


@pytest.mark.parametrize("name", SAMPLE)
def test_acusim_validate_refuses_with_one_line(tmp_path: Path, name: str) -> None:
    result = _validate(corpus_file(tmp_path, name))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr


def test_a_run_too_large_is_refused_by_acusim_run(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    base = Path(__file__).resolve().parents[3] / "scenarios" / "baseline.yaml"
    path.write_text(
        f"extends: {base}\nhorizon_years: 30\n"
        "sources: {psd_referrals: {rate_per_week: 20000}}\n"
    )
    result = _validate(path)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "limits.max_cases_per_replication" in line
