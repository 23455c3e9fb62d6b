"""Sweep throughput: 2 local workers against 1, and a Dask LocalCluster against local
processes, measured in one run.

Prints runs per second for the same sweep (the baseline with a grid over DC investigators
and sergeants) run with `--workers 1`, `--workers 2` and on a Dask ``LocalCluster`` of 2
single-threaded worker processes (with and without Dask's profiler), each into a fresh
results folder exactly as `acusim sweep` runs it (store writes included). Then:

* parallel efficiency = throughput(2 workers) / (2 x throughput(1 worker)); goal >= 85%;
* Dask / local = throughput(LocalCluster, 2 workers) / throughput(2 local processes);
  goal within 10% (>= 0.90). The cluster's workers run with Dask's statistical profiler
  off, as docs/sweeps.md recommends: it samples the running task's stack every 10 ms,
  which slows a pure-Python simulation by several per cent. The ratio with the profiler
  on (Dask's default) is printed too.

The set-ups are timed in turn, round after round, each in a fresh process, and the
best (shortest) time of each is used: other work on the machine can only add time, so the
best round is the closest to what the code itself costs. The cluster's start-up,
and its workers' first import of the model, are not timed (a cluster is long-lived);
local worker processes are started by every sweep (a fork: they inherit the imports), as
they are when a user runs one. Machines are noisy: compare the
ratios, not the absolute figures. The script also checks that every set-up stored identical
results.

    .venv/bin/python benchmarks/sweep_parallel.py [--replications N] [--rounds R]
"""

from __future__ import annotations

import argparse
import importlib
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

from planning.sweeps.design import Sweep, load_sweep
from planning.sweeps.run import DaskBackend, LocalBackend, run_sweep
from planning.sweeps.store import SweepStore, read_store

ROOT = Path(__file__).resolve().parent.parent


def write_benchmark_sweep(folder: Path, replications: int, horizon_years: float) -> Path:
    """8 variants of the baseline: enough tasks to keep 2 workers busy to the end."""
    path = folder / "benchmark_sweep.yaml"
    spec = {
        "name": "benchmark",
        "base": str(ROOT / "scenarios" / "baseline.yaml"),
        "seed": 20191126,
        "replications": replications,
        "set": {"horizon_years": horizon_years},
        "design": {
            "kind": "grid",
            "axes": {"roles.dc_investigator.fte": [4, 5, 6, 7], "roles.ds.fte": [2, 3]},
        },
    }
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def timed_sweep(sweep: Sweep, out: Path, backend: LocalBackend | DaskBackend) -> float:
    """Seconds for the whole sweep into an empty folder, store writes included."""
    started = time.perf_counter()
    with SweepStore.open(out, sweep) as store, backend:
        outcome = run_sweep(sweep, store, backend)
    seconds = time.perf_counter() - started
    assert outcome.complete and outcome.stored == sweep.total_runs
    return seconds


def measure(setup: str, sweep_file: Path, out: Path) -> float:
    """One timed sweep in this (fresh) process: what `acusim sweep` does for the set-up."""
    sweep = load_sweep(sweep_file)
    if setup.startswith("dask"):
        import dask
        from distributed import Client, LocalCluster

        profiler = setup == "dask 2 profiler"
        with (
            dask.config.set({"distributed.worker.profile.enabled": profiler}),
            LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
        ):
            with Client(cluster.scheduler_address) as client:
                # A long-lived cluster has imported the model already: a fresh worker
                # process spends a second or two importing scipy, pandas and the engine.
                client.run(importlib.import_module, "planning.sweeps.run")
                on = client.run(dask.config.get, "distributed.worker.profile.enabled")
                assert set(on.values()) == {profiler}, on
            return timed_sweep(sweep, out, DaskBackend(cluster.scheduler_address, 60))
    return timed_sweep(sweep, out, LocalBackend(int(setup.split()[1])))


def run_measurement(setup: str, sweep_file: Path, out: Path) -> float:
    """Each measurement runs in a new process, as a user's sweep does: a process that
    already holds a Dask client's threads would start local workers through a fork server
    (see model.replications.process_pool), which no `acusim sweep` pays."""
    result = subprocess.run(
        [sys.executable, __file__, "--measure", setup, str(sweep_file), str(out)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return float(result.stdout.strip().splitlines()[-1])


LABELS = {
    "local 1": "local, 1 worker (this process)",
    "local 2": "local, 2 worker processes",
    "dask 2": "Dask LocalCluster, 2 workers",
    "dask 2 profiler": "  the same, Dask's profiler on",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=8, help="per variant (8 variants)")
    parser.add_argument("--rounds", type=int, default=3, help="timings of each set-up")
    parser.add_argument("--horizon-years", type=float, default=3.0)
    parser.add_argument(
        "--measure", nargs=3, metavar=("SETUP", "SWEEP", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.measure:
        setup, sweep_file, out = args.measure
        print(f"{measure(setup, Path(sweep_file), Path(out)):.6f}")
        return

    with tempfile.TemporaryDirectory(prefix="acusim-bench-") as tmp:
        folder = Path(tmp)
        sweep_file = write_benchmark_sweep(folder, args.replications, args.horizon_years)
        runs = load_sweep(sweep_file).total_runs
        print(
            f"Sweep: 8 variants x {args.replications} replications = {runs} runs of "
            f"{args.horizon_years:g} years; {args.rounds} rounds, interleaved; best of each. "
            "The Dask cluster's start-up and first imports are not timed; local workers' "
            "start-up is."
        )
        seconds: dict[str, list[float]] = {name: [] for name in LABELS}
        outs: dict[str, Path] = {}
        for round_ in range(args.rounds):
            for name in LABELS:
                out = folder / f"{name.replace(' ', '_')}_{round_}"
                seconds[name].append(run_measurement(name, sweep_file, out))
                outs[name] = out

        frames = {name: read_store(out).kpi_wide() for name, out in outs.items()}
        for name, frame in frames.items():
            pd.testing.assert_frame_equal(frame, frames["local 1"], obj=name)
        best = {name: min(values) for name, values in seconds.items()}
        rate = {name: runs / value for name, value in best.items()}
        print(f"{'set-up':<34}{'best s':>10}{'runs/s':>10}   all rounds (s)")
        for name, label in LABELS.items():
            every = ", ".join(f"{v:.2f}" for v in seconds[name])
            print(f"{label:<34}{best[name]:>10.2f}{rate[name]:>10.1f}   {every}")
        efficiency = rate["local 2"] / (2 * rate["local 1"])
        dask_ratio = rate["dask 2"] / rate["local 2"]
        print(f"Parallel efficiency, 2 local workers vs 1: {efficiency:.0%} (goal >= 85%)")
        profiled = rate["dask 2 profiler"] / rate["local 2"]
        print(f"Dask LocalCluster / local processes throughput: {dask_ratio:.2f} (goal >= 0.90)")
        print(f"  with Dask's default statistical profiler on: {profiled:.2f}")
        print("Results identical across all set-ups: yes")


if __name__ == "__main__":
    main()
