"""A result's address: the scenario, the moved levers and the seed in the page's query
parameters, so a bookmark, a browser refresh or a link sent to a colleague shows the same
result again (same scenario, seed and settings give the same numbers).

Nothing is stored on the server: the address is the whole record. Only shipped scenarios
can be named in an address (an uploaded file exists only in its visitor's session).
Anything in an address that this app does not know (another file name, a lever it does
not have, a value that does not parse) is ignored with one line saying so, never run.

Parameters: ``scenario`` (shipped file name without ``.yaml``), ``seed``, ``set``
(``lever=value`` pairs joined by ``;``), ``lang`` (kept as it is).
"""

from __future__ import annotations

import json
from typing import Any

import streamlit as st

from app import browser_store, state
from app.levers import Lever, moved

SCENARIO_PARAM = "scenario"
SEED_PARAM = "seed"
SET_PARAM = "set"
RESTORED_KEY = "state:share_restored"
ASKED_KEY = "state:share_asked"
PROBLEMS_KEY = "state:share_problems"
MAX_PAIRS = 64
"""More pairs than any scenario has levers: the rest of an address is ignored."""
SAVED_PARAM = "saved"
SAVED_KEY = "state:saved"
MAX_SAVED = 10
MAX_NAME = 60
MAX_SAVED_CHARS = 8000
"""Saved settings (in the browser, or in an older address): a few, with short names, in a
bounded string."""


def encode(origin: state.Origin, values: dict[str, Any]) -> dict[str, str]:
    """Query parameters for the chosen scenario and lever values (empty for an upload)."""
    if origin.kind != "shipped":
        return {}
    levers = state.levers_for_file(origin.file)
    pairs = [f"{lever.id}={_text(lever, value)}" for lever, value in moved(levers, values)]
    params = {SCENARIO_PARAM: origin.file.removesuffix(".yaml")}
    seed = values.get("seed")
    if seed is not None:
        params[SEED_PARAM] = str(int(seed))
    if pairs:
        params[SET_PARAM] = ";".join(pairs)
    return params


def _text(lever: Lever, value: Any) -> str:
    if lever.widget == "toggle":
        return "1" if value else "0"
    if lever.widget == "integer":
        return str(int(value))
    return repr(float(value))


def _parse(lever: Lever, text: str) -> Any:
    if lever.widget == "toggle":
        if text not in ("0", "1"):
            raise ValueError(text)
        return text == "1"
    if lever.widget == "integer":
        return int(text)
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError(text)
    return value


def remember(origin: state.Origin, values: dict[str, Any]) -> None:
    """Write the scenario and lever values into the address (after a run)."""
    params = encode(origin, values)
    for key in (SCENARIO_PARAM, SEED_PARAM, SET_PARAM):
        if key in st.query_params and key not in params:
            del st.query_params[key]
    for key, value in params.items():
        st.query_params[key] = value


def decode(params: dict[str, str]) -> tuple[str | None, dict[str, Any], list[str]]:
    """(shipped file, lever values, problems) from query parameters. Unknown things are
    problems, not errors: the rest of the address still applies."""
    problems: list[str] = []
    name = params.get(SCENARIO_PARAM)
    if not name:
        return None, {}, problems
    file = f"{name}.yaml"
    if file not in state.shipped_scenarios():
        return None, {}, [f"{SCENARIO_PARAM}={name}"[:80]]
    levers = {lever.id: lever for lever in state.levers_for_file(file)}
    values: dict[str, Any] = {}
    pairs = [p for p in params.get(SET_PARAM, "").split(";") if p][:MAX_PAIRS]
    if SEED_PARAM in params:
        pairs.append(f"seed={params[SEED_PARAM]}")
    for pair in pairs:
        key, _, text = pair.partition("=")
        lever = levers.get(key)
        try:
            if lever is None:
                raise ValueError(key)
            values[key] = _parse(lever, text)
        except ValueError:
            problems.append(pair[:80])
    return file, values, problems


def restore_once() -> bool:
    """On a visitor's first page, apply a shared address; True if it named a scenario (the
    Results page then runs it without waiting for a click)."""
    if st.session_state.get(RESTORED_KEY):
        return False
    st.session_state[RESTORED_KEY] = True
    file, values, problems = decode(dict(st.query_params))
    st.session_state[PROBLEMS_KEY] = problems
    st.session_state[SAVED_KEY] = read_saved(st.query_params.get(SAVED_PARAM, ""))
    if SAVED_PARAM in st.query_params:
        # An older address kept the named settings here; they now live in the visitor's
        # browser (keep_saved_in_browser) and the address is the link to one result, so
        # the list, read, is dropped from it (nothing writes it any more).
        del st.query_params[SAVED_PARAM]
    if file is None:
        return False
    state.choose_shipped(file)
    current = state.lever_values()
    current.update(values)
    st.session_state[ASKED_KEY] = True
    return True


def take_asked() -> bool:
    """Whether this visit arrived with a scenario in its address and has not yet been
    shown it (true once: later changes wait for the Run button as usual)."""
    return bool(st.session_state.pop(ASKED_KEY, False))


def problems() -> list[str]:
    return list(st.session_state.get(PROBLEMS_KEY) or [])


# --------------------------------------------------------------------------- saved settings


def read_saved(text: str) -> list[dict[str, str]]:
    """Named settings from the ``saved`` parameter (JSON list of {name, scenario, seed,
    set}); anything malformed is dropped, never run."""
    if not text or len(text) > MAX_SAVED_CHARS:
        return []
    try:
        items = json.loads(text)
    except ValueError:
        return []
    if not isinstance(items, list):
        return []
    keys = ("name", SCENARIO_PARAM, SEED_PARAM, SET_PARAM)
    saved = []
    for item in items[:MAX_SAVED]:
        usable = isinstance(item, dict) and all(isinstance(item.get(k, ""), str) for k in keys)
        if usable and item.get("name") and item.get(SCENARIO_PARAM):
            saved.append({k: item.get(k, "")[: MAX_NAME if k == "name" else 2000] for k in keys})
    return saved


def saved() -> list[dict[str, str]]:
    return list(st.session_state.get(SAVED_KEY) or [])


def _heard(stored: str) -> None:
    """The browser's list, heard once a session: merged with this session's."""
    st.session_state[SAVED_KEY] = browser_store.merge(read_saved(stored), saved(), MAX_SAVED)


def keep_saved_in_browser() -> None:
    """Last thing on the Scenario page (the only page that lists or saves named
    settings): hand the list to the visitor's browser and, once a session, hear the
    browser's list (``app.browser_store``; merged with this session's)."""
    browser_store.sync(saved(), _heard, MAX_SAVED)


def save(name: str, origin: state.Origin, values: dict[str, Any]) -> bool:
    """Keep the current settings under ``name`` (replacing one of the same name); False
    for an upload, which cannot be named in an address. The next run hands the new
    list to the browser (``app.browser_store``)."""
    params = encode(origin, values)
    name = name.strip()[:MAX_NAME]
    if not params or not name:
        return False
    items = [item for item in saved() if item["name"] != name]
    items.append({"name": name, SCENARIO_PARAM: "", SEED_PARAM: "", SET_PARAM: "", **params})
    st.session_state[SAVED_KEY] = items[-MAX_SAVED:]
    return True


def use_saved(name: str) -> list[str]:
    """Make the saved settings called ``name`` the chosen ones; problems in words."""
    item = next((i for i in saved() if i["name"] == name), None)
    if item is None:
        return [name]
    file, values, problems = decode({k: v for k, v in item.items() if v and k != "name"})
    if file is None:
        return problems
    state._choose(state.load_shipped(file), state.Origin("shipped", file))
    state.lever_values().update(values)
    return problems
