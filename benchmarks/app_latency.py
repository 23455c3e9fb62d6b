"""App latency: wall time from clicking Run on the Scenario page to every chart drawn on
the Results page, in a real browser (headless Chromium from the system's packages).

Starts the app as ``make app`` does (on a free port unless ``--port``), opens it at its
address, goes to the Scenario page with the baseline scenario, sets the number of runs
(default 30; the baseline's 3-year horizon is kept) and clicks Run. The clock stops when
all six Results charts have their SVG. The app caches results by scenario content and
seed, so every measured cold run uses a new seed; afterwards each of those seeds is run
again ("cached revisit": no simulation, only the pages). The first Run of the browser
session is printed on its own line, apart from the cold runs: a new browser session
pays about a second more for drawing its first charts.

Where the time goes: each cold run is split at the moment the Results page opens (the
Scenario page's script has then finished simulating) and, after the browser part,
``model.replications.run_replications`` is timed on the same scenarios and seeds with a
warm pool of as many worker processes as the app uses. Goal: under 5 s on 2 cores.

    .venv/bin/python benchmarks/app_latency.py [--replications 30] [--repeats 5] [--port N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # the app's and the browser tests' helpers live outside model/
    sys.path.insert(0, str(ROOT))

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

from app.i18n import catalogue, use_language  # noqa: E402
from app.ui import date_text, years_text  # noqa: E402
from model.replications import default_workers, process_pool, run_replications  # noqa: E402
from model.scenario import load_scenario, with_overrides  # noqa: E402
from tests.e2e.appserver import (  # noqa: E402
    MISSING_CHROMIUM,
    find_chromium,
    launch_chromium,
    running_app,
)

EN = catalogue("en")
N_CHARTS = 6
GOAL_SECONDS = 5.0
WAIT_MS = 180_000
DRAWN = """n => [...document.querySelectorAll('.js-plotly-plot')]
    .filter(plot => plot.querySelector('.main-svg')).length >= n"""


@dataclass
class Timing:
    seed: int
    to_page: float
    """Click to the Results page opening (the Scenario page's script, with the simulation)."""
    total: float
    """Click to every chart drawn."""


def idle(page: Page) -> None:
    """Wait until no script run is in progress (the attribute Streamlit's own tests use)."""
    expect(page.locator("[data-testid=stApp]")).to_have_attribute(
        "data-test-script-state", "notRunning", timeout=WAIT_MS
    )


def go_to(page: Page, name: str) -> None:
    page.locator("[data-testid=stSidebarNavLink]").filter(
        has_text=EN[f"pages.{name}.nav"]
    ).first.click()
    expect(page.locator("[data-testid=stMain] h1")).to_have_text(EN[f"pages.{name}.title"])
    idle(page)


def set_number(page: Page, label: str, value: int) -> None:
    box = page.get_by_label(label, exact=True)
    if not box.is_visible():
        page.locator("[data-testid=stExpander] summary").filter(
            has_text=EN["levers.groups.run"]
        ).click()
    box.fill(str(value))
    box.press("Enter")
    expect(box).to_have_value(str(value))
    time.sleep(0.2)  # let the rerun that Enter asked for start, then wait for it
    idle(page)


def banner(scenario, replications: int, seed: int) -> str:
    with use_language("en"):
        start = date_text(scenario.start_date)
        years = years_text(scenario.horizon_years)
    return EN["words.banner"].format(
        title=scenario.title or scenario.name,
        years=years,
        start=start,
        seed=seed,
        n=replications,
    )


def click_run_to_charts(page: Page, scenario, replications: int, seed: int) -> Timing:
    """From the Results (or any) page: Scenario page, set the seed, click Run, time it."""
    go_to(page, "scenario")
    set_number(page, EN["levers.seed"], seed)
    assert page.locator(".js-plotly-plot").count() == 0
    run = page.get_by_role("button", name=EN["run.button"], exact=True)
    start = time.perf_counter()
    run.click()
    page.wait_for_url("**/results**", timeout=WAIT_MS)  # the address carries the settings
    to_page = time.perf_counter() - start
    page.wait_for_function(DRAWN, arg=N_CHARTS, timeout=WAIT_MS)
    total = time.perf_counter() - start
    expect(page.get_by_text(banner(scenario, replications, seed), exact=True)).to_be_visible()
    idle(page)
    return Timing(seed, to_page, total)


def summary(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):5.2f} s, "
        f"range {min(values):.2f} to {max(values):.2f} s (n = {len(values)})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args()

    load = os.getloadavg()[0]
    chromium = find_chromium()
    if chromium is None:
        sys.exit(MISSING_CHROMIUM)
    base = load_scenario(ROOT / "scenarios" / "baseline.yaml")
    first_seed = base.seed + 1
    seeds = [base.seed + 2 + i for i in range(args.repeats)]

    with (
        tempfile.TemporaryDirectory(prefix="acusim-bench-") as tmp,
        running_app(Path(tmp) / "server.log", args.port) as url,
        sync_playwright() as playwright,
    ):
        browser = launch_chromium(playwright, chromium)
        page = browser.new_page(viewport={"width": 1280, "height": 1600})
        page.set_default_timeout(WAIT_MS)
        page.goto(f"{url}/")
        expect(page.locator("[data-testid=stMain] h1")).to_have_text(EN["pages.welcome.title"])
        idle(page)
        go_to(page, "scenario")
        set_number(
            page,
            EN["ui.label_with_unit"].format(label=EN["levers.replications"], unit=EN["units.runs"]),
            args.replications,
        )
        first = click_run_to_charts(page, base, args.replications, first_seed)
        cold = [click_run_to_charts(page, base, args.replications, s) for s in seeds]
        cached = [click_run_to_charts(page, base, args.replications, s) for s in seeds]
        browser_version = browser.version
        browser.close()

    # The simulation alone: the same scenarios and seeds, a warm pool of the app's size.
    workers = default_workers()
    scenario = with_overrides(base, {"replications": args.replications}, base.name)
    with process_pool(workers) as pool:
        list(pool.map(int, range(workers)))
        simulate = []
        for seed in seeds:
            start = time.perf_counter()
            run_replications(scenario, seed=seed, workers=workers, executor=pool)
            simulate.append(time.perf_counter() - start)

    print(
        f"{dt.date.today().isoformat()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, streamlit {version('streamlit')}, plotly "
        f"{version('plotly')}, playwright {version('playwright')}, chromium {browser_version}; "
        f"load average {load:.1f} at the start"
    )
    print(
        f"scenario: {base.name}, {base.horizon_years:g} years, {args.replications} runs, "
        f"{workers} worker processes; {args.repeats} seeds"
    )
    print(
        f"first Run of the session:   {first.total:5.2f} s "
        f"(Results page after {first.to_page:.2f} s; the browser draws its first chart)"
    )
    goal = f"(goal < {GOAL_SECONDS:g} s)"
    print(f"cold, click to charts:      {summary([t.total for t in cold])}  {goal}")
    print(f"  click to Results page:    {summary([t.to_page for t in cold])}")
    print(f"  Results page to charts:   {summary([t.total - t.to_page for t in cold])}")
    print(f"  simulation alone:         {summary(simulate)}")
    print(f"cached revisit:             {summary([t.total for t in cached])}")
    print(f"  click to Results page:    {summary([t.to_page for t in cached])}")
    print(f"  Results page to charts:   {summary([t.total - t.to_page for t in cached])}")
    met = statistics.median(t.total for t in cold) < GOAL_SECONDS
    print(f"goal (median cold < {GOAL_SECONDS:g} s): {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
