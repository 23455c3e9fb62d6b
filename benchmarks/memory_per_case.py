"""Memory per simulated case: peak RSS of one replication at 10x and 100x the baseline's demand.

The baseline's referral rates, monitored devices, staff (FTE) and open caseload are all
multiplied by the same factor, so the unit is as loaded as the baseline and the run simply
holds more cases. Each size runs in a fresh process: the peak resident set size
(``ru_maxrss``) after loading the scenario is subtracted from the peak after one
replication, and the growth between the two sizes divided by the growth in cases is the
memory a simulated case costs (fixed costs cancel). Issue 12's figure before the change: about
1.1 KB a case (per-case random numbers held as Python lists for the whole run).

    .venv/bin/python benchmarks/memory_per_case.py [--years Y] [--factors 10 100]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _measure(factor: float, years: float) -> dict[str, float]:
    code = """
import json, resource, sys
from model.scenario import load_scenario, scenario_from_mapping
from model.engine.unit import run_replication

factor, years = float(sys.argv[1]), float(sys.argv[2])
data = load_scenario("scenarios/baseline.yaml").model_dump(mode="json", by_alias=True)
data["horizon_years"] = years
for source in data["sources"].values():
    if source.get("rate_per_week") is not None:
        source["rate_per_week"] *= factor
    if source.get("devices_covered") is not None:
        source["devices_covered"] = round(source["devices_covered"] * factor)
        for step in source.get("rollout") or []:
            step["devices"] = round(step["devices"] * factor)
for role in data["roles"].values():
    role["fte"] *= factor
    for change in role.get("staffing_plan") or []:
        change["change_fte"] *= factor
for entry in data.get("initial_backlog") or []:
    entry["waiting"] = round(entry["waiting"] * factor)
    entry["in_progress"] = round(entry["in_progress"] * factor)
scenario = scenario_from_mapping(data, "scaled baseline")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
kpis = run_replication(scenario, 1, 0).kpis
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"cases": kpis["cases_created"], "before_kb": before, "after_kb": after}))
"""
    result = subprocess.run(
        [sys.executable, "-c", code, str(factor), str(years)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=float, default=1.0)
    parser.add_argument("--factors", type=float, nargs=2, default=[10.0, 100.0])
    args = parser.parse_args()
    small, large = (_measure(f, args.years) for f in args.factors)
    for factor, m in zip(args.factors, (small, large), strict=True):
        grown = (m["after_kb"] - m["before_kb"]) * 1024
        print(
            f"{factor:g}x demand, {args.years:g} year(s): {m['cases']:,.0f} cases, "
            f"peak RSS grew {grown / 2**20:,.1f} MiB during the run "
            f"({grown / m['cases']:,.0f} bytes a case, fixed costs included)"
        )
    slope = (large["after_kb"] - small["after_kb"]) * 1024 / (large["cases"] - small["cases"])
    print(f"memory per additional simulated case: {slope:,.0f} bytes")


if __name__ == "__main__":
    main()
