"""Start-up stays light: the CLI loads scipy, pandas, pyarrow, duckdb, plotly and dask only
in the commands that use them (issue 13). A behavioural guard on what is imported, checked in
a fresh interpreter; the time it takes is measured by ``benchmarks/startup.py``, not here."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = [
    *("scipy", "pandas", "pyarrow", "duckdb", "plotly", "dask", "distributed", "streamlit"),
    "simpy",  # the engine: `acusim` start-up does not need it either
]


def _loaded_after(code: str) -> list[str]:
    report = f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    script = "\n".join(["import json, sys", textwrap.dedent(code), report])
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_importing_the_cli_loads_no_heavy_library() -> None:
    assert _loaded_after("import acusim.main") == []


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["run", "--help"], ["validate", "scenarios/baseline.yaml"]],
    ids=["help", "run-help", "validate"],
)
def test_help_and_validate_load_no_heavy_library(argv: list[str]) -> None:
    code = textwrap.dedent(
        f"""
        import contextlib, io
        from acusim.main import app
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                app({argv!r})
            except SystemExit as exc:
                assert exc.code in (0, None), exc.code
        """
    )
    assert _loaded_after(code) == []


def test_the_cli_default_heat_map_kpi_is_the_report_default() -> None:
    from acusim.sweeps import DEFAULT_HEATMAP_KPI
    from planning.sweeps.report import DEFAULT_HEATMAP_KPI as REPORT_DEFAULT

    assert DEFAULT_HEATMAP_KPI == REPORT_DEFAULT
