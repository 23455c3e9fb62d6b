"""Workforce figures across replications: FTE in post, effective FTE, vacancies, leavers.

The engine (:mod:`model.engine.workforce`) records, per replication and per role with a
turnover block, the time-averaged establishment, FTE in post and effective FTE, the
vacancy share and the leavers, starters and hand-overs, over the window and per financial
year (``fte_in_post_fy.<role>.<2027-28>`` ...). This module gathers them into the
``workforce`` block of ``summary.json`` and the tables of ``acusim run`` and the app,
each figure a mean with its confidence interval and n. Scenarios without turnover have
no such KPIs, and no block: their summaries are unchanged.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from model.engine.workforce import turnover_roles
from model.replications import DEFAULT_CONFIDENCE, RunResults, estimate

ROLE_FIGURES = (
    "establishment_mean",
    "fte_in_post_mean",
    "fte_effective_mean",
    "vacancy_share",
    "leavers_per_year",
    "starters_per_year",
    "handovers_per_year",
    "handovers_queued_per_year",
)
"""Whole-window KPIs per role (``<figure>.<role>``)."""

YEAR_FIGURES = {
    "fte_in_post": "fte_in_post_fy",
    "fte_effective": "fte_effective_fy",
    "vacancy_share": "vacancy_share_fy",
    "leavers": "leavers_fy",
    "handovers": "handovers_fy",
}
"""Per financial year (``<kpi>.<role>.<year>``): name in the summary -> KPI prefix."""


def has_workforce(results: RunResults) -> bool:
    return bool(turnover_roles(results.scenario))


def workforce_table(results: RunResults, confidence: float = DEFAULT_CONFIDENCE) -> pd.DataFrame:
    """One row per (role, figure): mean, CI, n over the reporting window."""
    frame = results.kpi_frame()
    rows = []
    for role in turnover_roles(results.scenario):
        for figure in ROLE_FIGURES:
            e = estimate(frame[f"{figure}.{role}"], confidence)
            rows.append({"role": role, "figure": figure, **e.__dict__})
    return pd.DataFrame(rows)


def financial_year_table(
    results: RunResults, confidence: float = DEFAULT_CONFIDENCE
) -> pd.DataFrame:
    """One row per (role, financial year, figure): mean, CI, n (leavers and hand-overs are
    counts in the part of the year inside the window; FTE and vacancy are time-averages)."""
    frame = results.kpi_frame()
    rows = []
    for role in turnover_roles(results.scenario):
        prefix = f"{YEAR_FIGURES['fte_in_post']}.{role}."
        years = [c[len(prefix) :] for c in frame.columns if c.startswith(prefix)]
        for year in years:
            for figure, kpi in YEAR_FIGURES.items():
                e = estimate(frame[f"{kpi}.{role}.{year}"], confidence)
                rows.append({"role": role, "financial_year": year, "figure": figure, **e.__dict__})
    return pd.DataFrame(rows)


def workforce_summary(
    results: RunResults,
    confidence: float = DEFAULT_CONFIDENCE,
    yearly: pd.DataFrame | None = None,
) -> dict[str, Any] | None:
    """The ``workforce`` block of summary.json (None without turnover): per role, today's
    establishment, the whole-window figures and the financial years, each with its CI.
    ``yearly``: :func:`financial_year_table` of the same results and confidence, when the
    caller has it already (the brief keeps it for its CSV files)."""
    if not has_workforce(results):
        return None
    scenario = results.scenario
    whole = workforce_table(results, confidence)
    if yearly is None:
        yearly = financial_year_table(results, confidence)
    block: dict[str, Any] = {}
    for role in turnover_roles(scenario):
        mine = whole[whole["role"] == role].set_index("figure")
        years = []
        by_year = yearly[yearly["role"] == role]
        for year, group in by_year.groupby("financial_year", sort=False):
            figures = group.set_index("figure")
            years.append(
                {
                    "financial_year": year,
                    **{f: _estimate_dict(figures.loc[f]) for f in YEAR_FIGURES},
                }
            )
        block[role] = {
            "establishment_at_start": scenario.roles[role].fte,
            **{f: _estimate_dict(mine.loc[f]) for f in ROLE_FIGURES},
            "financial_years": years,
        }
    return block


def _estimate_dict(row: pd.Series) -> dict[str, Any]:
    def clean(x: Any) -> Any:
        x = float(x)
        return None if x != x else x

    return {
        "mean": clean(row["mean"]),
        "ci_low": clean(row["ci_low"]),
        "ci_high": clean(row["ci_high"]),
        "half_width": clean(row["half_width"]),
        "n": int(row["n"]),
    }
