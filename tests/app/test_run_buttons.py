"""No Run button where nothing would run (issue 15): a page's Run button goes as soon as
it is pressed (``runs.run_button``), so the results never sit under a button that would
run nothing new; it comes back only when there is something new to run."""

from __future__ import annotations

from app.i18n import catalogue
from tests.app.conftest import click, fast_app, go

EN = catalogue("en")


def buttons(at, key: str) -> list:
    return [b for b in at.button if b.key == key]


def test_compare_run_button_goes_after_the_run_and_returns_for_a_new_pick():
    at = go(fast_app(), "compare")
    assert buttons(at, "widget:compare_run")
    click(at, "widget:compare_run")
    assert at.header[0].value == EN["verdict.compare_title"]
    assert not buttons(at, "widget:compare_run")  # the run that drew the results
    at.run()
    assert not buttons(at, "widget:compare_run")  # and every run after it
    picks = at.multiselect(key="widget:compare_pick:en")
    picks.set_value([*picks.value, "no_monitoring.yaml"]).run()
    assert buttons(at, "widget:compare_run")  # a scenario not run yet: something to run
    assert EN["compare.not_run"] in [i.value for i in at.info]


def test_results_run_button_goes_once_pressed():
    at = go(fast_app(), "results")
    assert buttons(at, "widget:run")
    click(at, "widget:run")
    assert at.header[0].value == EN["verdict.title"]
    assert not buttons(at, "widget:run")
    assert not at.info or EN["results.not_run"] not in [i.value for i in at.info]
