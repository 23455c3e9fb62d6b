"""Helpers for driving the Streamlit app headless with ``streamlit.testing.v1.AppTest``.

Runs are kept small (half a year, three runs, one process) so each page test takes
seconds; the model is then called directly with the same scenario and seed and the
figures on screen are checked against it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from streamlit import logger as streamlit_logger
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

APP = ROOT / "app" / "Home.py"
TIMEOUT_SECONDS = 180
FAST_LEVERS: dict[str, Any] = {"lever:horizon_years": 0.5, "lever:replications": 3}
"""Half a year and three runs: enough for intervals, quick enough for a test."""


@pytest.fixture(autouse=True, scope="session")
def _stop_worker_pools():
    """The app's worker pools outlive a test; stop them when the session ends."""
    yield
    from app.runs import shut_down_pools

    shut_down_pools()


@pytest.fixture(autouse=True)
def _quiet_streamlit():
    """AppTest logs a warning per session-state access from the test thread; hide them."""
    streamlit_logger.set_log_level("error")
    yield


def open_app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_SECONDS)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def go(at: AppTest, page: str) -> AppTest:
    at.switch_page(f"screens/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def set_levers(at: AppTest, values: dict[str, Any], workers: int = 1) -> AppTest:
    """On the Scenario page: set number inputs, sliders and toggles by key, then rerun."""
    for key, value in values.items():
        for finder in (at.number_input, at.slider, at.toggle):
            try:
                widget = finder(key=key)
            except KeyError:
                continue
            widget.set_value(value)
            break
        else:
            raise KeyError(key)
    at.number_input(key="widget:workers").set_value(workers)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def fast_app(extra: dict[str, Any] | None = None, workers: int = 1) -> AppTest:
    """The app on the Scenario page with small runs (and any extra lever values)."""
    at = go(open_app(), "scenario")
    return set_levers(at, {**FAST_LEVERS, **(extra or {})}, workers)


def click(at: AppTest, key: str) -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at
