"""The Calibrate page names scenarios by their titles in the reader's language (issue 15),
not by file name, and its two select boxes keep their choice through a change of language.

Streamlit 1.67 sends a select box's choice back as its label, so labels that change with
the language (or repeat) must not cost the choice: ``ui.option_labels`` fixes each run's
labels and keeps them unique, and ``ui.choice_key`` gives each language its own widget.
"""

from __future__ import annotations

from app.i18n import LANG_WIDGET_KEY, catalogue
from app.ui import option_labels
from model.scenario import load_scenario
from tests.app.conftest import go, open_app
from tests.conftest import SCENARIOS

EN, CY = catalogue("en"), catalogue("cy")
SHIPPED = sorted(p.name for p in SCENARIOS.glob("*.yaml"))


def titles(lang: str) -> list[str]:
    out = []
    for file in SHIPPED:
        scenario = load_scenario(SCENARIOS / file)
        welsh = scenario.title_cy if lang == "cy" else None
        out.append(welsh or scenario.title or scenario.name)
    return out


def switch(at, lang: str):
    at.radio(key=LANG_WIDGET_KEY).set_value(lang).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_both_select_boxes_show_titles_in_each_language():
    at = go(open_app(), "calibrate")
    template = at.selectbox(key="widget:cal_template:en")
    demo = at.selectbox(key="widget:demo_pick:en")
    assert template.options == [*demo.options, EN["calibrate.template_none"]]
    assert sorted(demo.options) == sorted(titles("en"))
    assert "The unit as it is today" in demo.options
    switch(at, "cy")
    template = at.selectbox(key="widget:cal_template:cy")
    demo = at.selectbox(key="widget:demo_pick:cy")
    assert template.options == [*demo.options, CY["calibrate.template_none"]]
    assert sorted(demo.options) == sorted(titles("cy"))
    assert "Yr uned fel y mae heddiw" in demo.options
    assert not any(".yaml" in label for label in [*template.options, *demo.options])


def test_the_choices_survive_a_change_of_language_and_still_name_files():
    at = go(open_app(), "calibrate")
    at.selectbox(key="widget:cal_template:en").set_value("no_monitoring.yaml").run()
    at.selectbox(key="widget:demo_pick:en").set_value("full_mobile_monitoring.yaml").run()
    switch(at, "cy")
    assert at.selectbox(key="widget:cal_template:cy").value == "no_monitoring.yaml"
    assert at.selectbox(key="widget:demo_pick:cy").value == "full_mobile_monitoring.yaml"
    at.run()  # a further run in Welsh (the naive labels failed here: the old label came back)
    assert not at.exception, [e.value for e in at.exception]
    switch(at, "en")
    assert at.selectbox(key="widget:cal_template:en").value == "no_monitoring.yaml"


def test_repeated_labels_are_told_apart_and_fixed_when_made():
    calls = []

    def label(option: str) -> str:
        calls.append(option)
        return "Same title" if option != "c.yaml" else "Other"

    format_func = option_labels(["a.yaml", "b.yaml", "c.yaml"], label)
    shown = [format_func(o) for o in ["a.yaml", "b.yaml", "c.yaml"]]
    assert shown == ["Same title (a.yaml)", "Same title (b.yaml)", "Other"]
    assert len(set(shown)) == 3 and len(calls) == 3  # made once, not at each call
    assert format_func("gone.yaml") == "gone.yaml"
