"""The staff-in-post view: drawn only with turnover, figures from the model, both languages."""

from __future__ import annotations

import pytest

from app.i18n import use_language
from app.workforce_view import workforce_view
from model.replications import run_replications
from model.scenario import load_scenario, with_overrides
from tests.conftest import SCENARIOS


@pytest.fixture(scope="module")
def runs():
    base = with_overrides(
        load_scenario(SCENARIOS / "baseline_with_turnover.yaml"), {"horizon_years": 1}
    )
    return run_replications(base, replications=3)


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_view_shows_fte_in_post_beside_demand(runs, lang) -> None:
    with use_language(lang):
        view = workforce_view(runs)
    assert view is not None and view.key == "workforce_in_post"
    assert len(view.table) == len(runs.scenario.roles)  # every baseline role has turnover
    frame = runs.kpi_frame()
    shown = view.table.iloc[:, 2].tolist()  # FTE in post, in scenario role order
    expected = [frame[f"fte_in_post_mean.{r}"].mean() for r in runs.scenario.roles]
    assert shown == pytest.approx(expected, abs=0.01)
    assert len(view.figure.data) == 4 * len(runs.scenario.roles)  # band + line, in post/needed


def test_no_view_without_turnover(baseline) -> None:
    short = with_overrides(baseline, {"horizon_years": 0.5})
    assert workforce_view(run_replications(short, replications=2)) is None
