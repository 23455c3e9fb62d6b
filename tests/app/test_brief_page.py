"""The decision brief page: in both languages, with the CLI command it stands for."""

from __future__ import annotations

from app.i18n import catalogue
from tests.app.conftest import go, open_app

EN, CY = catalogue("en"), catalogue("cy")


def test_the_brief_page_in_english_and_welsh():
    at = go(open_app(), "brief")
    assert at.title[0].value == EN["pages.brief.title"]
    assert at.selectbox[0].value == "baseline"
    assert at.multiselect[0].value == ["full_mobile_monitoring"]
    caption = " ".join(c.value for c in at.caption)
    assert (
        "acusim brief scenarios/baseline.yaml --option scenarios/full_mobile_monitoring.yaml"
        in caption
    )
    at.multiselect[0].set_value([]).run()
    assert at.button[0].disabled
    assert at.info[0].value == EN["brief_page.need_option"]
    at.sidebar.radio(key="widget:lang").set_value("cy").run()
    assert at.title[0].value == CY["pages.brief.title"]


def test_the_brief_page_names_scenarios_by_their_titles_in_welsh():
    from model.scenario import load_scenario
    from tests.conftest import SCENARIOS

    at = open_app()
    at.session_state["lang"] = "cy"
    go(at, "brief")
    baseline = load_scenario(SCENARIOS / "baseline.yaml")
    option = load_scenario(SCENARIOS / "full_mobile_monitoring.yaml")
    assert baseline.title_cy in at.selectbox[0].options
    assert option.title_cy in at.multiselect[0].options
    assert "baseline" not in at.selectbox[0].options
