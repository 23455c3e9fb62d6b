"""By when: with today's staff, when each target first fails; when recruitment must start.

Each target is measured period by period as well as over the horizon (the
``target_period.<name>.<k>`` KPIs, :mod:`model.engine.kpis`), so a run with today's
staffing shows the first period in which a target is missed. The recruitment
plan turns a staffing answer into dates: posts needed in post by a date must
be advertised, vetted and trained for before it (each role's
``recruitment_lead_time_days``).
"""

from __future__ import annotations

import datetime as dt
import math
from concurrent.futures import Executor

import pandas as pd

from model.engine.kpis import target_periods
from model.replications import estimate, meets, one_sided_bound, run_replications
from model.scenario import Scenario, with_overrides
from planning.staffing.result import StaffingResult

MAX_HORIZON_YEARS = 30.0
"""The scenario contract's longest horizon (``Scenario.horizon_years``)."""


def first_failures(
    scenario: Scenario,
    until: dt.date,
    *,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    confidence: float | None = None,
    executor: Executor | None = None,
) -> pd.DataFrame:
    """With today's staffing (and its plan), when each target first fails.

    The run covers the scenario's horizon or, if longer, ``until`` plus the horizon (the
    period the staffing from ``until`` is judged over), capped at 30 years. Per target and
    period (``staffing_search.target_period_weeks``): ``first_missed_from`` is the start of
    the first period whose mean is on the wrong side of the threshold, ``first_at_risk_from``
    the first whose one-sided bound is (not met with confidence); None if never."""
    confidence = scenario.staffing_search.confidence if confidence is None else confidence
    seed = scenario.seed if seed is None else seed
    years_to = (until - scenario.start_date).days / 365.0
    horizon = min(max(scenario.horizon_years, years_to + scenario.horizon_years), MAX_HORIZON_YEARS)
    long_run = with_overrides(scenario, {"horizon_years": horizon}, "--by")
    results = run_replications(
        long_run, replications=replications, seed=seed, workers=workers, executor=executor
    )
    frame = results.kpi_frame()
    periods = target_periods(long_run)
    start = pd.Timestamp(long_run.start_date)
    rows = []
    for name, target in long_run.targets.items():
        missed = at_risk = None
        for k, (first_week, _) in enumerate(periods, start=1):
            values = frame[f"target_period.{name}.{k}"]
            e = estimate(values, confidence)
            if e.n == 0:
                continue
            begins = (start + pd.Timedelta(days=7 * first_week)).date()
            if missed is None and not meets(e.mean, target.direction, target.threshold):
                missed = (begins, e)
            bound = one_sided_bound(values, target.direction, confidence)
            if at_risk is None and not meets(bound, target.direction, target.threshold):
                at_risk = begins
        end = (start + pd.Timedelta(days=7 * periods[-1][1])).date()
        rows.append(
            {
                "target": name,
                "description": target.description,
                "direction": target.direction,
                "threshold": target.threshold,
                "first_missed_from": None if missed is None else missed[0],
                "mean_then": math.nan if missed is None else missed[1].mean,
                "ci_low_then": math.nan if missed is None else missed[1].ci_low,
                "ci_high_then": math.nan if missed is None else missed[1].ci_high,
                "first_at_risk_from": at_risk,
                "missed_before_by": missed is not None and missed[0] < until,
                "checked_until": end,
                "n": results.n,
            }
        )
    return pd.DataFrame(rows)


def recruitment_plan(scenario: Scenario, result: StaffingResult, by: dt.date) -> pd.DataFrame:
    """Per searched role: extra FTE, and when recruitment must start to have them in post by
    ``by`` (``by`` less the role's recruitment lead time).

    ``late`` is true when that start falls before the scenario's start date (the model's
    today); ``earliest_in_post`` is then the start date plus the lead time. A negative
    ``extra_fte`` is a surplus against the targets: nothing to recruit."""
    rows = []
    for role in result.roles:
        definition = scenario.roles[role]
        extra = round(result.recommended[role] - result.current[role], 9)
        lead = definition.recruitment_lead_time_days
        start = by - dt.timedelta(days=math.ceil(lead)) if extra > 0 else None
        late = start is not None and start < scenario.start_date
        if start is None:
            earliest = None
        elif late:
            earliest = scenario.start_date + dt.timedelta(days=math.ceil(lead))
        else:
            earliest = by
        cost = definition.cost_per_fte_per_year_gbp or 0.0
        rows.append(
            {
                "role": role,
                "title": definition.title,
                "current_fte": result.current[role],
                "recommended_fte": result.recommended[role],
                "extra_fte": extra,
                "recruitment_lead_time_days": lead,
                "start_recruiting_by": start,
                "in_post_by": by if extra > 0 else None,
                "late": late,
                "earliest_in_post": earliest,
                "extra_cost_per_year_gbp": max(extra, 0.0) * cost,
            }
        )
    return pd.DataFrame(rows)
