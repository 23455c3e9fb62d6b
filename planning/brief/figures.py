"""Gather every figure the brief shows, from the APIs that compute them (nothing new).

* runs of today and each option with the same seed (common random numbers), with case
  records: :func:`model.results.financial_year_table` and
  :func:`model.results.financial_year_case_table` for the financial-year tables,
  :func:`planning.demand.compare_referrals` / :func:`planning.demand.compare_demand` for
  what each option adds;
* :func:`planning.staffing.recommend.search_staffing` for the staff needed, by role, and
  its cost; :func:`first_failures` for when today's staff first miss a target, and
  :func:`recruitment_plan` for when recruitment must start (to have the posts in post by
  that date, or by ``--by``);
* :func:`model.overload.all_stage_waits` for each stage's censored (Kaplan-Meier) waits
  and whether its queue settles or grows without bound, and
  :func:`model.workforce_outputs.workforce_summary` (only with turnover) for posts, FTE
  in post, vacancies and leavers by role and financial year;
* :mod:`planning.brief.sensitivity` (the sweep machinery) for which assumption moves the
  answer most, and :mod:`planning.brief.assumptions` for the register.

Everything runs at small replication counts (``replications``), so a brief takes minutes
on two cores; the method section states the counts.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from concurrent.futures import Executor
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from model import workforce_outputs
from model.engine.workforce import turnover_roles
from model.overload import StageWaits, all_stage_waits
from model.replications import RunResults, process_pool, run_replications
from model.results import (
    financial_year,
    financial_year_case_table,
    financial_year_table,
    package_version,
)
from model.scenario import Scenario, load_scenario, with_overrides
from model.workforce_outputs import has_workforce, workforce_summary
from planning import demand
from planning.brief import assumptions
from planning.brief.sensitivity import run_sensitivity
from planning.staffing.recommend import first_failures, recruitment_plan, search_staffing
from planning.staffing.result import StaffingResult

YEARS = 4
"""Financial years the brief covers (the Force Management Statement looks four years on)."""


@dataclass
class ScenarioFigures:
    """Everything about one scenario (today's or an option)."""

    path: Path
    scenario: Scenario
    run: RunResults
    years: pd.DataFrame  # financial_year_table
    case_years: pd.DataFrame  # financial_year_case_table
    staffing: StaffingResult
    failures: pd.DataFrame
    plan: pd.DataFrame
    by: dt.date
    register: list[assumptions.Entry]
    referrals_added: pd.DataFrame | None = None  # compare_referrals(base, this)
    hours_added: pd.DataFrame | None = None  # compare_demand(base, this)
    waits: dict[str, StageWaits] = field(default_factory=dict)  # model.overload, per stage
    workforce: dict[str, Any] | None = None  # summary.json's workforce block (turnover only)
    workforce_years: pd.DataFrame | None = None  # workforce_outputs.financial_year_table (ditto)


@dataclass
class BriefFigures:
    """The whole brief's figures: today (``base``), the options, the sensitivity."""

    base: ScenarioFigures
    options: list[ScenarioFigures]
    sensitivity: pd.DataFrame
    sensitivity_option: str
    replications: int
    seed: int
    version: str
    command: str
    financial_years: list[int] = field(default_factory=list)

    @property
    def all(self) -> list[ScenarioFigures]:
        return [self.base, *self.options]

    @property
    def turnover_roles(self) -> list[str]:
        """Roles with a turnover block in any compared scenario, in today's order (empty:
        the brief shows no workforce rows)."""
        found = {r for f in self.all for r in turnover_roles(f.scenario)}
        order = [*self.base.scenario.roles, *[r for f in self.options for r in f.scenario.roles]]
        return [r for r in dict.fromkeys(order) if r in found]


def brief_horizon_years(scenario: Scenario, years: int = YEARS) -> float:
    """Horizon covering ``years`` whole financial years from the one the start date is in
    (plus the week that straddles the last year's end)."""
    first = financial_year(scenario.start_date)
    end = dt.date(first + years, 4, 1)
    return ((end - scenario.start_date).days + 7) / 365.0


def _by_date(scenario: Scenario, failures: pd.DataFrame) -> dt.date:
    """The date extra staff are needed in post: when today's staff first put a target at
    risk (not met with confidence), or the start date if they already do."""
    dates = [d for d in failures["first_at_risk_from"].tolist() if d is not None and d == d]
    return max(min(dates), scenario.start_date) if dates else scenario.start_date


def gather(
    base_file: Path,
    option_files: list[Path],
    *,
    replications: int = 10,
    sensitivity_replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    by: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
    command: str = "",
) -> BriefFigures:
    """Run everything the brief needs (the sensitivity sweep's store is a temporary folder:
    its figures are in the brief and ``sensitivity.csv``)."""
    say = progress or (lambda _m: None)
    loaded = [load_scenario(base_file)] + [load_scenario(p) for p in option_files]
    horizon = brief_horizon_years(loaded[0])
    scenarios = [with_overrides(s, {"horizon_years": horizon}, "brief") for s in loaded]
    seed = loaded[0].seed if seed is None else seed
    pool_cm = process_pool(workers) if workers > 1 else nullcontext()
    with pool_cm as pool:
        figures = [
            _one(path, s, replications, seed, workers, pool, by, say)
            for path, s in zip([base_file, *option_files], scenarios, strict=True)
        ]
    base = figures[0]
    for option in figures[1:]:
        option.referrals_added = demand.compare_referrals(base.run, option.run)
        option.hours_added = demand.compare_demand(base.run, option.run)
    focus = figures[1] if len(figures) > 1 else base
    target = _proxy_target(focus.staffing)
    say(f"sensitivity: {focus.scenario.name}, target {target}")
    settings: dict[str, Any] = {"horizon_years": horizon}
    for role, fte in focus.staffing.recommended.items():
        settings[f"roles.{role}.fte"] = fte
        settings[f"roles.{role}.staffing_plan"] = []
    with tempfile.TemporaryDirectory(prefix="acusim-brief-") as store:
        sensitivity = run_sensitivity(
            focus.path,
            focus.scenario,
            settings,
            target,
            Path(store) / "sensitivity",
            sensitivity_replications or replications,
            seed,
            workers,
        )
    years = sorted(set(base.years["financial_year"]))
    years = [
        y
        for y in years
        if int(base.years.loc[base.years.financial_year == y, "weeks"].iloc[0]) >= 26
    ]
    return BriefFigures(
        base=base,
        options=figures[1:],
        sensitivity=sensitivity,
        sensitivity_option=focus.scenario.name,
        replications=replications,
        seed=seed,
        version=package_version(),
        command=command,
        financial_years=years[:YEARS],
    )


def _proxy_target(result: StaffingResult) -> str:
    """The binding target, or else the target with the least room at the answer."""
    if result.binding_target:
        return result.binding_target
    table = result.targets_recommended
    room = (table["mean"] - table["threshold"]).abs() / table["threshold"].abs().clip(lower=1e-9)
    return str(table.loc[room.idxmin(), "target"])


def _one(
    path: Path,
    scenario: Scenario,
    replications: int,
    seed: int,
    workers: int,
    pool: Executor | None,
    by: dt.date | None,
    say: Callable[[str], None],
) -> ScenarioFigures:
    say(f"simulating {scenario.name}: {replications} replications")
    run = run_replications(
        scenario, replications, seed, workers=workers, record_cases=True, executor=pool
    )
    say(f"staffing search: {scenario.name}")
    staffing = search_staffing(
        scenario,
        seed=seed,
        workers=workers,
        replications=replications,
        executor=pool,
        from_date=by,
    )
    failures = first_failures(
        scenario,
        by or scenario.start_date,
        replications=replications,
        seed=seed,
        workers=workers,
        confidence=staffing.confidence,
        executor=pool,
    )
    when = by or _by_date(scenario, failures)
    workforce_years = workforce_outputs.financial_year_table(run) if has_workforce(run) else None
    return ScenarioFigures(
        path=Path(path),
        scenario=scenario,
        run=run,
        years=financial_year_table(run),
        case_years=financial_year_case_table(run),
        staffing=staffing,
        failures=failures,
        plan=recruitment_plan(scenario, staffing, when),
        by=when,
        register=assumptions.register(path),
        waits=all_stage_waits(run),
        workforce=workforce_summary(run, yearly=workforce_years),
        workforce_years=workforce_years,
    )
