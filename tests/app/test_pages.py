"""Every page, driven headless: levers moved, runs made, and the figures on screen checked
against the ``model`` API run directly with the same scenario and seed."""

from __future__ import annotations

import base64
import json

import numpy as np
import pandas as pd
import pytest

from app.i18n import catalogue, number, percent
from app.ui import ci_text, plain
from model.compare import paired_differences
from model.replications import run_replications
from model.scenario import load_scenario, with_overrides
from planning.demand import compare_demand
from planning.staffing.recommend import search_staffing
from tests.app.conftest import click, fast_app, go, open_app
from tests.conftest import SCENARIOS

BASELINE = load_scenario(SCENARIOS / "baseline.yaml")
FAST = {"horizon_years": 0.5, "replications": 3}
EN, CY = catalogue("en"), catalogue("cy")


def expected(changes: dict | None = None):
    scenario = with_overrides(BASELINE, {**FAST, **(changes or {})})
    return scenario, run_replications(scenario)


def values(field) -> list:
    """A trace's data as a list: Plotly 6+ sends numpy arrays base64-encoded."""
    if isinstance(field, dict) and "bdata" in field:
        return np.frombuffer(base64.b64decode(field["bdata"]), dtype=field["dtype"]).tolist()
    return list(field)


def charts(at) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def test_welcome_page_in_english_then_welsh():
    at = open_app()
    assert at.title[0].value == EN["pages.welcome.title"]
    at.sidebar.radio(key="widget:lang").set_value("cy").run()
    assert not at.exception
    assert at.title[0].value == CY["pages.welcome.title"]
    assert at.session_state["lang"] == "cy"
    # (The switch itself, clicked in a real browser, is tested in tests/e2e/test_browser.py.)


def test_scenario_page_lists_what_changed():
    at = fast_app(
        {
            "lever:roles.ds.fte": 3.0,
            "lever:stages.alert_review.routing.default.false_positive": 70.0,
        }
    )
    table = at.dataframe[0].value
    settings = list(table[EN["scenario.col_setting"]])
    assert "Detective Sergeant: staff (full-time equivalent)" in settings
    assert any("false positives" in s for s in settings)
    row = table.set_index(EN["scenario.col_setting"]).loc[
        "Detective Sergeant: staff (full-time equivalent)"
    ]
    assert (row[EN["scenario.col_chosen"]], row[EN["scenario.col_now"]]) == ("2.0", "3.0")


def test_results_match_the_model_for_the_same_scenario_and_seed():
    at = fast_app({"lever:roles.ds.fte": 3.0})
    click(at, "widget:run")  # runs, then opens the Results page
    assert at.title[0].value == EN["pages.results.title"]
    scenario, results = expected({"roles.ds.fte": 3.0})
    est = results.estimates()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[EN["results.card_backlog"]] == number(est["backlog_end_total"].mean, 0)
    over = EN["results.card_over"].format(period="12 months")
    assert metrics[over] == percent(est["pcc_investigations_over_share"].mean, 1)
    assert metrics[EN["results.card_first_action"]] == number(est["first_action_mean_days"].mean, 1)
    captions = [c.value for c in at.caption]
    assert ci_text(est["backlog_end_total"], 0) in captions
    # Targets are in the verdict, not repeated as cards.
    assert scenario.targets["all_assessed_28_days"].description not in metrics
    assert any(
        scenario.targets["all_assessed_28_days"].description in text.value for text in at.text
    )
    # The backlog chart draws the model's weekly means, stage by stage.
    weekly = results.backlog_weekly()
    inv = weekly[weekly["key"] == "investigation"]["mean"].to_list()
    backlog = charts(at)[0]
    line = next(
        tr for tr in backlog["data"] if tr["name"] == "Investigation" and tr.get("mode") == "lines"
    )
    assert values(line["y"]) == pytest.approx(inv)
    assert len(charts(at)) == 6  # backlog, waits, time to outcome, targets, utilisation, outcomes
    readings = [m.value for m in at.markdown if m.value.startswith("**" + EN["ui.reading"])]
    assert len(readings) == 6
    assert any(number(est["backlog_end_total"].mean, 0) in r for r in readings)


def test_parallel_run_gives_the_same_figures_as_the_model():
    at = fast_app(workers=2)
    click(at, "widget:run")
    _, results = expected()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[EN["results.card_backlog"]] == number(
        results.estimates()["backlog_end_total"].mean, 0
    )


def test_results_page_waits_for_run_and_reads_in_welsh():
    at = go(fast_app(), "results")
    assert EN["results.not_run"].split(".")[0] in at.info[0].value
    assert not at.get("plotly_chart")
    at.session_state["lang"] = "cy"  # AppTest does not redraw the sidebar after switch_page
    click(at, "widget:run")
    assert at.title[0].value == CY["pages.results.title"]
    assert len(charts(at)) == 6
    # Chart titles are headings above the charts (h2), not repeated inside them.
    assert CY["results.backlog_title"] in [h.value for h in at.header]
    assert all("text" not in (c["layout"].get("title") or {}) for c in charts(at))
    assert any(m.value.startswith("**" + CY["ui.reading"]) for m in at.markdown)
    # Levers keep their values across the language switch and pages.
    go(at, "scenario")
    assert at.number_input(key="lever:replications").value == 3


def test_bad_upload_shows_plain_errors_not_a_traceback():
    at = go(open_app(), "scenario")
    upload = (
        b"extends: baseline.yaml\nroles:\n  ds: {fte: -2}\nsources:\n  vetting: {rate_per_wek: 1}\n"
    )
    at.file_uploader(key="widget:upload").set_value(
        ("broken.yaml", upload, "application/x-yaml")
    ).run()
    assert not at.exception
    message = at.error[0].value
    # Error lines are shown as written (escaped, never read as Markdown).
    assert plain("broken.yaml: roles.ds.fte: Input should be greater than or equal to 0") in message
    assert plain("broken.yaml: sources.vetting.rate_per_wek: unknown field") in message
    assert "Traceback" not in message
    # The chosen scenario is unchanged.
    assert at.number_input(key="lever:roles.ds.fte").value == 2.0


def test_good_upload_becomes_the_chosen_scenario():
    at = go(open_app(), "scenario")
    upload = b"extends: baseline.yaml\nname: uploaded_unit\nroles:\n  ds: {fte: 4}\n"
    at.file_uploader(key="widget:upload").set_value(
        ("mine.yaml", upload, "application/x-yaml")
    ).run()
    assert not at.exception and not at.error
    assert at.number_input(key="lever:roles.ds.fte").value == 4.0
    # Shown by its own name (not the title of the scenario it extends), as written.
    assert any(plain("uploaded_unit") in m.value for m in at.markdown)
    assert not any(BASELINE.title in m.value for m in at.markdown)


def test_compare_page_shows_paired_differences_from_the_model():
    at = go(fast_app(), "compare")
    picked = at.multiselect(key="widget:compare_pick:en").value
    assert picked == ["__current__", "full_mobile_monitoring.yaml"]
    click(at, "widget:compare_run")
    base = run_replications(with_overrides(BASELINE, FAST))
    other_scenario = with_overrides(
        load_scenario(SCENARIOS / "full_mobile_monitoring.yaml"),
        {**FAST, "seed": BASELINE.seed},
    )
    other = run_replications(other_scenario)
    diffs = paired_differences(base, other, ["backlog_end_total"]).loc["backlog_end_total"]
    table = at.table[-1].value.reset_index()
    row = table[table[EN["cols.figure"]] == EN["kpis.backlog_end_total"]].iloc[0]
    difference = number(diffs["difference"], 1)
    assert row[EN["cols.difference"]] in (difference, "+" + difference)
    assert row[EN["cols.ci_low"]] == number(diffs["ci_low"], 1)
    assert row[EN["cols.n"]] == 3
    assert len(charts(at)) == 2
    # Scenarios are named by their titles, never by file names.
    scenario_names = set(table[EN["cols.scenario"]])
    assert scenario_names == {other_scenario.title} and not any(
        ".yaml" in n for n in scenario_names
    )
    # A verdict per scenario, each under its title.
    headings = [h.value for h in at.subheader]
    assert other_scenario.title in headings
    # Shares are percentages, not fractions.
    share_row = table[table[EN["cols.figure"]].str.startswith("Target")].iloc[0]
    assert share_row[EN["cols.base"]].endswith("%")


def test_demand_page_with_and_without_monitoring_matches_the_model():
    at = go(fast_app(), "demand")
    click(at, "widget:run")
    scenario, with_m = expected()
    off = {f"sources.{s}.enabled": False for s in ("ict_monitoring", "ict_desktop_monitoring")}
    without = run_replications(
        with_overrides(scenario, {**off, "name": f"{scenario.name}_without_monitoring"})
    )
    diff = compare_demand(without, with_m)
    analyst = diff[(diff["role"] == "monitoring_analyst") & (diff["source"] == "all")].iloc[0]
    shown = next(
        df.value
        for df in at.dataframe
        if EN["cols.without"] in df.value.columns and EN["cols.source"] in df.value.columns
    )
    row = shown[
        (shown[EN["cols.role"]] == "Monitoring analyst")
        & (shown[EN["cols.source"]] == EN["demand.all_sources"])
    ].iloc[0]
    assert row[EN["cols.difference"]] == pytest.approx(round(analyst["difference"], 2))
    assert row[EN["cols.fte_equivalent"]] == pytest.approx(round(analyst["fte"], 2))
    assert analyst["difference"] > 0  # monitoring alerts are reviewed by the analyst
    assert len(charts(at)) == 4


def test_staffing_page_shows_the_model_recommendation():
    at = go(fast_app(), "staffing")
    roles_key = next(w.key for w in at.multiselect if w.key.startswith("widget:staff_roles:"))
    at.multiselect(key=roles_key).set_value(["ds", "dc_investigator"])
    at.toggle(key="widget:staff_auto").set_value(False).run()
    at.number_input(key="widget:staff_runs").set_value(3)
    click(at, "widget:staff_run")
    from tests.app.test_staffing_page import wait_for_search

    wait_for_search(at)
    scenario = with_overrides(BASELINE, FAST)
    from app.staffing_words import default_in_post

    worked = {stage.role for stage in BASELINE.stages.values() if stage.role}
    in_post = default_in_post(BASELINE, [r for r in BASELINE.roles if r in worked])
    result = search_staffing(
        scenario,
        roles=("ds", "dc_investigator"),
        confidence=0.95,
        replications=3,
        from_date=in_post,
    )
    metrics = {m.label: m.value for m in at.metric}
    assert metrics[EN["staffing.cost_now"]] == f"£{result.cost_current:,.0f}"
    assert metrics[EN["staffing.cost_new"]] == f"£{result.cost_recommended:,.0f}"
    recommendation = next(
        df.value for df in at.dataframe if EN["cols.fte_recommended"] in df.value.columns
    )
    roles, ftes = recommendation[EN["cols.role"]], recommendation[EN["cols.fte_recommended"]]
    shown = dict(zip(roles, ftes, strict=True))
    assert shown == {
        "Detective Sergeant": result.recommended["ds"],
        "Detective Constable (investigator)": result.recommended["dc_investigator"],
    }
    assert len(charts(at)) == 3  # staff, targets, trade-off
    assert any(EN["staffing.plan_title"] == s.value for s in at.header)  # h2 under the title


def test_export_and_calibrate_pages():
    at = go(fast_app(), "export")
    labels = [b.label for b in at.get("download_button")]
    assert EN["export.yaml_button"] in labels
    click(at, "widget:run")
    labels = [b.label for b in at.get("download_button")]
    assert {EN["export.csv_button"], EN["export.report_button"]} <= set(labels)
    go(at, "calibrate")  # the page itself: tests/app/test_calibrate_page.py
    assert at.title[0].value == EN["pages.calibrate.title"]
    assert at.info[0].value == EN["calibrate.need_files"]


def test_results_are_cached_by_content_and_seed(monkeypatch):
    """Running the same scenario twice in a session simulates it once; a new seed reruns."""
    from streamlit.testing.v1 import AppTest

    def script():
        import sys

        from tests.app.conftest import ROOT

        sys.path.insert(0, str(ROOT))
        import streamlit as st

        from app import runs
        from model import replications
        from model.scenario import load_scenario, with_overrides

        calls = []
        real = replications.run_replications

        def counting(*args, **kwargs):
            calls.append(1)
            return real(*args, **kwargs)

        runs.run_replications = counting
        base = load_scenario(ROOT / "scenarios" / "baseline.yaml")
        small = with_overrides(base, {"horizon_years": 0.25, "replications": 2, "seed": 99})
        first = runs.run(small, 1)
        again = runs.run(with_overrides(small, {}), 1)
        other_seed = runs.run(with_overrides(small, {"seed": 100}), 1)
        runs.run_replications = real
        same = first is again or first.kpi_frame().equals(again.kpi_frame())
        st.write(f"calls={len(calls)} same={same}")
        st.write(f"differ={not first.kpi_frame().equals(other_seed.kpi_frame())}")

    at = AppTest.from_function(script, default_timeout=120).run()
    assert not at.exception, [e.value for e in at.exception]
    texts = [m.value for m in at.markdown]
    assert "calls=2 same=True" in texts and "differ=True" in texts


def test_every_chart_has_a_table_download_and_reading():
    at = fast_app()
    click(at, "widget:run")
    downloads = [b for b in at.get("download_button") if b.proto.label == EN["ui.download_csv"]]
    assert len(downloads) == len(charts(at)) == 6
    assert len([e for e in at.expander if e.label == EN["ui.data_table"]]) == 6


def test_palette_is_okabe_ito_and_series_differ_by_more_than_colour():
    at = fast_app()
    click(at, "widget:run")
    from app.charts import OKABE_ITO

    # The backlog: one panel per stage, each titled with its stage (no colour needed).
    backlog = charts(at)[0]
    lines = [tr for tr in backlog["data"] if tr.get("mode") == "lines"]
    titles = [a["text"] for a in backlog["layout"]["annotations"]]
    assert titles == [tr["name"] for tr in lines]
    assert {tr["line"]["color"] for tr in lines} <= set(OKABE_ITO)
    assert pd.notna(values(lines[0]["y"])[0])
    # Waits: mean and 90th percentile differ by marker symbol as well as colour.
    waits = charts(at)[1]
    series = [tr for tr in waits["data"] if tr.get("error_x")]
    assert len({tr["marker"]["symbol"] for tr in series}) == len(series) == 2
