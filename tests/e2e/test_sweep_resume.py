"""Kill a running `acusim sweep` (Ctrl-C or SIGKILL), resume it, and get every run exactly
once with the numbers of an uninterrupted run."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from planning.sweeps.design import Sweep, load_sweep
from planning.sweeps.run import LocalBackend, run_sweep
from planning.sweeps.store import SweepStore, read_store
from tests.conftest import ROOT
from tests.planning.sweeps.test_sweep import write_sweep

pytestmark = pytest.mark.e2e

TIMEOUT = 300
ORPHANS_GONE_SECONDS = 60  # a worker notices its sweep is gone within about a second


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Sweep:
    """60 runs of a year each: long enough to be caught part-way, a few seconds in all."""
    folder = tmp_path_factory.mktemp("sweep")
    return load_sweep(
        write_sweep(
            folder,
            replications=12,
            set={"horizon_years": 1},
            design={"kind": "grid", "axes": {"roles.dc_investigator.fte": [2, 3, 4, 5, 6]}},
        )
    )


@pytest.fixture(scope="module")
def uninterrupted(sweep: Sweep, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    out = tmp_path_factory.mktemp("uninterrupted") / "out"
    with SweepStore.open(out, sweep) as store, LocalBackend(1) as backend:
        run_sweep(sweep, store, backend)
    return read_store(out).kpi_wide()


def acusim_sweep(sweep: Sweep, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "acusim", "sweep", str(sweep.path), "--out", str(out), *extra],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its worker processes share its group: we can end them all
    )


def kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


@pytest.mark.parametrize(
    ("sig", "workers"), [(signal.SIGINT, "2"), (signal.SIGKILL, "2"), (signal.SIGINT, "1")]
)
def test_killed_sweep_resumes_to_every_run_exactly_once(
    sweep: Sweep, uninterrupted: pd.DataFrame, tmp_path: Path, sig: int, workers: str
) -> None:
    out = tmp_path / "out"
    process = acusim_sweep(sweep, out, "--workers", workers, "--chunk-size", "1")
    try:
        for line in process.stderr:  # wait until some runs are stored, then kill it
            if "runs stored" in line:
                process.send_signal(sig)
                break
        # communicate() returns once every holder of the pipes has gone: the worker
        # processes too, which must end by themselves when their sweep is killed
        _, rest = process.communicate(timeout=ORPHANS_GONE_SECONDS)
    finally:
        kill_group(process)
    if sig == signal.SIGINT:
        assert process.returncode == 130, rest
        assert "Interrupted:" in rest and "Traceback" not in rest
    else:
        assert process.returncode == -signal.SIGKILL

    stored_before = read_store(out).runs
    assert 0 < len(stored_before) < sweep.total_runs  # killed part-way

    resumed = acusim_sweep(sweep, out, "--resume", "--workers", "2")
    _, stderr = resumed.communicate(timeout=TIMEOUT)
    kill_group(resumed)
    assert resumed.returncode == 0, stderr
    assert f"{len(stored_before)} already stored" in stderr
    assert f"{sweep.total_runs - len(stored_before)} to run" in stderr

    stored = read_store(out)
    assert len(stored.runs) == sweep.total_runs
    assert not stored.runs.duplicated(["variant_id", "replication"]).any()
    assert set(map(tuple, stored.runs[["variant_id", "replication"]].to_numpy())) == {
        (v.id, r) for v in sweep.variants for r in range(sweep.replications)
    }
    pd.testing.assert_frame_equal(stored.kpi_wide(), uninterrupted)
    # the runs stored before the kill were kept, not run again
    kept = stored.runs.merge(stored_before, on=["variant_id", "replication"])
    assert (kept.finished_at_x == kept.finished_at_y).all()

    manifest = json.loads((out / "manifest.json").read_text())
    first, last = manifest["sessions"][0], manifest["sessions"][-1]
    expected = "interrupted (Ctrl-C)" if sig == signal.SIGINT else "stopped (killed or crashed)"
    assert first["status"] == expected and last["status"] == "complete"
    assert manifest["finished_at"] is not None


def test_rerunning_a_finished_sweep_runs_nothing_and_a_changed_one_is_refused(
    sweep: Sweep, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = acusim_sweep(sweep, out, "--workers", "1")
    first.communicate(timeout=TIMEOUT)
    assert first.returncode == 0
    again = acusim_sweep(sweep, out)
    stdout, stderr = again.communicate(timeout=TIMEOUT)
    assert again.returncode == 0 and "nothing to run" in stderr
    assert "(nothing was missing)" in stdout
    assert len(read_store(out).runs) == sweep.total_runs

    changed = sweep.path.with_name("changed.yaml")
    changed.write_text(sweep.path.read_text().replace("seed: 7", "seed: 8"))
    refused = subprocess.run(
        [sys.executable, "-m", "acusim", "sweep", str(changed), "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert refused.returncode == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "holds results of a different sweep" in lines[0]
    assert len(read_store(out).runs) == sweep.total_runs
