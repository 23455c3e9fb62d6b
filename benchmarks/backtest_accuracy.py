"""Backtest accuracy on extracts the engine did not make.

A calibrated model earns trust only if, fitted on the history up to a cut, it forecasts
what then happened. Testing that on the engine's own output (``acusim synth``) is
circular, so this script writes extracts with a small *independent* generator: a plain
Python/numpy event-driven queueing system (nothing from ``model/``), with known staffing:

* two Poisson sources; complaints step up by ``GO_LIVE_FACTOR`` at a go-live;
* assessment: ``ds`` detective sergeants, one case each at a time, gamma service, FIFO;
  a share of cases goes on to investigation, the rest close;
* investigation: each ``dc`` investigator holds up to ``CAP`` cases; a case holds its place
  for a lognormal time; cases wait FIFO for a place;
* a staffing uplift (more DSs and DCs) after the cut.

For each seed it runs ``acusim backtest``'s function (cut before the uplift) and prints
the share of weeks in which the 95% band held the actual weekly backlog of each stage
(waiting and in progress), and the mean forecast of open investigations against what
happened. Goal (issue #11): every backlog series covered in >= 90% of weeks; open
investigations within 10%.

    .venv/bin/python benchmarks/backtest_accuracy.py [--seeds 4] [--first-seed 1]
        [--replications 40] [--no-input-uncertainty]
"""

from __future__ import annotations

import argparse
import datetime as dt
import heapq
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

import numpy as np

START = dt.datetime(2022, 1, 1)
AS_OF = dt.date(2024, 7, 1)
GO_LIVE = dt.date(2022, 10, 1)
UPLIFT = dt.date(2024, 3, 1)
CUT = dt.date(2024, 1, 1)
RATES = {"complaints": 6.0, "reporting_line": 2.0}  # per week
GO_LIVE_FACTOR = 1.6
ASSESS_MEAN, ASSESS_CV = 1.4, 0.8  # days of one DS's time
TO_INVESTIGATION = 0.35
INV_MEAN, INV_CV = 90.0, 0.8  # days a case holds an investigator's place
CAP = 5
STAFF = {"ds": (3, 4), "dc": (12, 14)}  # before and after the uplift


def generate(seed: int, directory: Path) -> None:
    """Write referrals.csv, stage_events.csv and staffing.csv for one history."""
    rng = np.random.default_rng(seed)
    end = (dt.datetime.combine(AS_OF, dt.time()) - START).total_seconds() / 86400
    go_live = (dt.datetime.combine(GO_LIVE, dt.time()) - START).days
    uplift = (dt.datetime.combine(UPLIFT, dt.time()) - START).days
    arrivals = []
    for source, rate in RATES.items():
        t = 0.0
        while True:
            factor = GO_LIVE_FACTOR if (source == "complaints" and t >= go_live) else 1.0
            t += rng.exponential(7.0 / (rate * factor))
            if t >= end:
                break
            arrivals.append((t, source))
    arrivals.sort()
    events: list[tuple[float, int, str, tuple]] = []
    seq = 0

    def push(t: float, kind: str, data: tuple) -> None:
        nonlocal seq
        heapq.heappush(events, (t, seq, kind, data))
        seq += 1

    for i, (t, _) in enumerate(arrivals):
        push(t, "arrive", (i,))
    push(float(uplift), "uplift", ())
    servers = {"ds": STAFF["ds"][0], "dc": STAFF["dc"][0] * CAP}
    busy = {"ds": 0, "dc": 0}
    queues = {"ds": deque(), "dc": deque()}
    visits: dict[tuple[int, str], list] = {}
    shape_a = 1 / ASSESS_CV**2
    sigma = np.sqrt(np.log1p(INV_CV**2))
    mu = np.log(INV_MEAN) - sigma**2 / 2

    def start(role: str, now: float) -> None:
        while queues[role] and busy[role] < servers[role]:
            i = queues[role].popleft()
            busy[role] += 1
            stage = "assessment" if role == "ds" else "investigation"
            visits[(i, stage)][1] = now
            if role == "ds":
                duration = rng.gamma(shape_a, ASSESS_MEAN / shape_a)
            else:
                duration = rng.lognormal(mu, sigma)
            push(now + duration, "done", (i, role))

    while events:
        now, _, kind, data = heapq.heappop(events)
        if now >= end:
            break
        if kind == "arrive":
            (i,) = data
            visits[(i, "assessment")] = [now, None, None, ""]
            queues["ds"].append(i)
            start("ds", now)
        elif kind == "uplift":
            servers = {"ds": STAFF["ds"][1], "dc": STAFF["dc"][1] * CAP}
            start("ds", now)
            start("dc", now)
        else:
            i, role = data
            busy[role] -= 1
            if role == "ds":
                nxt = "investigation" if rng.random() < TO_INVESTIGATION else "no_further_action"
                visits[(i, "assessment")][2:] = [now, nxt]
                if nxt == "investigation":
                    visits[(i, "investigation")] = [now, None, None, ""]
                    queues["dc"].append(i)
                    start("dc", now)
            else:
                out = "misconduct" if rng.random() < 0.3 else "no_case_to_answer"
                visits[(i, "investigation")][2:] = [now, out]
            start(role, now)

    def stamp(days: float | None) -> str:
        if days is None:
            return ""
        return (START + dt.timedelta(minutes=int(days * 1440))).isoformat(timespec="minutes")

    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / "referrals.csv", "w") as f:
        f.write("referral_id,received_at,source,category,apsp,priority\n")
        for i, (t, source) in enumerate(arrivals):
            category = rng.choice(["abuse_of_authority", "other"])
            priority = rng.choice(["high", "medium", "low"])
            f.write(f"R{i:06d},{stamp(t)},{source},{category},false,{priority}\n")
    with open(directory / "stage_events.csv", "w") as f:
        f.write("referral_id,stage,queued_at,started_at,finished_at,outcome\n")
        for (i, stage), (q, s, d, out) in sorted(visits.items()):
            f.write(f"R{i:06d},{stage},{stamp(q)},{stamp(s)},{stamp(d)},{out}\n")
    with open(directory / "staffing.csv", "w") as f:
        f.write("role,from_date,fte\n")
        for role, (before, after) in STAFF.items():
            f.write(f"{role},{START.date()},{before}\n{role},{UPLIFT},{after}\n")


def template():
    from model.scenario import scenario_from_mapping

    role = {"contracted_hours_per_week": 40, "abstraction_rate": 0.3, "casework_share": 0.85}
    mix = {"category": {"other": 1.0}, "apsp_probability": 0.0, "priority": {"medium": 1.0}}
    return scenario_from_mapping(
        {
            "name": "template",
            "start_date": "2024-07-01",
            "horizon_years": 1,
            "roles": {
                "ds": {"title": "DS", "fte": 3, **role},
                "dc": {"title": "DC", "fte": 12, "caseload_cap_per_fte": CAP, **role},
            },
            "sources": {
                s: {
                    "title": s,
                    "kind": "rate",
                    "rate_per_week": r,
                    "entry_stage": "assessment",
                    "mix": mix,
                }
                for s, r in RATES.items()
            },
            "stages": {
                "assessment": {
                    "title": "Assessment",
                    "role": "ds",
                    "effort_hours": {"dist": "exponential", "mean": 5},
                    "routing": {"default": {"investigation": 0.35, "no_further_action": 0.65}},
                },
                "investigation": {
                    "title": "Investigation",
                    "role": "dc",
                    "holds_caseload": True,
                    "effort_hours": {"dist": "exponential", "mean": 50},
                    "routing": {"default": {"misconduct": 0.3, "no_case_to_answer": 0.7}},
                },
            },
            "outcomes": ["no_further_action", "misconduct", "no_case_to_answer"],
        },
        "template",
    )


def open_split(extract, bt, stage: str = "investigation") -> dict[str, tuple[float, float]]:
    """Mean open visits of ``stage`` over the weeks, (actual, forecast), split into those
    open at the cut and those that arrived after it: where a forecast error comes from.
    Days count from the cut, the weeks are the backtest's (calibration.backtest)."""
    from calibration.backtest import cut_day, weekly_ends

    cut = cut_day(extract, bt.cut)
    ends = weekly_ends(0.0, len(bt.week_endings))
    ev = extract.events.loc[extract.events["stage"] == stage]
    queued = ev["queued"].to_numpy(dtype=float) - cut
    finished = np.nan_to_num(ev["finished"].to_numpy(dtype=float), nan=np.inf) - cut

    def split(q: np.ndarray, f: np.ndarray) -> tuple[float, float]:
        open_ = (q[None, :] <= ends[:, None]) & (f[None, :] > ends[:, None])
        return float((open_ & (q < 0)).sum(1).mean()), float((open_ & (q >= 0)).sum(1).mean())

    actual = split(queued, finished)
    sims = []
    for r in bt.runs:
        c = r.cases.loc[r.cases["stage"] == stage]
        sims.append(
            split(
                c["queued_day"].to_numpy(dtype=float),
                np.nan_to_num(c["left_day"].to_numpy(dtype=float), nan=np.inf),
            )
        )
    forecast = np.mean(sims, axis=0)
    return {
        "open at the cut": (actual[0], float(forecast[0])),
        "arrived after": (actual[1], float(forecast[1])),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--first-seed", type=int, default=1)
    parser.add_argument(
        "--replications", type=int, default=None, help="default: the backtest's own"
    )
    parser.add_argument(
        "--no-input-uncertainty",
        action="store_true",
        help="process randomness only (the backtest's default is one bootstrap refit per "
        "replication: a predictive band)",
    )
    args = parser.parse_args()
    from calibration.backtest import DEFAULT_REPLICATIONS, run_backtest
    from calibration.extract import read_extract

    rows = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        with tempfile.TemporaryDirectory() as tmp:
            d = Path(tmp)
            generate(seed, d)
            extract = read_extract(
                d / "referrals.csv", d / "stage_events.csv", d / "staffing.csv", AS_OF
            )
            began = time.perf_counter()
            bt = run_backtest(
                extract,
                CUT,
                template=template(),
                replications=args.replications or DEFAULT_REPLICATIONS,
                seed=seed,
                input_uncertainty=not args.no_input_uncertainty,
                keep_runs=True,
            )
            took = time.perf_counter() - began
        cover = {b.label: b.coverage for b in bt.bands if b.series.startswith("backlog")}
        inv = [b for b in bt.bands if b.series.startswith("backlog") and b.key == "investigation"]
        actual = float(sum(b.actual for b in inv).mean())
        forecast = float(sum(b.mean for b in inv).mean())
        rows.append((seed, cover, actual, forecast))
        print(f"seed {seed}: verdict {bt.verdict} ({bt.replications} replications, {took:.0f} s)")
        for label, share in cover.items():
            print(f"  {label:36s} weeks in 95% band {share:5.0%}")
        print(
            f"  open investigations: forecast {forecast:.1f}, actual {actual:.1f} "
            f"({forecast / actual - 1:+.1%})"
        )
        for part, (a, f) in open_split(extract, bt).items():
            print(f"    {part:16s} forecast {f:5.1f}, actual {a:5.1f}")
    worst = min(min(c.values()) for _, c, _, _ in rows)
    met = sum(min(c.values()) >= 0.9 for _, c, _, _ in rows)
    errors = [f / a - 1 for _, _, a, f in rows]
    print(
        f"\nSummary over {len(rows)} extracts: every backlog series covered in >= 90% of weeks "
        f"on {met} of {len(rows)}; lowest backlog coverage {worst:.0%}; open investigations "
        f"forecast error {np.mean(np.abs(errors)):.1%} mean absolute, {np.mean(errors):+.1%} "
        f"mean, within 10% on {sum(abs(e) <= 0.1 for e in errors)} of {len(rows)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
