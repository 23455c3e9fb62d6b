"""The commissioner's app in a real browser: Chromium driven by Playwright.

One Streamlit server per module (per pytest-xdist worker, on a free port); every test
opens its own browser context, so each test is a new visitor with a new session. Runs
are kept small (half a year, three runs). Chromium comes from the system's packages
(``apt-get install chromium``): without it these tests are skipped, or fail when
``ACUSIM_REQUIRE_BROWSER=1`` (as in CI, ``.ci/run``).
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from app.i18n import catalogue, use_language
from app.ui import date_text, years_text
from model.scenario import load_scenario
from tests.conftest import SCENARIOS
from tests.e2e.appserver import (
    MISSING_CHROMIUM,
    ROOT,
    find_chromium,
    launch_chromium,
    running_app,
)

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

EN, CY = catalogue("en"), catalogue("cy")
BASELINE = load_scenario(SCENARIOS / "baseline.yaml")
HORIZON_YEARS, REPLICATIONS = 0.5, 3
"""Half a year and three runs: enough for intervals, quick enough for a test."""
N_CHARTS = 6
"""Backlog, waits, time to outcome, targets, utilisation, outcomes (the baseline has targets)."""
WAIT_MS = 30_000
RUN_MS = 90_000
"""A run on a busy machine (other xdist workers) may take a while."""
MAX_TABS = 300
FOCUSED_BUTTON = """label => document.activeElement.tagName === 'BUTTON'
    && document.activeElement.innerText.trim() === label"""
AXE = (ROOT / "tests" / "e2e" / "vendor" / "axe.min.js").read_text(encoding="utf-8")
"""axe-core, vendored (tests/e2e/vendor/README.txt): never fetched at test time."""
AXE_RUN = """async () => {
    const result = await axe.run(document, {
        runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']},
    });
    return result.violations
        .filter(v => v.impact === 'serious' || v.impact === 'critical')
        .map(v => `${v.id} (${v.impact}): ${v.nodes.slice(0, 3).map(n => n.target).join(' | ')}`);
}"""
IDLE = """() => !document.querySelector('[data-stale=true]')
    && !document.querySelector('[data-testid=stStatusWidget]')"""
PHONE = {"width": 390, "height": 844}
MY_PAGES = ("welcome", "scenario", "results", "demand", "compare", "export")
"""Pages whose every word is checked for English on a Welsh page (Staffing and Calibrate
have their own owners and tests)."""
STREAMLIT_ENGLISH = frozenset(
    {
        # file uploader
        "Browse files",
        "Drag and drop file here",
        "Drag and drop files here",
        "Upload",
        "Add files",
        "file upload",
        # sidebar, page chrome, status while running, main menu
        "Collapse sidebar",
        "Expand sidebar",
        "Sidebar",
        "App pages",
        "View less",
        "Skip to main content",
        "Link to heading",
        "Main menu",
        "Running...",
        "Stop",
        "Stopping...",
        "Connecting",
        "Please wait...",
        "Dismiss",
        "Close",
        # select boxes and multiselects
        "Choose an option",
        "Choose options",
        "No results",
        "No options to select",
        "Select all",
        "Clear all",
        "Clear value",
        "Open",
        "open",
        "Remove",
        "Selected values",
        "Long press or press Alt + ArrowDown to open menu",
        # number and text inputs
        "Increment",
        "Decrement",
        "Press Enter to apply",
        "Press Enter to submit form",
        "Clear entry",
        # date input and calendar
        "Choose date",
        "Clear date",
        "Previous month",
        "Next month",
        "Previous",
        "Next",
        "month",
        "year",
        "day",
        "Empty",
        "yyyy",
        "Use arrow keys to navigate dates. Enter to select. Escape to close.",
        # tables
        "Download as CSV",
        "Search",
        "Fullscreen",
        "Close fullscreen",
        "Show/hide columns",
        "Type to search",
        "Sort ascending",
        "Sort descending",
        "Pin column",
        "Hide column",
        "Autosize",
        "Dataframe column menu",
        # Plotly's own words
        "Download plot as a png",
        "Download plot as a PNG",
        "Double-click on legend to isolate one trace",
        "Double-click to zoom back out",
    }
)
"""Streamlit's (and Plotly's) built-in English, found in Streamlit 1.67's own front end
(widget text, placeholders, screen-reader labels): none may show on a Welsh page. (An
empty date box's "dd" and "mm" are not listed: they are the Welsh "dydd" and "mis" too.)"""
STREAMLIT_ENGLISH_PARTS = re.compile(
    r"^(Help for |Remove |Limit \d|\d+ ?MB per file|Choose date|day, |month, |year, |View \d+ more"
    r"|Made with Streamlit|Today, |Selected Date|Press .*Enter to )"
    r"|\b(January|February|March|April|May|June|July|August|September|October|November"
    r"|December|Sunday|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday)\b"
)
"""Built-in English with a varying part, and the calendar's English month and day names."""
WELSH_INITIALS = [
    CY[f"weekdays.{day}_initial"] for day in ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
]
SHOWN_WORDS = """() => {
    const icons = new Set([...document.querySelectorAll('[translate=no]')]
        .map(e => e.textContent.trim()));
    const out = document.body.innerText.split('\\n').map(s => s.trim())
        .filter(s => s && !icons.has(s));
    const names = ['aria-label', 'title', 'placeholder', 'aria-valuetext', 'aria-description',
        'aria-roledescription', 'alt', 'data-title'];
    for (const el of document.querySelectorAll(names.map(n => `[${n}]`).join(','))) {
        for (const n of names) { const v = el.getAttribute(n); if (v) out.push(v.trim()); }
    }
    for (const el of document.querySelectorAll('[aria-describedby]')) {
        for (const id of el.getAttribute('aria-describedby').split(/\\s+/)) {
            const d = document.getElementById(id);
            if (d && d.textContent.trim()) out.push(d.textContent.trim());
        }
    }
    return out;
}"""
"""Every line of visible text (without icon names), every label, title, placeholder and
value text a screen reader reads, and the descriptions that labels point to."""
SAVED_KEY = "acusim.saved-settings.v1"
SCAN_TRIES = 20
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
LOCAL_SCHEMES = {"data", "blob", "about"}


def menu_pages() -> list[str]:
    """Catalogue names of the pages in menu order, read from ``PAGES`` in app/Home.py."""
    tree = ast.parse((ROOT / "app" / "Home.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "PAGES":
            return [name for name, _ in ast.literal_eval(node.value)]
    raise AssertionError("PAGES not found in app/Home.py")


def with_unit(cat: dict[str, str], label: str, unit: str) -> str:
    return cat["ui.label_with_unit"].format(label=cat[label], unit=cat[unit])


def banner(seed: int, lang: str = "en") -> str:
    """The Results page's one-line summary for the baseline run with the test's settings."""
    with use_language(lang):
        start = date_text(BASELINE.start_date)
        years = years_text(HORIZON_YEARS)
    return catalogue(lang)["words.banner"].format(
        title=BASELINE.title_cy if lang == "cy" else BASELINE.title,
        years=years,
        start=start,
        seed=seed,
        n=REPLICATIONS,
    )


def shared_address(seed: int, lang: str = "en") -> str:
    """The address of a small baseline result, as the app writes it after a run."""
    settings = f"horizon_years={HORIZON_YEARS!r};replications={REPLICATIONS}"
    return f"results?lang={lang}&scenario=baseline&seed={seed}&set={settings}"


def english_lines() -> set[str]:
    """Whole lines of English catalogue text that differ from the Welsh (Markdown marks and
    list numbers removed; texts with {fields} left out, as their lines vary). A line the
    Welsh catalogue itself shows somewhere (the language switch's "English") is not a leak."""

    def lines_of(catalogue: dict[str, str], skip) -> set[str]:
        found = set()
        for key, text in catalogue.items():
            if skip(key, text):
                continue
            for line in text.replace("**", "").splitlines():
                line = re.sub(r"^\d+\.\s+", "", line).strip()
                if len(line) >= 4:
                    found.add(line)
        return found

    english = lines_of(EN, lambda key, text: text == CY.get(key) or "{" in text)
    return english - lines_of(CY, lambda key, text: False)


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def chromium() -> str:
    path = find_chromium()
    if path is None:
        if os.environ.get("ACUSIM_REQUIRE_BROWSER") == "1":
            pytest.fail(MISSING_CHROMIUM, pytrace=False)
        pytest.skip(MISSING_CHROMIUM)
    return path


@pytest.fixture(scope="module")
def app_url(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app, started once for this module (and this xdist worker) on a free port."""
    log = tmp_path_factory.mktemp("streamlit") / "server.log"
    with running_app(log) as url:
        yield url


@pytest.fixture(scope="module")
def browser(chromium: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, chromium)
        yield browser
        browser.close()


@dataclass
class Visit:
    """A visitor: a fresh browser context (a new Streamlit session) and every address it
    asked for (HTTP requests and WebSocket connections, from any of its pages)."""

    url: str
    context: BrowserContext
    page: Page
    requests: list[str] = field(default_factory=list)


@contextlib.contextmanager
def visitor(browser: Browser, url: str) -> Iterator[Visit]:
    expect.set_options(timeout=WAIT_MS)
    context = browser.new_context(viewport={"width": 1280, "height": 1600}, accept_downloads=True)
    context.set_default_timeout(WAIT_MS)
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    context.on("page", lambda page: page.on("websocket", lambda ws: requests.append(ws.url)))
    page = context.new_page()
    try:
        yield Visit(url, context, page, requests)
    finally:
        context.close()


@pytest.fixture
def visit(browser: Browser, app_url: str) -> Iterator[Visit]:
    with visitor(browser, app_url) as new_visit:
        yield new_visit


# ----------------------------------------------------------------------------- helpers


def heading(page: Page):
    return page.locator("[data-testid=stMain] h1")


def menu(page: Page):
    return page.locator("[data-testid=stSidebarNav] [data-testid=stSidebarNavLink]")


def menu_titles(cat: dict[str, str]) -> list[str]:
    return [cat[f"pages.{name}.nav"] for name in menu_pages()]


def open_app(visit: Visit, query: str = "") -> Page:
    """The landing page, as a visitor arrives (the address of the app, nothing after it)."""
    visit.page.goto(f"{visit.url}/{query}")
    return visit.page


def go_to(page: Page, name: str, cat: dict[str, str] = EN) -> None:
    """Open a page from the sidebar menu, as a user does."""
    menu(page).filter(has_text=re.compile(rf"^{re.escape(cat[f'pages.{name}.nav'])}$")).click()
    expect(heading(page)).to_have_text(cat[f"pages.{name}.title"])


def choose_language(page: Page, lang: str) -> None:
    page.locator("[data-testid=stSidebar] [data-testid=stRadioOption]").filter(
        has_text=EN[f"lang.{lang}"]
    ).click()


def set_number(page: Page, label: str, value: str) -> None:
    """Type into a Streamlit number input (found by its label) and commit with Enter."""
    box = page.get_by_label(label, exact=True)
    box.fill(value)
    box.press("Enter")


def small_run_settings(page: Page, seed: int | None = None) -> None:
    """On the Scenario page: open "Run settings" and make the run small (and set the seed)."""
    page.locator("[data-testid=stExpander] summary").filter(
        has_text=EN["levers.groups.run"]
    ).click()
    set_number(page, with_unit(EN, "levers.horizon", "units.years"), str(HORIZON_YEARS))
    set_number(page, with_unit(EN, "levers.replications", "units.runs"), str(REPLICATIONS))
    if seed is not None:
        set_number(page, EN["levers.seed"], str(seed))


def run_button(page: Page):
    return page.get_by_role("button", name=EN["run.button"], exact=True)


def expect_results(page: Page, seed: int) -> None:
    """The Results page of the small run, with every chart drawn."""
    expect(page).to_have_url(re.compile(r"/results(\?.*)?$"), timeout=RUN_MS)
    expect(heading(page)).to_have_text(EN["pages.results.title"])
    drawn = page.locator(".js-plotly-plot:has(.main-svg)")
    expect(drawn).to_have_count(N_CHARTS, timeout=RUN_MS)
    expect(page.get_by_text(banner(seed), exact=True)).to_be_visible()
    expect(page.get_by_text(EN["results.not_run"].split("**")[0].strip())).to_have_count(0)


def idle(page: Page) -> None:
    """Wait until the app has finished its run (no faded, stale elements left)."""
    page.wait_for_function(IDLE, timeout=RUN_MS)


def axe_problems(page: Page) -> list[str]:
    """Serious or critical WCAG 2.2 A/AA violations that axe-core finds on the page."""
    idle(page)
    page.add_script_tag(content=AXE)
    return page.evaluate(AXE_RUN)


def shown_words(page: Page) -> list[str]:
    return page.evaluate(SHOWN_WORDS)


def english_on_page(page: Page) -> list[str]:
    """Lines of the page (text and screen-reader labels) that are English catalogue text."""
    return sorted(set(shown_words(page)) & english_lines())


def streamlit_english_on_page(page: Page) -> list[str]:
    """Streamlit's (and Plotly's) built-in English left on the page."""
    return sorted(
        {
            w
            for w in shown_words(page)
            if w in STREAMLIT_ENGLISH or STREAMLIT_ENGLISH_PARTS.search(w)
        }
    )


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or parts.hostname in LOCAL_HOSTS


# ----------------------------------------------------------------------------- tests


def test_language_switch_and_lang_address_parameter(visit: Visit) -> None:
    page = open_app(visit)
    expect(heading(page)).to_have_text(EN["pages.welcome.title"])
    expect(menu(page)).to_have_text(menu_titles(EN))

    choose_language(page, "cy")
    expect(heading(page)).to_have_text(CY["pages.welcome.title"])
    expect(menu(page)).to_have_text(menu_titles(CY))
    expect(page.get_by_role("radio", name=EN["lang.cy"])).to_be_checked()

    choose_language(page, "en")
    expect(heading(page)).to_have_text(EN["pages.welcome.title"])
    expect(menu(page)).to_have_text(menu_titles(EN))

    # The choice follows the visitor from page to page.
    choose_language(page, "cy")
    go_to(page, "scenario", CY)
    expect(menu(page)).to_have_text(menu_titles(CY))

    welsh = visit.context.new_page()  # a new session, opened with ?lang=cy
    welsh.goto(f"{visit.url}/?lang=cy")
    expect(heading(welsh)).to_have_text(CY["pages.welcome.title"])
    expect(menu(welsh)).to_have_text(menu_titles(CY))
    expect(welsh.get_by_role("radio", name=EN["lang.cy"])).to_be_checked()


def test_run_from_the_scenario_page_shows_every_result(visit: Visit) -> None:
    page = open_app(visit)
    go_to(page, "scenario")
    small_run_settings(page)
    run_button(page).click()
    expect_results(page, BASELINE.seed)

    cards = page.locator("[data-testid=stMetric]")
    expect(cards).to_have_count(3)  # targets are in the verdict above, not repeated as cards
    expect(page.get_by_role("heading", name=EN["verdict.title"])).to_be_visible()
    labels = page.locator("[data-testid=stMetricLabel]")
    expect(labels.first).to_have_text(EN["results.card_backlog"])
    expect(labels.nth(2)).to_have_text(EN["results.card_first_action"])
    for value in page.locator("[data-testid=stMetricValue]").all_text_contents():
        assert re.fullmatch(r"-?[\d,]+(\.\d+)?%?", value.strip()), value  # growth may be < 0

    # Every chart has an accessible name: "Chart: <title>. <plain reading>".
    names = page.locator("[data-testid=stPlotlyChart][role=figure]").evaluate_all(
        "charts => charts.map(c => c.getAttribute('aria-label'))"
    )
    prefix = EN["a11y.chart_name"].split("{")[0]
    assert len(names) == N_CHARTS and all(n and n.startswith(prefix) for n in names), names
    # ... and a button that saves it as a PNG image, drawn in the browser.
    image_buttons = page.get_by_role("button", name=EN["a11y.modebar_png"])
    expect(image_buttons).to_have_count(N_CHARTS)

    # Every chart is followed by its own CSV download, before the next chart.
    order = page.evaluate(
        """() => [...document.querySelectorAll(
            '.js-plotly-plot, [data-testid=stDownloadButton]')].map(
            e => e.matches('.js-plotly-plot') ? 'chart' : e.innerText.trim())"""
    )
    svg = EN["chart_image.download_svg"]
    assert order == ["chart", EN["ui.download_csv"], svg] * N_CHARTS, order
    # ... and its SVG download (a real button, drawn by the server's own Chromium, offline).
    with page.expect_download() as drawn:
        page.get_by_role("button", name=svg).first.click()
    assert drawn.value.suggested_filename.endswith("-en.svg")
    assert Path(drawn.value.path()).read_bytes().startswith(b"<svg")


def test_run_button_is_reached_with_tab_and_pressed_with_enter(visit: Visit) -> None:
    seed = 7
    page = open_app(visit)
    go_to(page, "scenario")
    small_run_settings(page, seed=seed)
    button = run_button(page)
    expect(button).to_be_visible()

    heading(page).click()  # start from the top of the page; from here on, keyboard only
    for presses in range(1, MAX_TABS + 1):  # noqa: B007 (the count is checked below)
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED_BUTTON, EN["run.button"]):
            break
    else:
        raise AssertionError(f"the Run button was not reached with {MAX_TABS} presses of Tab")
    assert presses <= 3, f"Run is the first control of the page, not {presses} Tabs away"
    outline = button.evaluate(
        "b => getComputedStyle(b).outlineStyle + ' ' + getComputedStyle(b).outlineWidth"
    )
    assert outline.startswith("solid") and not outline.endswith(" 0px"), outline  # visible focus
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect_results(page, seed)


def test_no_request_leaves_this_machine(visit: Visit) -> None:
    page = open_app(visit)
    choose_language(page, "cy")
    expect(heading(page)).to_have_text(CY["pages.welcome.title"])
    choose_language(page, "en")
    go_to(page, "scenario")
    small_run_settings(page, seed=11)
    run_button(page).click()
    expect_results(page, 11)

    # A data table and a CSV download.
    expanders = page.locator("[data-testid=stExpander] summary")
    expanders.filter(has_text=EN["ui.data_table"]).first.click()
    expect(page.locator("[data-testid=stDataFrame]").first).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name=EN["ui.download_csv"]).first.click()
    table = pd.read_csv(io.BytesIO(download.value.path().read_bytes()))
    assert len(table) > 0 and len(table.columns) > 1

    problems = {"results": axe_problems(page)}
    # Every other page of the menu, each checked with axe-core.
    for name in menu_pages():
        if name not in ("scenario", "results"):
            go_to(page, name)
            page.wait_for_load_state("networkidle")
            problems[name] = axe_problems(page)
    assert {name: found for name, found in problems.items() if found} == {}

    assert any(url.startswith("ws://127.0.0.1") for url in visit.requests), visit.requests
    assert any("/static/" in url for url in visit.requests), visit.requests
    outside = sorted({url for url in visit.requests if not is_local(url)})
    assert not outside, f"requests beyond this machine: {outside}"


def test_a_deep_link_on_a_fresh_server_shows_the_app(browser: Browser, tmp_path: Path) -> None:
    """The first visitor of a new server arrives on /results (a bookmark, or a tab left
    open while the server restarted): the app's menu and language switch are there.
    (Streamlit runs a page by itself, as an old-style app, when the pages sit in a folder
    called pages/ beside the entrypoint; hence app/screens/.)"""
    with running_app(tmp_path / "server.log") as url, visitor(browser, url) as first:
        page = first.page
        page.goto(f"{url}/results")
        expect(heading(page)).to_have_text(EN["pages.results.title"])
        expect(menu(page).first).to_be_visible()
        expect(menu(page)).to_have_text(menu_titles(EN), timeout=5_000)
        expect(page.get_by_role("radio", name=EN["lang.cy"])).to_be_visible(timeout=5_000)


def test_welsh_pages_speak_welsh_and_pass_axe(visit: Visit) -> None:
    """A shared address in Welsh: the result is shown at once with its verdict; on every
    page the document says lang="cy", axe-core finds no serious or critical problem, and
    no English catalogue text is left (text or screen-reader labels)."""
    page = visit.page
    page.goto(f"{visit.url}/{shared_address(5, 'cy')}")
    expect(heading(page)).to_have_text(CY["pages.results.title"])
    expect(page.locator(".js-plotly-plot:has(.main-svg)")).to_have_count(N_CHARTS, timeout=RUN_MS)
    expect(page.get_by_role("heading", name=CY["verdict.title"])).to_be_visible()
    expect(page.get_by_text(banner(5, "cy"), exact=True)).to_be_visible()
    found: dict[str, list[str]] = {}
    for name in ["results", *[n for n in menu_pages() if n != "results"]]:
        if name != "results":
            go_to(page, name, CY)
        if name == "compare":
            page.get_by_role("button", name=CY["compare.run"]).click()
            expect(page.get_by_role("heading", name=CY["verdict.compare_title"])).to_be_visible(
                timeout=RUN_MS
            )
        idle(page)
        assert page.evaluate("document.documentElement.lang") == "cy", name
        problems = axe_problems(page)
        english = lasting_english(page, catalogue_too=name in MY_PAGES)
        if problems or english:
            found[name] = problems + english
    assert found == {}


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_phone_width_legends_and_labels_do_not_overlap(
    browser: Browser, app_url: str, lang: str
) -> None:
    """At 390 px, in both languages: no legend overlaps its axis title, every plot keeps a
    usable width, the verdict is there, nothing is wider than the screen, and axe-core
    is clean."""
    context = browser.new_context(viewport=PHONE)
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        page.goto(f"{app_url}/{shared_address(9, lang)}")
        expect(page.locator(".js-plotly-plot:has(.main-svg)")).to_have_count(
            N_CHARTS, timeout=RUN_MS
        )
        title = catalogue(lang)["verdict.title"]
        expect(page.get_by_role("heading", name=title)).to_be_visible()
        idle(page)
        overlaps = page.evaluate(
            """() => [...document.querySelectorAll('.js-plotly-plot')].flatMap((chart, i) => {
                const box = e => e.getBoundingClientRect();
                const hit = (a, b) => a.left < b.right && b.left < a.right
                    && a.top < b.bottom && b.top < a.bottom;
                const legend = chart.querySelector('.legend');
                const titles = [...chart.querySelectorAll('.xtitle, .ytitle, .g-xtitle text')];
                const plot = chart.querySelector('.nsewdrag');
                const out = [];
                if (legend) titles.filter(t => hit(box(legend), box(t))).forEach(
                    () => out.push(`chart ${i}: legend over an axis title`));
                const width = plot ? box(plot).width : 999;
                if (width < 150) out.push(`chart ${i}: plot ${width}px`);
                return out;
            })"""
        )
        assert overlaps == []
        wider = page.evaluate(
            """() => [...document.querySelectorAll('[data-testid=stMain] *')]
                .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                    && !e.closest('[data-testid=stDataFrame], .js-plotly-plot, table'))
                .filter(e => getComputedStyle(e).visibility !== 'hidden')
                .slice(0, 5).map(e => (e.dataset.testid || e.tagName) + ': '
                    + (e.innerText || '').slice(0, 40))"""
        )
        assert wider == []
        assert axe_problems(page) == []
    finally:
        context.close()


CHIPS = "[data-testid=stMultiSelect] [data-tag]"
CUT_CHIPS = """() => [...document.querySelectorAll('[data-testid=stMultiSelect] [data-tag]')]
    .flatMap(tag => {
        const text = tag.querySelector('span');
        const out = [];
        if (text.scrollWidth > text.clientWidth + 1 || text.scrollHeight > text.clientHeight + 1
            || getComputedStyle(text).textOverflow === 'ellipsis')
            out.push(`cut: ${text.innerText}`);
        if (tag.getBoundingClientRect().right > window.innerWidth + 1)
            out.push(`off the screen: ${text.innerText}`);
        return out;
    })"""


def test_phone_width_chips_show_whole_welsh_names(browser: Browser, app_url: str) -> None:
    """At 390 px in Welsh, every chosen item in a multiselect (Results' stages, Staffing's
    roles, Compare's scenarios) shows its whole name, wrapped if need be: none is cut off
    with "…" or runs off the screen."""
    context = browser.new_context(viewport=PHONE)
    context.set_default_timeout(WAIT_MS)
    try:
        page = context.new_page()
        cut: dict[str, list[str]] = {}
        for where, address in (
            ("results", shared_address(11, "cy")),
            ("staffing", "staffing?lang=cy"),
            ("compare", "compare?lang=cy"),
        ):
            page.goto(f"{app_url}/{address}")
            expect(page.locator(CHIPS).first).to_be_visible(timeout=RUN_MS)
            idle(page)
            problems = page.evaluate(CUT_CHIPS)
            if problems:
                cut[where] = problems
        assert cut == {}
        # the longest Welsh role name is among them, whole
        page.goto(f"{app_url}/staffing?lang=cy")
        chip = page.locator(CHIPS).filter(has_text="Ymchwilydd / dadansoddwr cudd-wybodaeth")
        expect(chip).to_be_visible()
    finally:
        context.close()


def lasting_english(page: Page, catalogue_too: bool = True) -> list[str]:
    """Streamlit's built-in English (and English catalogue lines) that stay on a Welsh
    page. Streamlit draws a page in stages and the page's word script follows each
    within 30 ms: what counts is what stays, so look again for a few seconds."""
    idle(page)
    for _ in range(SCAN_TRIES):
        english = streamlit_english_on_page(page)
        english += english_on_page(page) if catalogue_too else []
        if not english:
            break
        page.wait_for_timeout(250)
    return english


def scan_welsh(page: Page, where: str, found: dict[str, list[str]]) -> None:
    """Streamlit's built-in English and English catalogue lines left on a Welsh page."""
    english = lasting_english(page)
    if english:
        found[where] = english


def open_select(page: Page, label: str, typed: str = "") -> None:
    """Open a select box (found by its label) and optionally type into it."""
    box = page.get_by_role("combobox", name=label, exact=True)
    box.click()
    expect(page.get_by_role("listbox").first).to_be_visible()
    if typed:
        page.keyboard.type(typed)


def close_popups(page: Page) -> None:
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    heading(page).click()


def test_welsh_widgets_opened_show_no_streamlit_english(visit: Visit) -> None:
    """On Welsh pages with Streamlit's widgets opened (the date picker's calendar, select
    boxes with and without matches, multiselects, file uploaders, empty date boxes) no
    built-in English is left in text, labels, titles, placeholders or value texts; the
    calendar's weekday initials are Welsh; back in English, Streamlit's words return."""
    page = open_app(visit, "?lang=cy")
    expect(heading(page)).to_have_text(CY["pages.welcome.title"])
    found: dict[str, list[str]] = {}

    go_to(page, "scenario", CY)
    expect(page.get_by_text(CY["a11y.uploader_browse"], exact=True).first).to_be_visible()
    scan_welsh(page, "scenario", found)
    open_select(page, CY["scenario.pick"])
    scan_welsh(page, "scenario: select open", found)
    page.keyboard.type("zzzq")
    expect(page.get_by_text(CY["streamlit.no_results"], exact=True)).to_be_visible()
    scan_welsh(page, "scenario: select with no match", found)
    close_popups(page)

    go_to(page, "staffing", CY)
    page.locator("[data-testid=stDateInputCalendarButton]").first.click()
    grid = page.locator("table[role=grid]")
    expect(grid).to_be_visible()
    expect(grid.locator("thead th")).to_have_text(WELSH_INITIALS)  # the browser starts on Sunday
    expect(page.get_by_role("button", name=CY["streamlit.previous_month"])).to_be_visible()
    scan_welsh(page, "staffing: calendar open", found)
    close_popups(page)
    open_select(page, CY["staffing.roles"])
    scan_welsh(page, "staffing: multiselect open", found)
    close_popups(page)
    open_select(page, CY["staffing_page.option"], typed="zzzq")
    scan_welsh(page, "staffing: select with no match", found)
    close_popups(page)

    go_to(page, "compare", CY)
    open_select(page, CY["compare.pick"])
    scan_welsh(page, "compare: multiselect open", found)
    close_popups(page)

    go_to(page, "calibrate", CY)
    expect(page.locator("[data-testid=stFileUploader]").first).to_be_visible()
    scan_welsh(page, "calibrate: uploaders and an empty date box", found)
    page.locator("[data-testid=stDateInputCalendarButton]").first.click()
    expect(page.locator("table[role=grid]")).to_be_visible()
    scan_welsh(page, "calibrate: calendar open", found)
    close_popups(page)
    assert found == {}

    # Back in English, Streamlit's own words return (nothing stays Welsh).
    choose_language(page, "en")
    go_to(page, "scenario")
    uploader = page.locator("[data-testid=stFileUploaderDropzone]").first
    expect(uploader.get_by_role("button", name="Upload", exact=True)).to_be_visible()
    expect(uploader.get_by_text("10MB per file • YAML, YML", exact=True)).to_be_visible()
    expect(page.get_by_role("combobox", name=EN["scenario.pick"])).to_have_attribute(
        "placeholder", "Choose an option"
    )


def test_named_settings_survive_a_refresh_and_a_new_tab(browser: Browser, visit: Visit) -> None:
    """Saved settings live in the visitor's browser (localStorage): after a refresh and in
    a new tab they are listed and bring their settings back; another browser (a new
    profile) has none; the page's address never carries them."""
    page = open_app(visit)
    go_to(page, "scenario")
    small_run_settings(page, seed=77)
    page.locator("[data-testid=stExpander] summary").filter(
        has_text=EN["share.saved_title"]
    ).click()
    set_number(page, EN["share.save_name"], "Sergeants review")
    page.get_by_role("button", name=EN["share.save_button"], exact=True).click()
    page.wait_for_function(
        "key => (localStorage.getItem(key) || '').includes('Sergeants review')", arg=SAVED_KEY
    )
    assert "saved=" not in page.url

    def listed(tab: Page) -> None:
        expect(heading(tab)).to_have_text(EN["pages.scenario.title"])
        tab.locator("[data-testid=stExpander] summary").filter(
            has_text=EN["share.saved_title"]
        ).click()
        expect(tab.get_by_role("combobox", name=EN["share.saved_pick"])).to_have_value(
            "Sergeants review"
        )

    page.reload()
    listed(page)

    tab = visit.context.new_page()  # a new tab: a new Streamlit session, the same browser
    tab.goto(f"{visit.url}/scenario")
    listed(tab)
    tab.get_by_role("button", name=EN["share.load_button"], exact=True).click()
    tab.locator("[data-testid=stExpander] summary").filter(has_text=EN["levers.groups.run"]).click()
    expect(tab.get_by_label(EN["levers.seed"], exact=True)).to_have_value("77")

    with visitor(browser, visit.url) as other:  # someone else's browser
        other.page.goto(f"{visit.url}/scenario")
        expect(heading(other.page)).to_have_text(EN["pages.scenario.title"])
        other.page.locator("[data-testid=stExpander] summary").filter(
            has_text=EN["share.saved_title"]
        ).click()
        expect(other.page.get_by_role("combobox", name=EN["share.saved_pick"])).to_have_count(0)


def test_the_address_after_a_run_reproduces_the_result(browser: Browser, visit: Visit) -> None:
    """The page's address after a run (scenario, settings, seed) opened by someone else
    shows the same figures."""
    page = open_app(visit)
    go_to(page, "scenario")
    small_run_settings(page, seed=13)
    run_button(page).click()
    expect_results(page, 13)
    address = page.url
    assert "scenario=baseline" in address and "seed=13" in address, address
    figures = page.locator("[data-testid=stMetricValue]").all_text_contents()
    with visitor(browser, visit.url) as colleague:
        colleague.page.goto(address)
        expect_results(colleague.page, 13)
        expect(colleague.page.locator("[data-testid=stMetricValue]")).to_have_text(figures)
