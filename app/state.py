"""What the user has chosen, kept in the Streamlit session across pages.

Streamlit forgets a widget's value when a page that does not show it runs, so lever
values live in a plain session dictionary and the widgets are re-seeded from it. The
chosen scenario (a shipped file or an upload) is kept as a validated ``Scenario``;
the adjusted scenario is always rebuilt from it and the lever values through
:func:`model.scenario.with_overrides`, so it is validated like any file.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from app.levers import Lever, base_values, levers_for, overrides
from model.engine.size import check_run_size
from model.replications import default_workers
from model.scenario import (
    SHIPPED_ONLY,
    Scenario,
    ScenarioError,
    load_scenario,
    resolve_extends,
    scenario_from_mapping,
    with_overrides,
)

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS_DIR = ROOT / "scenarios"
DEFAULT_SCENARIO = "baseline.yaml"
MAIN_OPTION = "full_mobile_monitoring.yaml"
"""The option the PCC's letter asks about: listed right after today, so Compare offers it first."""

BASE_KEY = "state:base"
ORIGIN_KEY = "state:origin"
VALUES_KEY = "state:levers"
WORKERS_KEY = "state:workers"
WIDGET_PREFIX = "lever:"
COMPARE_PICK_KEY = "widget:compare_pick"
"""The Compare page's scenario picks (drawn with ``ui.choice_key``, kept by
``ui.keep_choice``); the Staffing page offers the first option picked there."""


@dataclass(frozen=True)
class Origin:
    """Where the chosen scenario came from: a shipped file or an upload (by file name)."""

    kind: str  # "shipped" or "upload"
    file: str


def shipped_scenarios() -> list[str]:
    """Scenario files shipped in ``scenarios/``: today first, then the main option, then the
    rest by name."""
    names = sorted(p.name for p in SCENARIOS_DIR.glob("*.yaml"))
    return sorted(names, key=lambda n: (n != DEFAULT_SCENARIO, n != MAIN_OPTION))


@st.cache_data(show_spinner=False)
def load_shipped(file: str) -> Scenario:
    return load_scenario(SCENARIOS_DIR / file)


def parse_upload(file_name: str, data: bytes) -> Scenario:
    """Validate an uploaded scenario; problems come back as ``ScenarioError`` lines.

    The upload is checked with the same reader as files on disk (so errors read the same),
    in a private temporary folder that also holds copies of the shipped scenarios, so an
    upload may say ``extends: baseline.yaml``. Messages name the uploaded file, not the
    temporary folder."""
    safe_name = Path(file_name).name or "upload.yaml"
    with tempfile.TemporaryDirectory(prefix="acusim-upload-") as tmp:
        folder = Path(tmp)
        for shipped in SCENARIOS_DIR.glob("*.yaml"):
            if shipped.name != safe_name:
                shutil.copy(shipped, folder / shipped.name)
        path = folder / safe_name
        path.write_bytes(data)
        try:
            mapping = resolve_extends(path, extends_from=SHIPPED_ONLY)  # shipped names only
            _drop_inherited_titles(mapping)
            scenario = scenario_from_mapping(mapping, safe_name)
            check_run_size(scenario, safe_name)
            return scenario
        except ScenarioError as exc:
            prefix = str(folder) + "/"
            raise ScenarioError([line.replace(prefix, "") for line in exc.lines]) from None


def levers_for_file(file: str) -> list[Lever]:
    """The levers of a shipped scenario (for reading a shared address)."""
    return levers_for(load_shipped(file))


def _drop_inherited_titles(mapping: dict) -> None:
    """An upload that extends a shipped scenario under a new ``name`` but gives no title
    of its own must not be shown under the shipped one's title ("The unit as it is
    today"): its inherited titles (and a Welsh description for a changed description)
    are dropped, so the upload is shown by its own name."""
    for file in shipped_scenarios():
        shipped = load_shipped(file)
        if mapping.get("name") == shipped.name or not shipped.title:
            continue
        if mapping.get("title") == shipped.title:
            mapping.pop("title", None)
            if mapping.get("title_cy") == shipped.title_cy:
                mapping.pop("title_cy", None)
        if (
            mapping.get("description_cy") == shipped.description_cy
            and mapping.get("description") != shipped.description
        ):
            mapping.pop("description_cy", None)


def origin() -> Origin:
    return st.session_state.get(ORIGIN_KEY) or Origin("shipped", DEFAULT_SCENARIO)


def base_scenario() -> Scenario:
    """The chosen scenario, as its file says (the default file on a first visit)."""
    scenario = st.session_state.get(BASE_KEY)
    if scenario is None:
        scenario = load_shipped(DEFAULT_SCENARIO)
        _choose(scenario, Origin("shipped", DEFAULT_SCENARIO))
    return scenario


def _choose(scenario: Scenario, where: Origin) -> None:
    for key in [k for k in st.session_state if str(k).startswith(WIDGET_PREFIX)]:
        del st.session_state[key]
    st.session_state[BASE_KEY] = scenario
    st.session_state[ORIGIN_KEY] = where
    st.session_state[VALUES_KEY] = base_values(levers_for(scenario))


def choose_shipped(file: str) -> None:
    """Make a shipped scenario the chosen one; levers go back to its values."""
    if origin() != Origin("shipped", file) or BASE_KEY not in st.session_state:
        _choose(load_shipped(file), Origin("shipped", file))


def choose_uploaded(file_name: str, scenario: Scenario) -> None:
    """Make a validated upload the chosen scenario; levers go back to its values."""
    _choose(scenario, Origin("upload", Path(file_name).name))


def levers() -> list[Lever]:
    return levers_for(base_scenario())


def lever_values() -> dict[str, Any]:
    base_scenario()
    return st.session_state[VALUES_KEY]


def reset_levers() -> None:
    """Put every lever back to the chosen scenario's value."""
    _choose(base_scenario(), origin())


def adjusted_scenario() -> Scenario:
    """The chosen scenario with the levers applied (raises ``ScenarioError`` if invalid)."""
    base = base_scenario()
    changes = overrides(levers_for(base), lever_values())
    if not changes:
        return base
    adjusted = with_overrides(base, changes, "levers")
    check_run_size(adjusted, "levers")  # too large to run: shown like any lever problem
    return adjusted


def workers() -> int:
    """Worker processes for replications (all cores unless the user chose fewer)."""
    return int(st.session_state.get(WORKERS_KEY, default_workers()))
