"""Staffing answers in posts funded when people leave, posts fall vacant and starters learn."""

from __future__ import annotations

import datetime as dt

import pytest

from model.engine.workforce import effective_fraction
from planning.staffing.analytic import analytic_staffing
from planning.staffing.establishment import analytic_in_posts, pipeline_plan
from planning.staffing.recommend import search_staffing
from tests.planning.staffing.test_staffing import mmc_scenario

TURNOVER = {
    "leaving_rate_per_year": 1.0,
    "replacement_lead_time_days": 120,
    "ramp_up": [{"months": 2, "effort_share": 0.5}],
}


def test_analytic_guess_is_converted_to_posts_and_the_floor_kept() -> None:
    plain = mmc_scenario()
    churn = mmc_scenario(roles__server__turnover=TURNOVER)
    a, b = analytic_staffing(plain), analytic_in_posts(churn, analytic_staffing(churn))
    assert analytic_in_posts(plain, a) is a  # no turnover: untouched
    fraction = effective_fraction(churn.roles["server"])
    assert 0.6 < fraction < 0.8
    assert b.loc[0, "suggested_fte"] >= a.loc[0, "suggested_fte"] / fraction - 1e-9
    assert b.loc[0, "fte_floor"] == a.loc[0, "fte_floor"]  # posts >= FTE in post: still valid


@pytest.fixture(scope="module")
def answers():
    plain = search_staffing(mmc_scenario(), replications=6, max_fte=14)
    churn = search_staffing(
        mmc_scenario(roles__server__turnover=TURNOVER), replications=6, max_fte=14
    )
    return plain, churn


def test_turnover_needs_more_posts_than_fte_in_post(answers) -> None:
    plain, churn = answers
    assert plain.workforce is None and "establishment" not in plain.to_dict()
    posts = churn.recommended["server"]
    assert posts > plain.recommended["server"]
    row = churn.workforce.iloc[0]
    assert row["posts_recommended"] == posts
    assert row["fte_in_post_mean_recommended"] < posts
    assert row["fte_effective_mean_recommended"] <= row["fte_in_post_mean_recommended"]
    assert 0 < row["vacancy_share_recommended"] < 0.5
    assert churn.to_dict()["establishment"][0]["posts_recommended"] == posts
    assert any("posts funded" in note for note in churn.notes)


def test_pipeline_says_when_to_start_and_how_many_replacements(answers) -> None:
    _, churn = answers
    scenario = mmc_scenario(roles__server__turnover=TURNOVER)
    by = dt.date(2026, 4, 1)
    plan = pipeline_plan(
        scenario, churn.roles, churn.current, churn.recommended, churn.workforce, by
    )
    row = plan.iloc[0]
    assert row["extra_posts"] == churn.recommended["server"] - 3
    assert row["start_recruiting_by"] == by - dt.timedelta(days=120)
    assert row["start_for_full_capacity_by"] == by - dt.timedelta(days=120 + 61)
    assert row["replacements_per_year"] > 0
    assert pipeline_plan(scenario, churn.roles, churn.current, churn.recommended, None, by) is None
