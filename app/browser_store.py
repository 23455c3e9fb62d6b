"""Named settings kept in the visitor's own browser (``localStorage``), so they are still
there after a refresh, in a new tab, or on a visit next week; nothing is stored on the
server.

Streamlit has no storage of its own in the browser, so this is a tiny two-way component
(``st.components.v2``, part of the pinned Streamlit: no new package, nothing fetched from
the network). Its script, below, is ours and holds no visitor text: on every run it
writes the list Python hands it (when there is one) to ``localStorage`` under one key and
hands back what is stored there. Python reads the stored list once per session (the
first run after the page loads), merges it with any list in the page's address, and from
then on hands the session's list down to be written on every run. What comes back from
the browser is only ever parsed by :func:`app.share.read_saved` (the same checks as a
list in an address: names and known settings, never run unseen).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import streamlit as st

STORAGE_KEY = "acusim.saved-settings.v1"
"""The one ``localStorage`` key (versioned, so a later format can live beside it)."""
COMPONENT_KEY = "acu_saved_store"
LOADED_KEY = "state:saved_loaded"
"""True once this session has read the browser's list (until then nothing is written,
so an empty session never wipes a list saved on an earlier visit)."""

SCRIPT = """
export default function (component) {
  const { data, setStateValue } = component;
  let stored = "[]";
  try {
    const store = window.localStorage;
    if (data && typeof data.write === "string") store.setItem(data.key, data.write);
    stored = store.getItem(data.key) || "[]";
  } catch (error) {
    stored = "[]";  // storage switched off (private window, policy): nothing kept
  }
  setStateValue("stored", stored);
}
"""

_component = st.components.v2.component("acu_saved_store", js=SCRIPT)


def sync(items: list[dict[str, str]], heard: Callable[[str], None]) -> None:
    """Mount the store (once a run, in a hidden sidebar container, after the page: its
    first answer makes a rerun, which must not land while a page is being drawn; widgets
    drawn in a cut-short first run came back with their lowest values).

    Until the browser's list has been read, nothing is written (``write`` is null); the
    browser's answer reaches ``heard`` (the stored JSON text) in a callback, before the
    next run draws the page, so that run already lists the names. Afterwards every run
    writes ``items``. In AppTest, with no browser, nothing is ever heard."""

    def answered() -> None:
        if st.session_state.get(LOADED_KEY):
            return
        value = st.session_state.get(COMPONENT_KEY)
        stored = value.get("stored") if isinstance(value, dict) else None
        if isinstance(stored, str):
            st.session_state[LOADED_KEY] = True
            heard(stored)

    loaded = bool(st.session_state.get(LOADED_KEY))
    data = {"key": STORAGE_KEY, "write": json.dumps(items, ensure_ascii=False) if loaded else None}
    with st.sidebar.container(key="acu_store"):
        _component(key=COMPONENT_KEY, data=data, on_stored_change=answered)


def merge(stored: list[dict[str, str]], current: list[dict[str, str]], limit: int) -> list:
    """The browser's list, then this session's (from the address or saved just now): a
    name in both keeps the session's settings; at most ``limit``, the newest kept."""
    names = {item["name"] for item in current}
    return ([item for item in stored if item["name"] not in names] + current)[-limit:]
