"""Synthetic extracts: a scenario simulated and written in the case-extract format.

A synthetic extract has *known* true parameters, which is what a round-trip test of
calibration needs, and it lets people practise calibration without touching real case
data. It is one replication of the engine (``model.engine.unit.run_replication`` with case
records) over the years before the as-of date, with no initial backlog and no warm-up
(the unit's records start empty, as a new case system's would), written exactly as
docs/case-extract.md describes. Identifiers are synthetic (``R000001``); nothing else
about a case is written.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from calibration.extract import EVENT_COLUMNS, REFERRAL_COLUMNS, STAFFING_COLUMNS
from model.engine.unit import run_replication, staffing_schedule
from model.scenario import Scenario, with_overrides

DAYS_PER_YEAR = 365.0


@dataclass
class SyntheticExtract:
    """The three tables of an extract, as the CSV files hold them (all text)."""

    referrals: pd.DataFrame
    events: pd.DataFrame
    staffing: pd.DataFrame
    scenario: Scenario
    """The scenario as simulated (dates moved to the window, backlog removed)."""

    def write(self, directory: Path) -> list[Path]:
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for name, frame in (
            ("referrals.csv", self.referrals),
            ("stage_events.csv", self.events),
            ("staffing.csv", self.staffing),
        ):
            path = directory / name
            frame.to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
            written.append(path)
        return written


def window_scenario(scenario: Scenario, years: float, as_of: dt.date) -> Scenario:
    """The scenario over the ``years`` before ``as_of``: empty at the start, no warm-up."""
    start = as_of - dt.timedelta(days=round(years * DAYS_PER_YEAR))
    return with_overrides(
        scenario,
        {
            "start_date": start.isoformat(),
            "horizon_years": (as_of - start).days / DAYS_PER_YEAR,
            "warmup_days": 0,
            "initial_backlog": [],
        },
        "synth",
    )


def _stamp(origin: dt.datetime, days: float) -> str:
    """A simulation time as local date and time to the minute (floored: keeps order)."""
    if days is None or not math.isfinite(days):
        return ""
    minutes = math.floor(days * 1440.0 + 1e-6)
    return (origin + dt.timedelta(minutes=minutes)).isoformat(timespec="minutes")


def synthesise(
    scenario: Scenario, years: float, as_of: dt.date, seed: int | None = None
) -> SyntheticExtract:
    """Simulate ``years`` up to ``as_of`` and turn the case records into an extract."""
    sim = window_scenario(scenario, years, as_of)
    result = run_replication(sim, sim.seed if seed is None else seed, 0, record_cases=True)
    cases = result.cases
    assert cases is not None
    origin = dt.datetime.combine(sim.start_date, dt.time())
    ids = {cid: f"R{i + 1:06d}" for i, cid in enumerate(sorted(cases["case_id"].unique()))}

    firsts = cases.drop_duplicates("case_id").sort_values(["received_day", "case_id"])
    referrals = pd.DataFrame(
        {
            "referral_id": firsts["case_id"].map(ids),
            "received_at": [_stamp(origin, d) for d in firsts["received_day"]],
            "source": firsts["source"],
            "category": firsts["category"],
            "apsp": np.where(firsts["apsp"].astype(bool), "true", "false"),
            "priority": firsts["priority"],
        },
        columns=list(REFERRAL_COLUMNS),
    )
    visits = cases.loc[cases["stage"].notna()].sort_values(["case_id", "queued_day", "visit"])
    events = pd.DataFrame(
        {
            "referral_id": visits["case_id"].map(ids),
            "stage": visits["stage"],
            "queued_at": [_stamp(origin, d) for d in visits["queued_day"]],
            "started_at": [_stamp(origin, d) for d in visits["allocated_day"]],
            "finished_at": [_stamp(origin, d) for d in visits["left_day"]],
            "outcome": [n if isinstance(n, str) else "" for n in visits["next"]],
        },
        columns=list(EVENT_COLUMNS),
    )
    return SyntheticExtract(referrals, events, _staffing(sim, origin), sim)


def _staffing(sim: Scenario, origin: dt.datetime) -> pd.DataFrame:
    """Each role's FTE at the window start and at every change inside the window."""
    rows = []
    end = sim.horizon_days
    for role in sim.roles:
        last = None
        for day, fte in staffing_schedule(sim, role):
            if day >= end or fte == last:
                continue
            date = (origin + dt.timedelta(days=math.ceil(day))).date()
            if rows and rows[-1][0] == role and rows[-1][1] == date.isoformat():
                rows[-1] = (role, date.isoformat(), f"{fte:g}")
            else:
                rows.append((role, date.isoformat(), f"{fte:g}"))
            last = fte
    return pd.DataFrame(rows, columns=list(STAFFING_COLUMNS))
