"""Financial-year tables: April to March, whole weeks, adding up to the weekly series."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from model.replications import run_replications
from model.results import (
    financial_year,
    financial_year_case_table,
    financial_year_label,
    financial_year_table,
    week_financial_years,
    write_outputs,
)
from model.scenario import load_scenario, with_overrides
from tests.conftest import TEST_SCENARIOS


@pytest.fixture(scope="module")
def results():
    scenario = load_scenario(TEST_SCENARIOS / "brief_tiny.yaml")
    scenario = with_overrides(scenario, {"horizon_years": 2.5, "start_date": "2027-01-15"}, "t")
    return run_replications(scenario, replications=3, record_cases=True)


def test_a_financial_year_runs_from_april_to_march():
    assert financial_year(dt.date(2028, 3, 31)) == 2027
    assert financial_year(dt.date(2028, 4, 1)) == 2028
    assert financial_year_label(2027) == "2027/28"
    assert financial_year_label(2099) == "2099/00"


def test_each_week_belongs_to_the_year_its_first_day_is_in(results):
    years = week_financial_years(results)
    start = results.scenario.start_date
    assert years[0] == 2026  # 15 January 2027 is in 2026/27
    for k, year in enumerate(years):
        assert financial_year(start + dt.timedelta(days=7 * k)) == year
    table = financial_year_table(results)
    weeks = table.drop_duplicates("financial_year").set_index("financial_year")["weeks"]
    assert weeks.sum() == len(years)
    assert list(weeks.index) == [2026, 2027, 2028, 2029]  # part years at both ends


def test_year_totals_are_sums_of_weeks_per_replication(results):
    years = week_financial_years(results)
    table = financial_year_table(results)
    for year in set(years.tolist()):
        weeks = years == year
        per_rep = [r.series["staff_hours"][weeks].sum() for r in results.replications]
        rows = table[(table.metric == "staff_hours") & (table.financial_year == year)]
        got = rows[rows.key != "all"]["mean"].sum()
        assert rows[rows.key == "all"]["mean"].iloc[0] == pytest.approx(got)
        assert got == pytest.approx(sum(per_rep) / len(per_rep))
        last = int(weeks.nonzero()[0][-1])
        backlog = [
            (r.series["backlog_waiting"][last] + r.series["backlog_in_progress"][last]).sum()
            for r in results.replications
        ]
        row = table[(table.metric == "backlog_end") & (table.key == "all")]
        assert row[row.financial_year == year]["mean"].iloc[0] == pytest.approx(
            sum(backlog) / len(backlog)
        )


def test_categories_add_up_to_referrals_and_every_category_is_listed(results):
    cases = financial_year_case_table(results)
    cats = cases[cases.metric == "referrals_by_category"]
    assert cats.groupby("financial_year")["key"].nunique().eq(12).all()
    refs = financial_year_table(results)
    refs = refs[(refs.metric == "arrivals") & (refs.key == "all")].set_index("financial_year")
    assert cats.groupby("financial_year")["mean"].sum().to_dict() == pytest.approx(
        refs["mean"].to_dict()
    )
    assert set(cases.metric) == {"referrals_by_category", "wait_mean_days", "pcc_open_over_at_end"}


def test_without_case_records_there_is_no_case_table(results):
    plain = run_replications(results.scenario, replications=2)
    assert financial_year_case_table(plain) is None


def test_run_out_writes_the_financial_year_and_category_tables(results, tmp_path):
    written = {p.name for p in write_outputs(results, tmp_path)}
    assert {"financial_years.parquet", "categories.parquet"} <= written
    years = pd.read_parquet(tmp_path / "financial_years.parquet")
    assert {"arrivals", "staff_hours", "fte_needed", "utilisation", "backlog_end"} <= set(
        years.metric
    )
    assert list(years.columns[:3]) == ["financial_year", "label", "weeks"]
    cats = pd.read_parquet(tmp_path / "categories.parquet")
    assert set(cats.metric) == {"referrals_by_category"}
