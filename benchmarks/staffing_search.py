"""The staffing search: time against a 20-replication run, on the baseline and at 20x its size.

Prints, from one run of this script on the same (possibly busy) machine:

1. the wall time of one 20-replication ``acusim run`` of the baseline (the
   yardstick: the same call the CLI makes, same workers);
2. ``search_staffing`` on the baseline with the scenario's settings: wall
   time, its ratio to the yardstick (goal: about 10x, i.e. under 30 s on 2
   quiet cores), staffings simulated, replications simulated, and what a
   brute-force grid over the same ranges would need;
3. the same search on the baseline scaled to 20x its demand and staff (every
   rate and alert rate x20, every role's FTE and staffing-plan change x20; the
   goal: under 5 minutes), with its ratio to the yardstick.

Each search starts with an empty replication cache (a fresh process would).
Machines are noisy: the counts are exact, the times are not; the ratios are
what to compare across machines.

    .venv/bin/python benchmarks/staffing_search.py [--workers N] [--skip-large]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from model.replications import default_workers, process_pool, run_replications
from model.scenario import Scenario, load_scenario, with_overrides
from planning.staffing.cache import ReplicationCache
from planning.staffing.recommend import SearchProgress, search_staffing

ROOT = Path(__file__).resolve().parent.parent
GOAL_RATIO = 10
GOAL_LARGE_SECONDS = 300
SCALE = 20


def scaled(scenario: Scenario, factor: float) -> Scenario:
    """The scenario with ``factor`` x its demand and staff (a force ``factor`` times the size)."""
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
    return with_overrides(scenario, changes, "benchmark")


def timed_search(scenario: Scenario, workers: int, pool) -> tuple[float, object]:
    started = time.perf_counter()
    last = {"phase": ""}

    def show(step: SearchProgress) -> None:
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
    return time.perf_counter() - started, result


def describe(name: str, seconds: float, yardstick: float, result) -> None:
    grid = result.brute_force_evaluations
    print(f"{name}: {len(result.roles)} roles searched")
    print(f"  wall time                          {seconds:8.1f} s ({seconds / yardstick:.1f}x)")
    print(f"  staffings simulated                {result.evaluations:8d}")
    print(f"  replications simulated in all      {result.replications_run:8d}")
    print(f"  replications at the answer (conf.) {result.confirmation_replications:8d}")
    print(f"  brute-force grid: staffings        {grid:8d}")
    for row in result.ranges.to_dict("records"):
        print(
            f"    {row['role']:<22} floor {row['floor']:g}, ceiling {row['ceiling']:g}: "
            f"recommended {result.recommended[row['role']]:g} (today {row['current_fte']:g})"
        )
    print(f"  feasible: {result.feasible}; confirmed: {result.confirmed}")
    print(f"  {result.message}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=min(2, default_workers()))
    parser.add_argument("--skip-large", action="store_true", help="Only the baseline.")
    args = parser.parse_args()

    baseline = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    with process_pool(args.workers) as pool:
        run_replications(baseline, 2, workers=args.workers, executor=pool)  # start the workers
        started = time.perf_counter()
        run_replications(baseline, 20, workers=args.workers, executor=pool)
        yardstick = time.perf_counter() - started
        print(
            f"yardstick: 20 replications of the baseline, {args.workers} workers: {yardstick:.1f} s"
        )

        seconds, result = timed_search(baseline, args.workers, pool)
        describe("baseline", seconds, yardstick, result)
        print(f"  goal: about {GOAL_RATIO}x the yardstick (under 30 s on 2 quiet cores)")

        if not args.skip_large:
            large = scaled(baseline, SCALE)
            big_seconds, big = timed_search(large, args.workers, pool)
            describe(f"baseline x{SCALE}", big_seconds, yardstick, big)
            print(f"  goal: under {GOAL_LARGE_SECONDS} s")
        print()
        print(
            f"summary: yardstick {yardstick:.1f} s; baseline search {seconds:.1f} s "
            f"({seconds / yardstick:.1f}x)"
            + (
                ""
                if args.skip_large
                else f"; x{SCALE} search {big_seconds:.1f} s ({big_seconds / yardstick:.1f}x)"
            )
        )


if __name__ == "__main__":
    main()
