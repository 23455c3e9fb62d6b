"""Common random numbers make paired differences sharper than independent runs."""

from __future__ import annotations

import numpy as np
import pytest

from model.compare import paired_differences, run_paired
from model.replications import run_replications
from model.scenario import load_scenario, with_overrides
from tests.conftest import SCENARIOS


def test_monitoring_difference_is_sharper_with_common_random_numbers(baseline) -> None:
    without = load_scenario(SCENARIOS / "no_monitoring.yaml")
    base, other = run_paired([baseline, without], replications=6)
    diff = paired_differences(base, other, ["referrals_total", "staff_hours_per_year.ds"])
    # Switching monitoring off removes referrals: a clearly negative difference.
    assert diff.loc["referrals_total", "ci_high"] < 0
    # The other sources' arrivals are identical in both (their own streams):
    a, b = base.kpi_frame(), other.kpi_frame()
    assert (a["arrivals.confidential_reporting"] == b["arrivals.confidential_reporting"]).all()
    # Independent seeds give a much wider interval for the same difference.
    independent = run_replications(without, replications=6, seed=baseline.seed + 1)
    spread_crn = (b["staff_hours_per_year.ds"] - a["staff_hours_per_year.ds"]).std()
    spread_ind = (
        independent.kpi_frame()["staff_hours_per_year.ds"].to_numpy()
        - a["staff_hours_per_year.ds"].to_numpy()
    ).std()
    assert spread_crn < 0.6 * spread_ind


def test_paired_differences_need_the_same_seed(baseline) -> None:
    a = run_replications(baseline, replications=2, seed=1)
    b = run_replications(baseline, replications=2, seed=2)
    with pytest.raises(ValueError, match="same seed"):
        paired_differences(a, b)


def test_identical_scenarios_differ_by_exactly_zero(baseline) -> None:
    twin = with_overrides(baseline, {"name": "twin"})
    a, b = run_paired([baseline, twin], replications=2)
    diff = paired_differences(a, b)
    assert np.allclose(diff["difference"].fillna(0), 0)
