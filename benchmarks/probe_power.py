"""What the floor-probe budget costs the staffing search: power and replications, known truth.

The search's sequential test (planning/staffing/sequential.py) judges each staffing it
tries look by look; ``floor_probe_max_replications`` ends a floor probe's looks early (one
still open then counts as not met, so the floor is a step higher), while every candidate
answer and the answer's confirmation keep every look up to ``max_replications``. This
script puts numbers on the trade for one probe, for docs/staffing.md: seeded
streams of normal replication values (sd 0.05, a ``>=`` target at 0.9) whose true mean sits
a given number of standard errors of a 100-replication mean from the threshold, judged by
the rule with each budget (futility stop on, as in the search), printing how often each
calls the staffing met and the replications it used on average. Exact for the seed; no
timing.

    .venv/bin/python benchmarks/probe_power.py [--streams 3000] [--budgets 100 48 24]
"""

from __future__ import annotations

import argparse

import numpy as np

from planning.staffing.sequential import MET, SequentialRule, run_looks

THRESHOLD, SD, MOST = 0.9, 0.05, 100
DISTANCES = (-2, 0, 2, 3, 4, 6, 8)  # standard errors of a 100-replication mean, + = right side


def judge(values: np.ndarray, rule: SequentialRule) -> tuple[bool, int]:
    """Whether ``rule`` calls one stream met, and the replications it used (the search's
    look loop, :func:`planning.staffing.sequential.run_looks`)."""
    found, n = run_looks(lambda n: {"t": values[:n]}, {"t": (">=", THRESHOLD)}, rule)
    return found["t"] == MET, n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=3000)
    parser.add_argument("--budgets", type=int, nargs="+", default=[100, 48, 24])
    parser.add_argument("--futility", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rules = {
        b: SequentialRule.doubling(0.95, 6, b).with_futility(args.futility) for b in args.budgets
    }
    for budget, rule in rules.items():
        print(f"budget {budget}: looks {rule.looks}, each at {rule.look_confidence:.4f}")
    rng = np.random.default_rng(args.seed)
    se = SD / np.sqrt(MOST)
    print(f"{args.streams} streams per row; distance in SE of a {MOST}-replication mean")
    print("distance | " + " | ".join(f"budget {b}: met, mean n" for b in rules))
    for distance in DISTANCES:
        streams = rng.normal(THRESHOLD + distance * se, SD, size=(args.streams, MOST))
        cells = []
        for rule in rules.values():
            results = [judge(v, rule) for v in streams]
            met = np.mean([m for m, _ in results])
            cells.append(f"{met:6.1%}, {np.mean([n for _, n in results]):5.1f}")
        print(f"{distance:+8d} | " + " | ".join(cells))


if __name__ == "__main__":
    main()
