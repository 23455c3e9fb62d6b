"""Engine throughput per CPU-second against bare SimPy and Ciw, measured in one run.

Two networks, each simulated three ways with the same arrival and service rates:

* **M/M/10 at rho 0.9**: Poisson arrivals at 9 a day, 10 servers each serving one case a
  day on average;
* **5-station tandem**: Poisson arrivals at 1.6 a day through five stations of 2 servers
  each (one case a day per server, rho 0.8 at every station).

The three simulators:

* **engine**: ``model.engine.unit.run_replication`` on a scenario of that network (the
  whole replication: arrivals sampled, KPIs recorded, weekly series, as in any run);
* **bare SimPy**: the textbook SimPy model (a source process, a process per customer, one
  ``Resource`` and a ``timeout`` per station, service times pre-drawn with numpy), which
  records nothing;
* **Ciw**: ``ciw.Simulation`` of the same network (if Ciw is installed: the ``dev`` extras).

The figure is simulated case-stages (services completed) per CPU-second
(``time.process_time``). The simulators take turns, replication by replication, so a busy
machine slows all of them alike; the ratios are what to compare, not the absolute figures.
The garbage collector is run (untimed) before every timed run, so no simulator pays for
collecting the garbage the one before it left behind: without this the ratios moved by up
to 0.3 from run to run (Ciw leaves many objects in reference cycles, and whoever ran next
paid for their collection).
Goals (issue 13): engine at least 0.8x bare SimPy and at least 2x Ciw on both networks.

    .venv/bin/python benchmarks/engine_throughput.py [--replications N] [--years Y]
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import simpy

from model.engine.unit import run_replication
from model.scenario import Scenario, scenario_from_mapping

HOURS_PER_DAY = 8.0  # the scenarios' servers work 8 casework hours a day: 1 case a day = 8 h


def network(
    name: str, arrivals_per_day: float, stations: int, servers: int, years: float
) -> Scenario:
    """A Poisson source through ``stations`` FIFO stations in series, ``servers`` each."""
    stage_names = [f"station_{k + 1}" for k in range(stations)]
    roles = {
        f"{s}_staff": {
            "title": f"{s} staff",
            "fte": servers,
            "contracted_hours_per_week": 7 * HOURS_PER_DAY,
            "abstraction_rate": 0,
            "casework_share": 1,
        }
        for s in stage_names
    }
    stages = {
        s: {
            "title": s,
            "role": f"{s}_staff",
            "effort_hours": {"dist": "exponential", "mean": HOURS_PER_DAY},
            "discipline": "fifo",
            "routing": {"default": {stage_names[k + 1] if k + 1 < stations else "done": 1.0}},
        }
        for k, s in enumerate(stage_names)
    }
    data = {
        "name": name,
        "description": "Benchmark network.",
        "start_date": "2025-01-01",
        "horizon_years": years,
        "warmup_days": 0,
        "seed": 1,
        "replications": 1,
        "roles": roles,
        "sources": {
            "poisson": {
                "title": "Poisson arrivals",
                "kind": "rate",
                "rate_per_week": arrivals_per_day * 7,
                "entry_stage": stage_names[0],
                "mix": {
                    "category": {"other": 1.0},
                    "apsp_probability": 0.0,
                    "priority": {"medium": 1.0},
                },
            }
        },
        "stages": stages,
        "outcomes": ["done"],
    }
    return scenario_from_mapping(data, name)


def run_engine(scenario: Scenario, replication: int) -> int:
    kpis = run_replication(scenario, 1, replication).kpis
    years = scenario.horizon_years
    # Services completed: entries of every stage (in the window) less those still there.
    entries = sum(v * years for k, v in kpis.items() if k.startswith("entries_per_year."))
    still_open = sum(v for k, v in kpis.items() if k.startswith("backlog_end.") and "." in k)
    return round(entries - still_open)


def run_bare_simpy(
    arrivals_per_day: float, stations: int, servers: int, days: float, seed: int
) -> int:
    env = simpy.Environment()
    rng = np.random.default_rng(seed)
    n = int(rng.poisson(arrivals_per_day * days))
    arrivals = np.sort(rng.uniform(0.0, days, n)).tolist()
    services = rng.exponential(1.0, (n, stations)).tolist()
    resources = [simpy.Resource(env, capacity=servers) for _ in range(stations)]
    done = [0]

    def customer(i: int):
        for k, resource in enumerate(resources):
            with resource.request() as request:
                yield request
                yield env.timeout(services[i][k])
            done[0] += 1

    def source():
        for i, t in enumerate(arrivals):
            yield env.timeout(t - env.now)
            env.process(customer(i))

    env.process(source())
    env.run(until=days)
    return done[0]


def run_ciw(arrivals_per_day: float, stations: int, servers: int, days: float, seed: int) -> int:
    import ciw

    routing = [[1.0 if j == i + 1 else 0.0 for j in range(stations)] for i in range(stations)]
    net = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(arrivals_per_day)] + [None] * (stations - 1),
        service_distributions=[ciw.dists.Exponential(1.0)] * stations,
        number_of_servers=[servers] * stations,
        routing=routing,
    )
    ciw.seed(seed)
    simulation = ciw.Simulation(net)
    simulation.simulate_until_max_time(days)
    return len(simulation.get_all_records())


def _ciw_available() -> bool:
    try:
        import ciw  # noqa: F401
    except ImportError:
        return False
    return True


def _cpu(fn: Callable[[], int]) -> tuple[int, float]:
    gc.collect()  # untimed: the previous run's garbage is not this run's cost
    start = time.process_time()
    served = fn()
    return served, time.process_time() - start


def measure(
    name: str, arrivals_per_day: float, stations: int, servers: int, years: float, reps: int
) -> dict[str, Any]:
    scenario = network(name, arrivals_per_day, stations, servers, years)
    days = scenario.horizon_days
    runners: dict[str, Callable[[int], int]] = {
        "engine": lambda r: run_engine(scenario, r),
        "bare SimPy": lambda r: run_bare_simpy(arrivals_per_day, stations, servers, days, r),
    }
    if _ciw_available():
        runners["Ciw"] = lambda r: run_ciw(arrivals_per_day, stations, servers, days, r)
    for run in runners.values():  # warm caches and imports
        run(10_000)
    served = dict.fromkeys(runners, 0)
    seconds = dict.fromkeys(runners, 0.0)
    for r in range(reps):  # interleaved: load on the machine hits every simulator alike
        for label, run in runners.items():
            n, s = _cpu(lambda run=run, r=r: run(r))
            served[label] += n
            seconds[label] += s
    return {label: served[label] / seconds[label] for label in runners}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=5)
    parser.add_argument("--years", type=float, default=3.0)
    args = parser.parse_args()
    cases = [
        ("M/M/10, rho 0.9", 9.0, 1, 10),
        ("5-station tandem, 2 servers each, rho 0.8", 1.6, 5, 2),
    ]
    print(
        f"{args.replications} replications of {args.years:g} years each, interleaved; "
        "figures are services completed per CPU-second."
    )
    for name, lam, stations, servers in cases:
        rates = measure(name, lam, stations, servers, args.years, args.replications)
        print(f"\n{name}")
        for label, rate in rates.items():
            print(f"  {label:<12}{rate:>12,.0f}")
        print(f"  engine / bare SimPy: {rates['engine'] / rates['bare SimPy']:.2f}  (goal >= 0.8)")
        if "Ciw" in rates:
            print(f"  engine / Ciw:        {rates['engine'] / rates['Ciw']:.2f}  (goal >= 2)")
        else:
            print("  Ciw not installed (pip install -e '.[dev]'): no Ciw figures")


if __name__ == "__main__":
    main()
