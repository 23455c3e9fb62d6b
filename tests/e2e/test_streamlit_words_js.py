"""The page's word script (app/streamlit_words.js) on a page of its own, in Chromium: no
Streamlit server, just Streamlit-like markup, so every rule is checked directly and fast.
Skipped without Chromium (fails with ACUSIM_REQUIRE_BROWSER=1)."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import sync_playwright

from app import streamlit_words
from app.i18n import catalogue
from tests.e2e.appserver import MISSING_CHROMIUM, find_chromium, launch_chromium

pytestmark = [pytest.mark.browser, pytest.mark.e2e]
CY = catalogue("cy")
PAGE = """<html lang="en"><body>
<button id="upload">Upload</button>
<span id="limit"></span>
<input id="select" placeholder="Choose an option" aria-label="Scenario">
<button id="help" aria-label="Help for Roles to staff">?</button>
<span id="month" role="spinbutton" aria-valuetext="11 – November">11</span>
<table role="grid" aria-label="Choose date, November 2027"><thead><tr>
<th>S</th><th>M</th><th>T</th><th>W</th><th>T</th><th>F</th><th>S</th></tr></thead>
<tbody><tr><td><div id="cell" aria-label="Sunday, October 31, 2027">31</div></td>
<td><div id="today" aria-label="Today, Monday, November 1, 2027 selected">1</div></td>
<td><div id="gb" aria-label="Tuesday 2 November 2027">2</div></td></tr></tbody></table>
<p id="described">Selected Date: November 27, 2027</p>
<p id="mine">Monitro llawn ar ddyfeisiau symudol</p>
</body></html>"""


@pytest.fixture(scope="module")
def page():
    path = find_chromium()
    if path is None:
        if os.environ.get("ACUSIM_REQUIRE_BROWSER") == "1":
            pytest.fail(MISSING_CHROMIUM, pytrace=False)
        pytest.skip(MISSING_CHROMIUM)
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, path)
        tab = browser.new_page()
        tab.set_content(PAGE)
        # React writes "{limit}MB per file • {types}" as three text nodes.
        tab.evaluate(
            """['10', 'MB per file • ', 'YAML, YML'].forEach(
                t => document.getElementById('limit').appendChild(document.createTextNode(t)))"""
        )
        yield tab
        browser.close()


def run(page, lang: str) -> None:
    """Load the script as the app does (tables, then code) and let it work."""
    source = streamlit_words.script(lang).removeprefix("<script>").removesuffix("</script>")
    page.add_script_tag(content=source)
    page.wait_for_timeout(100)


def text(page, selector: str) -> str:
    return page.locator(selector).text_content().strip()


def attr(page, selector: str, name: str) -> str:
    return page.locator(selector).get_attribute(name)


def test_welsh_then_english_again(page) -> None:
    run(page, "cy")
    assert page.evaluate("document.documentElement.lang") == "cy"
    assert text(page, "#upload") == CY["a11y.uploader_browse"]
    assert text(page, "#limit") == "Hyd at 10 MB y ffeil • YAML, YML"
    assert attr(page, "#select", "placeholder") == CY["streamlit.choose_option"]
    assert attr(page, "#help", "aria-label") == "Cymorth ar gyfer Roles to staff"
    assert attr(page, "#month", "aria-valuetext") == "11 – Tachwedd"
    assert attr(page, "table", "aria-label") == "Dewis dyddiad, Tachwedd 2027"
    assert attr(page, "#cell", "aria-label") == "Dydd Sul 31 Hydref 2027"
    assert attr(page, "#today", "aria-label") == "Heddiw, Dydd Llun 1 Tachwedd 2027, wedi'i ddewis"
    assert attr(page, "#gb", "aria-label") == "Dydd Mawrth 2 Tachwedd 2027"
    assert text(page, "#described") == "Y dyddiad a ddewiswyd: 27 Tachwedd 2027"
    heads = page.locator("thead th").all_text_contents()
    assert heads == ["S", "Ll", "M", "M", "I", "G", "S"]  # the week starts on Sunday here
    assert text(page, "#mine") == "Monitro llawn ar ddyfeisiau symudol"  # ours: untouched

    # Something Streamlit draws later is put into Welsh too.
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p id=late>No results</p>')")
    page.wait_for_timeout(150)
    assert text(page, "#late") == CY["streamlit.no_results"]

    run(page, "en")  # back to English: Streamlit's exact words return
    assert page.evaluate("document.documentElement.lang") == "en"
    assert text(page, "#upload") == "Upload"
    assert text(page, "#limit") == "10MB per file • YAML, YML"
    assert attr(page, "#select", "placeholder") == "Choose an option"
    assert attr(page, "#today", "aria-label") == "Today, Monday, November 1, 2027 selected"
    assert page.locator("thead th").all_text_contents() == ["S", "M", "T", "W", "T", "F", "S"]
    assert text(page, "#late") == "No results"
