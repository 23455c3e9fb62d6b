"""Changing the language keeps what was chosen (issue 15).

Streamlit 1.67 knows a keyed select box by its key and, when the option labels change
with the language, hands back the old label (a multiselect drops the choices); so each
language has its own widget seeded from a kept choice (``app.ui.choice_key``). The
browser test (tests/e2e/test_browser.py) checks the same in a real browser.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from app.i18n import LANG_WIDGET_KEY
from tests.app.conftest import click, go, open_app


def switch(at: AppTest, lang: str) -> AppTest:
    at.radio(key=LANG_WIDGET_KEY).set_value(lang).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_compare_picks_survive_a_change_of_language():
    at = go(open_app(), "compare")
    at.multiselect(key="widget:compare_pick:en").set_value(
        ["__current__", "no_monitoring.yaml"]
    ).run()
    switch(at, "cy")
    assert at.multiselect(key="widget:compare_pick:cy").value == [
        "__current__",
        "no_monitoring.yaml",
    ]
    switch(at, "en")
    assert at.multiselect(key="widget:compare_pick:en").value == [
        "__current__",
        "no_monitoring.yaml",
    ]


def test_staffing_roles_and_option_survive_a_change_of_language():
    at = go(open_app(), "staffing")
    roles_key = next(w.key for w in at.multiselect if w.key.startswith("widget:staff_roles:"))
    at.multiselect(key=roles_key).set_value(["ds"]).run()
    at.selectbox(key="widget:staff_option:en").set_value("no_monitoring.yaml").run()
    switch(at, "cy")
    welsh_roles = roles_key.removesuffix(":en") + ":cy"
    assert at.multiselect(key=welsh_roles).value == ["ds"]
    assert at.selectbox(key="widget:staff_option:cy").value == "no_monitoring.yaml"


def test_the_scenario_page_keeps_its_scenario_when_the_language_changes():
    at = go(open_app(), "scenario")
    at.selectbox(key="widget:pick:en").set_value("no_monitoring.yaml").run()
    switch(at, "cy")
    assert at.selectbox(key="widget:pick:cy").value == "no_monitoring.yaml"
    switch(at, "en")
    click(at, "widget:reset")
    assert at.selectbox(key="widget:pick:en").value == "no_monitoring.yaml"


def test_the_welcome_question_keeps_its_situation_when_the_language_changes():
    at = open_app()
    at.radio(key="widget:quick_pick:en").set_value("no_monitoring.yaml").run()
    switch(at, "cy")
    pick = at.radio(key="widget:quick_pick:cy")
    assert pick.value == "no_monitoring.yaml"
    assert "Dim monitro TGCh" in pick.options  # its Welsh title
    at.run()  # the old English label must not come back as the choice
    assert not at.exception, [e.value for e in at.exception]
    assert at.radio(key="widget:quick_pick:cy").value == "no_monitoring.yaml"
