"""Staffing answers in posts funded (establishment) as well as FTE in post, given turnover.

With a ``turnover`` block a role's FTE in the scenario is its establishment: people
leave, posts stay vacant while replacements are recruited, and new post-holders learn
(:mod:`model.engine.workforce`). The staffing search then varies the establishment, and
every candidate is simulated with leaving, vacancies and ramp-up, so its answer is
already *the establishment needed so every target is met with the stated confidence*.
What this module adds around the search:

* :func:`analytic_in_posts` - the analytic first guess converted from FTE in post to
  posts, dividing by the long-run effective FTE per post (renewal argument:
  E[tenure] / (E[tenure] + vacancy), less what ramp-up costs). Only the guess moves: the
  floor stays the FTE-in-post floor, a valid lower bound on posts (in post <= posts), so
  no answer is cut off;
* :func:`establishment_table` - for the answer and today's staffing, posts funded beside
  the FTE in post and effective FTE they give (means with CIs over the confirmation
  replications), vacancy share, leavers and hand-overs a year;
* :func:`pipeline_plan` - with ``--by``: when to start recruiting the extra posts, when
  their holders are fully capable, and the replacements a year the establishment needs
  to stay filled (the pipeline does not stop once the posts are funded).

Scenarios without turnover are untouched: every function returns its input or None.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence

import pandas as pd

from model.engine.workforce import (
    effective_fraction,
    in_post_fraction,
    replacement_lead_days,
    turnover_roles,
)
from model.replications import estimate
from model.scenario import Scenario
from planning.staffing.analytic import snap_up


def analytic_in_posts(scenario: Scenario, analytic: pd.DataFrame) -> pd.DataFrame:
    """The analytic table with each turnover role's suggestion in posts (unchanged without
    turnover). Adds ``suggested_fte_in_post`` (the FTE-in-post suggestion),
    ``in_post_fraction`` and ``effective_fraction`` (long-run, per post)."""
    roles = turnover_roles(scenario)
    if not roles:
        return analytic
    table = analytic.copy()
    settings = scenario.staffing_search
    table["suggested_fte_in_post"] = table["suggested_fte"]
    table["in_post_fraction"] = [in_post_fraction(scenario.roles[r]) for r in table["role"]]
    table["effective_fraction"] = [effective_fraction(scenario.roles[r]) for r in table["role"]]
    for i, row in table.iterrows():
        if row["role"] not in roles or row["effective_fraction"] <= 0:
            continue
        step = (
            settings.roles.get(row["role"]) and settings.roles[row["role"]].fte_step
        ) or settings.fte_step
        table.at[i, "suggested_fte"] = snap_up(
            row["suggested_fte_in_post"] / row["effective_fraction"], step
        )
        table.at[i, "basis"] = (
            f"{row['basis']}; in posts: / {row['effective_fraction']:.3f} effective FTE per "
            "post (leaving, vacancies, ramp-up)"
        )
    return table


def establishment_table(
    scenario: Scenario,
    roles: Sequence[str],
    current: Mapping[str, float],
    recommended: Mapping[str, float],
    kpis_current: pd.DataFrame,
    kpis_recommended: pd.DataFrame,
    confidence: float,
) -> pd.DataFrame | None:
    """Per searched role with turnover: posts funded today and recommended, and what they
    give in post (mean, CI, n over the replications given); None without turnover."""
    chosen = [r for r in roles if scenario.roles[r].turnover is not None]
    if not chosen:
        return None
    rows = []
    for role in chosen:
        row = {
            "role": role,
            "title": scenario.roles[role].title,
            "posts_current": current[role],
            "posts_recommended": recommended[role],
            "in_post_fraction_long_run": in_post_fraction(scenario.roles[role]),
            "effective_fraction_long_run": effective_fraction(scenario.roles[role]),
        }
        for label, frame in (("current", kpis_current), ("recommended", kpis_recommended)):
            for figure in (
                "fte_in_post_mean",
                "fte_effective_mean",
                "vacancy_share",
                "leavers_per_year",
                "handovers_per_year",
            ):
                column = f"{figure}.{role}"
                e = estimate(frame.get(column, []), confidence)
                row[f"{figure}_{label}"] = e.mean
                row[f"{figure}_{label}_ci_low"] = e.ci_low
                row[f"{figure}_{label}_ci_high"] = e.ci_high
            row[f"n_{label}"] = e.n
        rows.append(row)
    return pd.DataFrame(rows)


def pipeline_plan(
    scenario: Scenario,
    roles: Sequence[str],
    current: Mapping[str, float],
    recommended: Mapping[str, float],
    workforce: pd.DataFrame | None,
    by: dt.date,
) -> pd.DataFrame | None:
    """With turnover, what having the posts filled by ``by`` takes (None without turnover).

    Per searched role with turnover: extra posts; recruitment must start by ``by`` less the
    role's recruitment lead time for the holders to start on ``by``, and by that less the
    ramp-up for them to be fully capable on ``by``; the replacements a year the recommended
    establishment needs (simulated leavers a year), each taking the replacement lead time."""
    if workforce is None:
        return None
    by_role = workforce.set_index("role")
    rows = []
    for role in roles:
        definition = scenario.roles[role]
        if definition.turnover is None:
            continue
        extra = round(recommended[role] - current[role], 9)
        lead = definition.recruitment_lead_time_days
        ramp = definition.turnover.ramp_up_days
        start = by - dt.timedelta(days=math.ceil(lead)) if extra > 0 else None
        capable = by - dt.timedelta(days=math.ceil(lead + ramp)) if extra > 0 else None
        rows.append(
            {
                "role": role,
                "title": definition.title,
                "extra_posts": extra,
                "recruitment_lead_time_days": lead,
                "ramp_up_days": ramp,
                "start_recruiting_by": start,
                "start_for_full_capacity_by": capable,
                "late": start is not None and start < scenario.start_date,
                "replacements_per_year": by_role.loc[role, "leavers_per_year_recommended"]
                if role in by_role.index
                else math.nan,
                "replacement_lead_time_days": replacement_lead_days(definition),
            }
        )
    return pd.DataFrame(rows) if rows else None


def establishment_note(workforce: pd.DataFrame | None) -> str | None:
    """One plain line on what the recommended posts give in post (None without turnover)."""
    if workforce is None:
        return None
    parts = [
        f"{row['role']} {row['posts_recommended']:g} posts give "
        f"{row['fte_in_post_mean_recommended']:.2f} FTE in post on average "
        f"({row['fte_effective_mean_recommended']:.2f} effective, "
        f"{row['vacancy_share_recommended']:.0%} vacant, "
        f"{row['leavers_per_year_recommended']:.1f} leavers a year)"
        for row in workforce.to_dict("records")
    ]
    return (
        "with turnover, the recommended FTE of these roles are posts funded (establishment): "
        + "; ".join(parts)
    )
