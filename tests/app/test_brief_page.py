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
    # The command is for planners: in an expander, not in the commissioner's caption.
    caption = " ".join(c.value for c in at.caption)
    assert "acusim" not in caption and "`" not in caption
    planners = at.expander[0]
    assert planners.label == EN["brief_cli.title"]
    assert planners.code[0].value == (
        "acusim brief scenarios/baseline.yaml --option scenarios/full_mobile_monitoring.yaml"
        " --lang en -n 10"
    )
    at.multiselect[0].set_value([]).run()
    assert at.button[0].disabled
    assert at.info[0].value == EN["brief_page.need_option"]
    at.sidebar.radio(key="widget:lang").set_value("cy").run()
    assert at.title[0].value == CY["pages.brief.title"]
    assert at.expander[0].label == CY["brief_cli.title"]
    assert CY["brief_cli.explain"] in [m.value for m in at.expander[0].markdown]
    assert "acusim" not in " ".join(c.value for c in at.caption)


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
