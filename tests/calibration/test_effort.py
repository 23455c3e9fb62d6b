"""Effort from service times and staffing: the stated assumption, applied exactly."""

from __future__ import annotations

import pytest

from calibration.effort import (
    EffortError,
    FteHistory,
    case_days_in_service,
    derive_role_effort,
    template_touch_share,
)


def test_fte_days_integrate_the_staffing_history() -> None:
    history = FteHistory((0.0, 100.0), (2.0, 3.0))
    assert history.fte_days(0, 200) == pytest.approx(2 * 100 + 3 * 100)
    assert history.fte_days(50, 150) == pytest.approx(2 * 50 + 3 * 50)
    late = FteHistory((30.0,), (4.0,))  # before the first row, its FTE applies
    assert late.fte_days(0, 10) == pytest.approx(40)


def test_case_days_count_open_visits_up_to_the_as_of_time() -> None:
    started = [0.0, 10.0, float("nan"), 90.0]
    finished = [5.0, float("nan"), float("nan"), 120.0]
    assert case_days_in_service(started, finished, 100.0) == pytest.approx(5 + 90 + 10)


def test_a_unit_with_slack_works_cases_for_their_whole_service_time() -> None:
    history = FteHistory((0.0,), (3.0,))
    effort = derive_role_effort("ds", ["a"], {"a": 200.0}, history, 3.4, 0.85, 365.0)
    assert effort.touch == {"a": 1.0}
    assert effort.full_touch_utilisation == pytest.approx(200 / (3 * 365))
    assert effort.implied_utilisation == pytest.approx(200 / (3 * 365))


def test_a_busy_role_shares_its_time_over_time_in_service() -> None:
    history = FteHistory((0.0,), (2.0,))
    case_days = {"a": 1000.0, "b": 3000.0}
    effort = derive_role_effort("dc", ["a", "b"], case_days, history, 3.4, 0.8, 500.0)
    k = 0.8 * 2 * 500 / 4000
    assert effort.touch == pytest.approx({"a": k, "b": k})
    assert effort.implied_utilisation == pytest.approx(0.8)


def test_fixed_touch_shares_come_off_the_budget_first() -> None:
    history = FteHistory((0.0,), (2.0,))
    case_days = {"a": 400.0, "b": 1000.0}
    effort = derive_role_effort(
        "ds", ["a", "b"], case_days, history, 3.0, 0.5, 1000.0, {"b": (0.05, "given")}
    )
    assert effort.touch["b"] == 0.05 and effort.basis["b"] == "given"
    assert effort.touch["a"] == pytest.approx(1.0)  # (1000 - 50) / 400 capped at 1
    with pytest.raises(EffortError, match="already use more than"):
        derive_role_effort(
            "ds", ["a", "b"], case_days, history, 3.0, 0.02, 1000.0, {"b": (0.5, "x")}
        )


def test_no_staff_but_work_done_is_an_error() -> None:
    with pytest.raises(EffortError, match="has no FTE in the window"):
        derive_role_effort("x", ["a"], {"a": 10.0}, FteHistory((0.0,), (0.0,)), 3, 0.85, 100)


def test_template_touch_share_is_work_over_work_plus_delays() -> None:
    # 4 hours at 2 h/day = 2 days of work; delays 0.5 x 20 days = 10 days.
    assert template_touch_share(4.0, 2.0, [(0.5, 20.0)]) == pytest.approx(2 / 12)
