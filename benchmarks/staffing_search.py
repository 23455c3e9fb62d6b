"""The staffing search: time against a 20-replication run, on the baseline and at 20x its size.

Prints, from one run of this script on the same (possibly busy) machine:

1. two yardsticks: the wall time of 20 replications of the baseline on the
   search's own worker pool (the simulation alone), and of the command
   ``acusim run scenarios/baseline.yaml -n 20`` as a user types it (start-up
   included), which is what the issue's "about 10x one 20-replication run"
   compares against;
2. ``search_staffing`` on the baseline with the scenario's settings: wall
   time and CPU time (this process and its workers), the ratios to both
   yardsticks (goal: about 10x, i.e. under 30 s on 2 quiet cores), staffings
   and replications simulated in all and in each phase (ceiling, search,
   confirm, report), and what a brute-force grid over the same ranges would
   need;
3. the same search on the baseline scaled to 20x its size (every rate and
   alert rate x20, every role's FTE and staffing-plan change x20, and the
   case counts a force 20 times the size would have: the open caseload at the
   start and the backlog targets' ``min_base_cases``; ``--keep-counts`` leaves
   those as the baseline's, as this script did before); the goal: under 5
   minutes.

Each search starts with an empty replication cache (a fresh process would).
Machines are noisy: the counts are exact, the times are not; the ratios are
what to compare across machines, and the CPU times say how much of a wall
time was the search and how much waiting for a busy machine.

    .venv/bin/python benchmarks/staffing_search.py [--workers N] [--skip-large] [--keep-counts]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

from model.replications import default_workers, process_pool, run_replications
from model.scenario import Scenario, load_scenario, with_overrides
from planning.staffing.cache import ReplicationCache
from planning.staffing.recommend import SearchProgress, search_staffing

ROOT = Path(__file__).resolve().parent.parent
GOAL_RATIO = 10
GOAL_LARGE_SECONDS = 300
SCALE = 20


def scaled(scenario: Scenario, factor: float, counts: bool = True) -> Scenario:
    """The scenario with ``factor`` x its demand and staff (a force ``factor`` times the size).

    With ``counts``, the case counts scale too: the open caseload on the start date and the
    backlog targets' ``min_base_cases`` (a queue under 10 cases is clear for a unit of ten
    people; for one of two hundred, 200 is). Shares, growth ratios and days do not scale."""
    changes: dict[str, object] = {"name": f"{scenario.name}_x{factor:g}"}
    for name, source in scenario.sources.items():
        if source.kind == "rate":
            changes[f"sources.{name}.rate_per_week"] = source.rate_per_week * factor
        elif source.kind == "monitoring":
            changes[f"sources.{name}.alerts_per_device_per_week"] = (
                source.alerts_per_device_per_week * factor
            )
    for name, role in scenario.roles.items():
        changes[f"roles.{name}.fte"] = role.fte * factor
        changes[f"roles.{name}.staffing_plan"] = [
            {**change.model_dump(mode="json"), "change_fte": change.change_fte * factor}
            for change in role.staffing_plan
        ]
    if counts:
        backlog = []
        for entry in scenario.initial_backlog:
            data = entry.model_dump(mode="json")
            data["waiting"] = round(entry.waiting * factor)
            data["in_progress"] = round(entry.in_progress * factor)
            backlog.append(data)
        changes["initial_backlog"] = backlog
        for name, target in scenario.targets.items():
            if target.kind == "backlog_growth":
                changes[f"targets.{name}.min_base_cases"] = target.min_base_cases * factor
    return with_overrides(scenario, changes, "benchmark")


def cpu_seconds(pool) -> float:
    """CPU seconds (user + system) of this process and the pool's worker processes so far.

    Linux (/proc); the workers are the pool's live processes (ProcessPoolExecutor keeps them
    in ``_processes``; this is a benchmark, not library code)."""
    times = os.times()
    total = times.user + times.system
    tick = os.sysconf("SC_CLK_TCK")
    for pid in list(getattr(pool, "_processes", {}) or {}):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            continue
    return total


class PhaseLog:
    """Replications and staffings simulated in each phase, from the progress reports."""

    def __init__(self) -> None:
        self.replications: dict[str, int] = defaultdict(int)
        self.staffings: dict[str, int] = defaultdict(int)
        self._last = (0, 0)

    def __call__(self, step: SearchProgress) -> None:
        runs, staffings = self._last
        self.replications[step.phase] += step.replications_run - runs
        self.staffings[step.phase] += step.evaluations - staffings
        self._last = (step.replications_run, step.evaluations)


def timed_search(scenario: Scenario, workers: int, pool) -> tuple[float, float, object, PhaseLog]:
    started, cpu = time.perf_counter(), cpu_seconds(pool)
    last = {"phase": ""}
    phases = PhaseLog()

    def show(step: SearchProgress) -> None:
        phases(step)
        if step.phase != last["phase"]:
            last["phase"] = step.phase
            left = "" if step.seconds_left is None else f", ~{step.seconds_left:.0f} s left"
            print(
                f"  {time.perf_counter() - started:6.1f} s  {step.phase:<8} "
                f"{step.evaluations:4d} staffings, {step.replications_run:6d} replications{left}",
                flush=True,
            )

    result = search_staffing(
        scenario, workers=workers, progress=show, executor=pool, cache=ReplicationCache()
    )
    return time.perf_counter() - started, cpu_seconds(pool) - cpu, result, phases


def describe(
    name: str, seconds: float, cpu: float, yardsticks: tuple[float, float], result, phases
) -> None:
    grid = result.brute_force_evaluations
    pooled, command = yardsticks
    print(f"{name}: {len(result.roles)} roles searched")
    print(
        f"  wall time                          {seconds:8.1f} s ({seconds / pooled:.1f}x the "
        f"pooled yardstick, {seconds / command:.1f}x the command)"
    )
    print(f"  CPU time (this process + workers)  {cpu:8.1f} s")
    print(f"  staffings simulated                {result.evaluations:8d}")
    print(f"  replications simulated in all      {result.replications_run:8d}")
    for phase in ("ceiling", "search", "confirm", "report"):
        print(
            f"    {phase:<8} {phases.staffings.get(phase, 0):4d} staffings, "
            f"{phases.replications.get(phase, 0):5d} replications"
        )
    print(f"  replications at the answer (conf.) {result.confirmation_replications:8d}")
    print(f"  brute-force grid: staffings        {grid:8d}")
    for row in result.ranges.to_dict("records"):
        print(
            f"    {row['role']:<22} floor {row['floor']:g}, ceiling {row['ceiling']:g}: "
            f"recommended {result.recommended[row['role']]:g} (today {row['current_fte']:g})"
        )
    print(f"  feasible: {result.feasible}; confirmed: {result.confirmed}")
    print(f"  {result.message}")


def command_yardstick(workers: int) -> float:
    """Wall time of ``acusim run scenarios/baseline.yaml -n 20`` as a user runs it."""
    acusim = Path(sys.executable).parent / "acusim"
    scenario = str(ROOT / "scenarios" / "baseline.yaml")
    started = time.perf_counter()
    subprocess.run(
        [str(acusim), "run", scenario, "-n", "20", "--workers", str(workers)],
        check=True,
        stdout=subprocess.DEVNULL,
        cwd=ROOT,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=min(2, default_workers()))
    parser.add_argument("--skip-large", action="store_true", help="Only the baseline.")
    parser.add_argument(
        "--keep-counts",
        action="store_true",
        help="Scale demand and staff only (the baseline's open caseload and min_base_cases).",
    )
    args = parser.parse_args()

    baseline = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    command = command_yardstick(args.workers)
    with process_pool(args.workers) as pool:
        run_replications(baseline, 2, workers=args.workers, executor=pool)  # start the workers
        started = time.perf_counter()
        run_replications(baseline, 20, workers=args.workers, executor=pool)
        yardstick = time.perf_counter() - started
        print(
            f"yardsticks: 20 replications of the baseline, {args.workers} workers: "
            f"{yardstick:.1f} s on the pool; `acusim run -n 20`: {command:.1f} s"
        )
        yardsticks = (yardstick, command)

        seconds, cpu, result, phases = timed_search(baseline, args.workers, pool)
        describe("baseline", seconds, cpu, yardsticks, result, phases)
        print(f"  goal: about {GOAL_RATIO}x the yardstick (under 30 s on 2 quiet cores)")

        if not args.skip_large:
            large = scaled(baseline, SCALE, counts=not args.keep_counts)
            big_seconds, big_cpu, big, big_phases = timed_search(large, args.workers, pool)
            label = f"baseline x{SCALE}" + (" (counts kept)" if args.keep_counts else "")
            describe(label, big_seconds, big_cpu, yardsticks, big, big_phases)
            print(f"  goal: under {GOAL_LARGE_SECONDS} s")
        print()
        print(
            f"summary: yardsticks {yardstick:.1f} s (pool), {command:.1f} s (command); "
            f"baseline search {seconds:.1f} s ({seconds / yardstick:.1f}x, "
            f"{seconds / command:.1f}x), CPU {cpu:.0f} s, {result.replications_run} replications"
            + (
                ""
                if args.skip_large
                else f"; x{SCALE} search {big_seconds:.1f} s ({big_seconds / yardstick:.1f}x, "
                f"{big_seconds / command:.1f}x), CPU {big_cpu:.0f} s, "
                f"{big.replications_run} replications"
            )
        )


if __name__ == "__main__":
    main()
