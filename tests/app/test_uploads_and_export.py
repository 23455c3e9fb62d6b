"""Uploaded scenarios are validated like files (plain errors, never a traceback), and the
exports round-trip: the YAML reloads to the same scenario, the CSV holds the model's
figures, the report works offline."""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest

from app import export
from app.i18n import catalogue, use_language
from app.state import parse_upload
from model.replications import run_replications
from model.results import package_version
from model.scenario import ScenarioError, load_scenario, with_overrides
from tests.conftest import SCENARIOS

BASELINE = load_scenario(SCENARIOS / "baseline.yaml")
SMALL = with_overrides(BASELINE, {"horizon_years": 0.5, "replications": 3})


@pytest.fixture(scope="module")
def results():
    return run_replications(SMALL)


def test_upload_may_extend_a_shipped_scenario():
    text = b"extends: baseline.yaml\nname: bigger_unit\nroles:\n  ds: {fte: 3}\n"
    scenario = parse_upload("bigger.yaml", text)
    assert scenario.name == "bigger_unit"
    assert scenario.roles["ds"].fte == 3
    assert scenario.roles["di"] == BASELINE.roles["di"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"name: [unclosed\n", r"^bad\.yaml: line \d+: not valid YAML"),
        (b"- just\n- a list\n", r"^bad\.yaml: must be a mapping"),
        (
            b"extends: baseline.yaml\nroles:\n  ds: {fte: -1}\n",
            r"^bad\.yaml: roles\.ds\.fte: Input should be greater than or equal to 0",
        ),
        (
            b"extends: baseline.yaml\nsources:\n  vetting: {rate_per_wek: 1}\n",
            r"^bad\.yaml: sources\.vetting\.rate_per_wek: unknown field",
        ),
        (
            b"extends: nowhere.yaml\n",  # only shipped scenarios, by name (docs/limits.md)
            r"^bad\.yaml: extends: an uploaded scenario may only extend a shipped scenario",
        ),
    ],
)
def test_bad_uploads_give_plain_lines_naming_the_file(text, expected):
    with pytest.raises(ScenarioError) as caught:
        parse_upload("bad.yaml", text)
    lines = caught.value.lines
    assert lines and any(re.search(expected, line) for line in lines), lines
    assert not any("/tmp" in line or "acusim-upload" in line for line in lines)


def test_exported_yaml_reloads_to_the_same_scenario(tmp_path):
    adjusted = with_overrides(BASELINE, {"roles.ds.fte": 3.5, "seed": 7})
    with use_language("cy"):
        text = export.scenario_yaml(
            adjusted, ["Ditectif Ringyll: 2.0 → 3.5"], "ffeil baseline.yaml"
        )
    path = tmp_path / "adjusted.yaml"
    path.write_text(text, encoding="utf-8")
    assert text.startswith("# Wedi'i allforio")
    assert load_scenario(path).content_hash() == adjusted.content_hash()


def test_results_csv_holds_every_kpi_with_its_interval(results):
    with use_language("en"):
        frame = pd.read_csv(io.BytesIO(export.results_csv(results)))
    summary = results.summary()
    assert list(frame.columns[:6]) == ["scenario", "content_hash", "seed", "kpi", "label", "mean"]
    assert set(frame["kpi"]) == set(summary.index)
    row = frame.set_index("kpi").loc["backlog_end_total"]
    assert row["mean"] == pytest.approx(summary.loc["backlog_end_total", "mean"])
    assert row["ci_low"] == pytest.approx(summary.loc["backlog_end_total", "ci_low"])
    assert row["n"] == results.n == 3
    assert row["seed"] == SMALL.seed and row["content_hash"] == SMALL.content_hash()


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_html_report_is_self_contained_and_complete(results, lang):
    with use_language(lang):
        html = export.html_report(results, [], "file baseline.yaml")
    assert f'<html lang="{lang}">' in html
    # plotly.js is inline, once: the page loads nothing from the network.
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=[\"']?https?:", html)
    assert html.count("Plotly.newPlot") >= 6
    assert len(html) > 1_000_000  # plotly.js itself is over a megabyte
    cat = catalogue(lang)
    for key in ("export.about_title", "export.assumptions_title", "export.headlines_title"):
        assert cat[key] in html
    assert package_version() in html
    assert SMALL.content_hash() in html
    assert f'<td class="n">{SMALL.seed}</td>' in html or f"<td>{SMALL.seed}</td>" in html
