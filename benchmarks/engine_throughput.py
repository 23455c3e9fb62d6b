"""Engine throughput against a bare SimPy tandem queue, measured in one run.

Prints simulated case-stages per second for the baseline scenario and for a
plain SimPy model (Resource + timeout per station) with the same number of
stages and arrivals, and their ratio (goal: the engine at least half as fast),
plus the time of one 3-year baseline replication on one core (goal: well under
a second). Machines are noisy: compare the ratios, not the absolute figures.

Two bare models are timed. In the *full tandem* every case passes every
station; in the *matched tandem* each case passes as many stations as it
visited stages in the engine (most baseline alerts close after one stage).
Per-case costs (arrival, process start, closing) are spread over 7 stages in
the first and over about 1.3 in the second, so the matched ratio is the like-
for-like comparison; both are printed.

    .venv/bin/python benchmarks/engine_throughput.py [--replications N]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import simpy

from model.engine.unit import run_replication
from model.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent


def bare_tandem(route_lengths: list[int], n_stages: int, horizon_days: float, seed: int) -> int:
    """Poisson arrivals through two-server stations at utilisation 0.5; case i visits the
    first ``route_lengths[i]`` of ``n_stages`` stations."""
    env = simpy.Environment()
    rng = np.random.default_rng(seed)
    n_cases = len(route_lengths)
    stations = [simpy.Resource(env, capacity=2) for _ in range(n_stages)]
    mean_service = horizon_days / n_cases  # lambda * E[S] / c = 0.5 with c = 2
    arrivals = np.sort(rng.uniform(0, horizon_days, n_cases))
    services = rng.exponential(mean_service, (n_cases, n_stages)).tolist()
    done = [0]

    def case(i: int):
        for k, station in enumerate(stations[: route_lengths[i]]):
            with station.request() as request:
                yield request
                yield env.timeout(services[i][k])
            done[0] += 1

    def source():
        for i, t in enumerate(arrivals.tolist()):
            yield env.timeout(t - env.now)
            env.process(case(i))

    env.process(source())
    env.run()
    return done[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=5)
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "baseline.yaml"))
    args = parser.parse_args()

    scenario = load_scenario(args.scenario)
    years = scenario.horizon_years
    run_replication(scenario, scenario.seed, 0)  # warm caches and imports

    n_stages = len(scenario.stages)
    visits = run_replication(scenario, scenario.seed, 0, record_cases=True).cases
    matched = visits.groupby("case_id").size().clip(upper=n_stages).tolist()
    full = [n_stages] * len(matched)

    # Interleaved, replication by replication, so a busy machine slows all three alike.
    seconds = {"engine": 0.0, "matched": 0.0, "full": 0.0}
    stages = {"engine": 0.0, "matched": 0.0, "full": 0.0}
    for r in range(args.replications):
        start = time.perf_counter()
        kpis = run_replication(scenario, scenario.seed, r).kpis
        seconds["engine"] += time.perf_counter() - start
        stages["engine"] += sum(v * years for k, v in kpis.items() if k.startswith("entries_per"))
        for label, lengths in (("matched", matched), ("full", full)):
            start = time.perf_counter()
            stages[label] += bare_tandem(lengths, n_stages, scenario.horizon_days, r)
            seconds[label] += time.perf_counter() - start
    rates = {label: stages[label] / seconds[label] for label in seconds}
    cases_per_rep = len(matched)
    engine_seconds = seconds["engine"]

    engine_rate = rates["engine"]
    print(f"scenario: {scenario.name}, {years:g} years, {args.replications} replications")
    print(f"cases per replication:              {cases_per_rep:,}")
    print(f"stages visited per case (mean):     {np.mean(matched):.2f}")
    print(f"engine case-stages per second:      {engine_rate:,.0f}")
    print(f"bare SimPy, matched routes:         {rates['matched']:,.0f}")
    print(f"bare SimPy, full {n_stages}-station tandem:   {rates['full']:,.0f}")
    print(
        f"ratio engine / bare (matched):      {engine_rate / rates['matched']:.2f}  (goal >= 0.5)"
    )
    print(f"ratio engine / bare (full tandem):  {engine_rate / rates['full']:.2f}")
    print(
        f"one {years:g}-year replication:       {engine_seconds / args.replications:.3f} s"
        "  (goal: well under 1 s)"
    )


if __name__ == "__main__":
    main()
