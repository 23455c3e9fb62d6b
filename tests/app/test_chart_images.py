"""Every chart has a keyboard-reachable SVG download, drawn offline by the local Chromium."""

from __future__ import annotations

import re

import plotly.graph_objects as pgo
import pytest

from app import chart_images
from app.i18n import catalogue
from tests.app.conftest import click, fast_app, go

EN, CY = catalogue("en"), catalogue("cy")
needs_browser = pytest.mark.skipif(
    chart_images.local_browser() is None, reason="no local Chromium to draw with"
)


def svg_buttons(at, label: str) -> list:
    return [b for b in at.get("download_button") if b.proto.label == label]


def test_local_browser_never_guesses_a_missing_path(monkeypatch, tmp_path):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-chromium"))
    assert chart_images.local_browser() is None
    with pytest.raises(RuntimeError):
        chart_images.figure_svg(pgo.Figure())


def test_plotly_js_is_plotly_pys_own_copy():
    assert chart_images.plotly_js().is_file()


def test_kaleidos_page_loads_nothing_from_the_network():
    from kaleido import PageGenerator

    page = PageGenerator(plotly=chart_images.plotly_js(), mathjax=False).generate_index()
    options = chart_images.offline_page()
    assert options["mathjax"] is False and options["plotlyjs"] == str(chart_images.plotly_js())
    scripts = re.findall(r'<script src="([^"]+)"', page)
    assert scripts and not [s for s in scripts if "://" in s and not s.startswith("file:")]
    assert "http" not in page


@needs_browser
def test_figure_svg_is_an_svg_of_the_chart():
    fig = pgo.Figure(pgo.Bar(x=["Complaints", "Referrals"], y=[3, 5]))
    svg = chart_images.figure_svg(fig).decode("utf-8")
    assert svg.startswith("<svg") and "http://www.w3.org/2000/svg" in svg
    assert "Complaints" in svg and "Referrals" in svg


@needs_browser
@pytest.mark.parametrize("lang", ["en", "cy"])
def test_every_chart_has_an_svg_button_in_both_languages(lang):
    words = catalogue(lang)
    at = go(fast_app(), "results")
    at.session_state["lang"] = lang  # AppTest does not redraw the sidebar after switch_page
    click(at, "widget:run")
    csv = svg_buttons(at, words["ui.download_csv"])
    svg = svg_buttons(at, words["chart_image.download_svg"])
    assert len(svg) == len(csv) == 6
    assert all(b.proto.help == words["chart_image.svg_help"] for b in svg)
    if lang == "cy":
        assert not svg_buttons(at, EN["chart_image.download_svg"])


def test_no_svg_button_without_a_local_browser(monkeypatch, tmp_path):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "no-such-chromium"))
    at = fast_app()
    click(at, "widget:run")
    assert svg_buttons(at, EN["ui.download_csv"])
    assert not svg_buttons(at, EN["chart_image.download_svg"])
