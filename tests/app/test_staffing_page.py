"""The Staffing page (issue #15's Staffing items and #13's progress and cancel): the default
"in post from" date, no "↑ £0" on a zero change, a progress bar with Cancel while the search
runs, and the answer with a verdict once it is done."""

from __future__ import annotations

import datetime as dt
import time

from app import staffing_words as words
from app.i18n import catalogue
from model.scenario import load_scenario
from tests.app.conftest import click, fast_app, go, open_app
from tests.conftest import SCENARIOS

EN = catalogue("en")
BASELINE = load_scenario(SCENARIOS / "baseline.yaml")
JOB_KEY = "state:staffing_job"


def wait_for_search(at, timeout: float = 240):
    """Rerun the page until the background search has finished (as the fragment would)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        job = at.session_state[JOB_KEY] if JOB_KEY in at.session_state else None  # noqa: SIM401
        if job is None or job.done:
            break
        time.sleep(0.25)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_in_post_defaults_to_the_start_plus_the_longest_lead_time():
    at = go(fast_app(), "staffing")
    worked = {stage.role for stage in BASELINE.stages.values() if stage.role}
    roles = [
        r for r, role in BASELINE.roles.items() if role.cost_per_fte_per_year_gbp and r in worked
    ]
    lead = max(BASELINE.roles[r].recruitment_lead_time_days for r in roles)
    expected = BASELINE.start_date + dt.timedelta(days=lead)
    assert words.default_in_post(BASELINE, roles) == expected
    assert at.date_input(key="widget:staff_in_post").value == expected


def test_a_zero_change_shows_no_cost_delta():
    assert words.cost_delta(501_000, 501_000) is None
    assert words.cost_delta(501_000, 501_000.4) is None
    assert words.cost_delta(501_000, 546_000) == "+£45,000"
    assert words.cost_delta(546_000, 501_000) == "−£45,000"


def test_a_change_is_written_with_its_sign():
    assert words.signed(2, str) == "+2"
    assert words.signed(-1.5, str) == "−1.5"
    assert words.signed(0, str) == "0"


def test_time_left_in_words():
    assert words.time_left(None) == ("staffing_page.left_unknown", None)
    assert words.time_left(12.2) == ("staffing_page.left_seconds", 12)
    assert words.time_left(61) == ("staffing_page.left_minutes", 2)


def test_the_search_shows_progress_and_can_be_cancelled():
    at = go(fast_app(), "staffing")
    click(at, "widget:staff_run")
    assert at.get("progress"), "no progress bar while the search runs"
    cancel = at.button(key="widget:staff_cancel")
    assert cancel.label == EN["staffing_page.cancel"]
    cancel.click().run()
    wait_for_search(at)
    assert any(EN["staffing_page.cancelled"] == i.value for i in at.info)
    assert not at.metric  # no answer shown


def test_a_finished_search_shows_a_verdict_and_the_recruitment_table():
    at = go(fast_app(), "staffing")
    roles_key = next(w.key for w in at.multiselect if w.key.startswith("widget:staff_roles:"))
    at.multiselect(key=roles_key).set_value(["ds"])
    at.toggle(key="widget:staff_auto").set_value(False).run()
    at.number_input(key="widget:staff_runs").set_value(3)
    click(at, "widget:staff_run")
    wait_for_search(at)
    texts = " ".join(m.value for m in at.markdown)
    assert EN["staffing_page.status_met"] in texts or EN["staffing_page.status_missed"] in texts
    for metric in at.metric:
        assert metric.delta is None or "£0" not in str(metric.delta)
    plan = next(df.value for df in at.dataframe if EN["cols.start_by"] in df.value.columns)
    assert EN["cols.earliest"] in plan.columns


def test_an_unexpected_error_in_the_search_is_said_in_plain_words(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a fault the page did not foresee")

    monkeypatch.setattr("planning.staffing.recommend.search_staffing", broken)
    at = go(fast_app(), "staffing")
    click(at, "widget:staff_run")
    if not at.error:  # said once, on the first run that finds the search over
        wait_for_search(at)
    assert [e.value for e in at.error] == [EN["staffing_page.failed"]]
    assert not at.metric  # no answer shown


def test_the_option_defaults_to_the_one_picked_on_the_compare_page():
    at = go(open_app(), "compare")
    at.multiselect(key="widget:compare_pick:en").set_value(
        ["__current__", "no_monitoring.yaml"]
    ).run()
    go(at, "staffing")
    assert at.selectbox(key="widget:staff_option:en").value == "no_monitoring.yaml"
