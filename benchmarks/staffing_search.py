"""The staffing search on the baseline: time, evaluations and replications against brute force.

Runs ``search_staffing`` on a scenario (default: the baseline, about 5 roles)
with the scenario's settings and prints the wall time (goal: under 10 minutes
on 2 cores), how many staffings it simulated and how many replications, and
what a brute-force grid over the same ranges (every role from its floor to its
ceiling, in its step) would need at the same replications per staffing. The
grid is counted, not run. Machines are noisy: the counts are exact, the time
is not.

    .venv/bin/python benchmarks/staffing_search.py [SCENARIO] [--workers N]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from model.replications import default_workers
from model.scenario import load_scenario
from planning.staffing.recommend import SearchProgress, search_staffing

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 600


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default=str(ROOT / "scenarios" / "baseline.yaml"))
    parser.add_argument("--workers", type=int, default=min(2, default_workers()))
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()

    scenario = load_scenario(args.scenario)
    started = time.perf_counter()
    last = {"phase": ""}

    def show(step: SearchProgress) -> None:
        if step.phase != last["phase"]:
            last["phase"] = step.phase
            print(
                f"  {time.perf_counter() - started:6.1f} s  {step.phase:<12} "
                f"{step.evaluations:4d} staffings, {step.replications_run:6d} replications",
                flush=True,
            )

    result = search_staffing(scenario, workers=args.workers, seed=args.seed, progress=show)
    seconds = time.perf_counter() - started
    grid = result.brute_force_evaluations
    print()
    print(f"scenario {scenario.name}: {len(result.roles)} roles searched, {args.workers} workers")
    print(f"wall time                         {seconds:8.1f} s (goal: under {GOAL_SECONDS} s)")
    print(f"staffings simulated (evaluations) {result.evaluations:8d}")
    print(f"replications per evaluation       {result.replications:8d}")
    print(f"replications simulated in all     {result.replications_run:8d}")
    print(f"brute-force grid: staffings       {grid:8d}")
    print(
        f"brute-force grid: replications    {grid * result.replications:8d} "
        f"({grid * result.replications / max(result.replications_run, 1):,.0f}x the search)"
    )
    for row in result.ranges.to_dict("records"):
        print(
            f"  {row['role']:<20} floor {row['floor']:g}, ceiling {row['ceiling']:g}, "
            f"step {row['step']:g}: recommended {result.recommended[row['role']]:g} "
            f"(today {row['current_fte']:g})"
        )
    print(f"feasible: {result.feasible}; confirmed: {result.confirmed}")
    print(result.message)
    for note in result.notes:
        print(f"note: {note}")


if __name__ == "__main__":
    main()
