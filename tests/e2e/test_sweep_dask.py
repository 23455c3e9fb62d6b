"""One sweep, three backends, the same numbers: local processes, a Dask LocalCluster started
here, and a real `dask scheduler` + `dask worker` started as separate processes."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from distributed import Client, LocalCluster

from planning.sweeps.design import Sweep, load_sweep
from planning.sweeps.run import DaskBackend, LocalBackend, run_sweep
from planning.sweeps.store import SweepStore, read_store
from tests.conftest import ROOT
from tests.planning.sweeps.test_sweep import write_sweep

pytestmark = pytest.mark.e2e

DASK = Path(sys.executable).parent / "dask"
STARTUP_SECONDS = 60  # generous: the machine may be busy with other tests


@pytest.fixture(scope="module")
def sweep(tmp_path_factory: pytest.TempPathFactory) -> Sweep:
    return load_sweep(write_sweep(tmp_path_factory.mktemp("sweep"), replications=3))


@pytest.fixture(scope="module")
def reference(sweep: Sweep, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The sweep run in this process, one run after another."""
    out = tmp_path_factory.mktemp("reference") / "out"
    with SweepStore.open(out, sweep) as store, LocalBackend(1) as backend:
        run_sweep(sweep, store, backend)
    return read_store(out).kpi_wide()


def run_on(sweep: Sweep, out: Path, backend: LocalBackend | DaskBackend) -> pd.DataFrame:
    with SweepStore.open(out, sweep) as store, backend:
        outcome = run_sweep(sweep, store, backend, chunk_size=2)
    assert outcome.complete and outcome.tasks == 8  # 4 variants x chunks of 2 and 1
    return read_store(out).kpi_wide()


def test_local_processes_and_a_local_cluster_store_identical_results(
    sweep: Sweep, reference: pd.DataFrame, tmp_path: Path
) -> None:
    local = run_on(sweep, tmp_path / "local", LocalBackend(2))
    pd.testing.assert_frame_equal(local, reference)
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        backend = DaskBackend(cluster.scheduler_address, connect_timeout=STARTUP_SECONDS)
        on_cluster = run_on(sweep, tmp_path / "cluster", backend)
    pd.testing.assert_frame_equal(on_cluster, reference)
    manifest = json.loads((tmp_path / "cluster" / "manifest.json").read_text())
    assert manifest["sessions"][0]["backend"].startswith("dask: inproc://")


def _stop(process: subprocess.Popen) -> None:
    """End a process we started and everything it started (its own session)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=20)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)  # stragglers of the group, if any


@pytest.fixture
def dask_cluster(tmp_path: Path) -> Iterator[str]:
    """`dask scheduler` and `dask worker` on 127.0.0.1, free ports chosen by the scheduler."""
    scheduler_file = tmp_path / "scheduler.json"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED": "False",  # as docs/sweeps.md advises
    }
    logs = tmp_path / "dask-logs"
    logs.mkdir()
    processes: list[subprocess.Popen] = []
    try:
        processes.append(
            subprocess.Popen(
                [
                    DASK,
                    "scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--no-dashboard",
                    "--scheduler-file",
                    scheduler_file,
                ],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=(logs / "scheduler.log").open("w"),
                start_new_session=True,
            )
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        address = None
        while address is None:
            assert time.monotonic() < deadline, (logs / "scheduler.log").read_text()
            assert processes[0].poll() is None, (logs / "scheduler.log").read_text()
            try:
                address = json.loads(scheduler_file.read_text())["address"]
            except (FileNotFoundError, json.JSONDecodeError, KeyError):
                time.sleep(0.2)
        processes.append(
            subprocess.Popen(
                [
                    DASK,
                    "worker",
                    address,
                    "--host",
                    "127.0.0.1",
                    "--nworkers",
                    "1",
                    "--nthreads",
                    "2",
                    "--no-dashboard",
                    "--death-timeout",
                    "60",
                ],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=(logs / "worker.log").open("w"),
                start_new_session=True,
            )
        )
        with Client(address, timeout=STARTUP_SECONDS) as client:
            client.wait_for_workers(1, timeout=STARTUP_SECONDS)
        yield address
    finally:
        for process in reversed(processes):
            _stop(process)


def test_a_scheduler_address_gives_identical_results(
    sweep: Sweep, reference: pd.DataFrame, dask_cluster: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "acusim",
            "sweep",
            str(sweep.path),
            "--scheduler",
            dask_cluster,
            "--out",
            str(out),
            "--chunk-size",
            "2",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert f"on dask: {dask_cluster} (1 workers, 2 threads)" in result.stderr
    assert "All 12 runs of test_sweep stored" in result.stdout
    stored = read_store(out)
    pd.testing.assert_frame_equal(stored.kpi_wide(), reference)
    with Client(dask_cluster, timeout=STARTUP_SECONDS) as client:
        worker_pids = {str(pid) for pid in client.run(os.getpid).values()}
    assert {w.rsplit(":", 1)[1] for w in stored.runs.worker} <= worker_pids  # ran on the worker
