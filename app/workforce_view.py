"""Staff in post beside demand: FTE in post week by week for roles whose people leave.

A commissioner who funds "+1 DC" and sees the backlog still grow will ask why: posts
funded are not people in post. For roles with a turnover block (people leave, posts stay
vacant while replacements are recruited, new starters learn) this view draws the FTE in
post over time with its confidence band, beside the FTE the role's work needs at 100%
busy (staff-hours a year / one FTE's casework hours, from ``planning.demand``). Without
turnover there is nothing to show and the view is None.
"""

from __future__ import annotations

import pandas as pd

from app import charts, views
from app.formatting import level
from app.i18n import number, percent, t
from model.replications import RunResults
from model.workforce_outputs import has_workforce
from planning.demand import demand_by_role

WEEKS_PER_YEAR = 52


def workforce_view(results: RunResults) -> views.View | None:
    """FTE in post by role over time, and what the work needs; None without turnover."""
    if not has_workforce(results):
        return None
    scenario = results.scenario
    roles = [r for r, role in scenario.roles.items() if role.turnover is not None]
    weekly = results.weekly("fte_in_post")
    weekly = weekly[weekly["key"].isin(roles)].copy()
    weekly["x"] = weekly["week"] / WEEKS_PER_YEAR
    weekly["series"] = [
        t("workforce.series_in_post", role=views.role_name(scenario, r)) for r in weekly["key"]
    ]
    needed = demand_by_role(results).set_index("role")
    lines = [weekly]
    for role in roles:
        row = needed.loc[role]
        flat = weekly[weekly["key"] == role][["x"]].copy()
        flat["series"] = t("workforce.series_needed", role=views.role_name(scenario, role))
        flat["mean"], flat["ci_low"], flat["ci_high"] = (
            row["fte"],
            row["fte_ci_low"],
            row["fte_ci_high"],
        )
        lines.append(flat)
    figure = charts.lines_with_bands(
        pd.concat(lines, ignore_index=True),
        title=t("workforce.title"),
        x_title=views.x_title(scenario),
        y_title=t("workforce.axis"),
    )
    est = results.estimates()
    rows = []
    for role in roles:
        in_post = est[f"fte_in_post_mean.{role}"]
        rows.append(
            {
                "label": views.role_name(scenario, role),
                "posts": est[f"establishment_mean.{role}"].mean,
                "mean": in_post.mean,
                "ci_low": in_post.ci_low,
                "ci_high": in_post.ci_high,
                "n": in_post.n,
                "effective": est[f"fte_effective_mean.{role}"].mean,
                "vacancy": est[f"vacancy_share.{role}"].mean,
                "leavers": est[f"leavers_per_year.{role}"].mean,
                "needed": float(needed.loc[role, "fte"]),
            }
        )
    frame = pd.DataFrame(rows)
    worst = frame.loc[frame["vacancy"].idxmax()]
    reading = t(
        "workforce.reading",
        role=worst["label"],
        posts=number(worst["posts"], 1),
        in_post=number(worst["mean"], 2),
        ci=t(
            "ui.ci",
            level=level(),
            low=number(worst["ci_low"], 2),
            high=number(worst["ci_high"], 2),
            n=int(worst["n"]),
        ),
        vacancy=percent(worst["vacancy"]),
        effective=number(worst["effective"], 2),
        needed=number(worst["needed"], 2),
    )
    shown = views.data_table(
        frame,
        {
            "label": "cols.role",
            "posts": "workforce.col_posts",
            "mean": "workforce.col_in_post",
            "ci_low": "cols.ci_low",
            "ci_high": "cols.ci_high",
            "n": "cols.n",
            "effective": "workforce.col_effective",
            "vacancy": "workforce.col_vacancy",
            "leavers": "workforce.col_leavers",
            "needed": "workforce.col_needed",
        },
        2,
    )
    return views.View(
        "workforce_in_post",
        t("workforce.title"),
        figure,
        shown,
        reading,
        t("workforce.note", level=level(), n=results.n),
    )
