"""Named settings kept in the visitor's own browser (``localStorage``), so they are still
there after a refresh, in a new tab, or on a visit next week; nothing is stored on the
server.

Streamlit has no storage of its own in the browser, so this is a tiny two-way component
(``st.components.v2``, part of the pinned Streamlit: no new package, nothing fetched from
the network). Its script, below, is ours and holds no visitor text. On every run of the
Scenario page (the only page that lists or saves named settings) Python hands it the
session's list; the script merges that into the list stored under one key (a name in
both keeps the session's settings) and writes the result back. Only when the browser
holds names the session does not know yet (a refresh, a new tab, a later visit) does the
script answer with the merged list, once the page has finished drawing; Python merges
the answer in a callback before the next run draws the page.

Why so sparing with answers: every answer makes Streamlit rerun the page, and a rerun
that lands while a page is still being drawn, or just as the visitor clicks a menu item
or Run, can undo that click (and, mid-page, gave number boxes their lowest values). So
the script answers at most once a session, only when it has something to tell, and
only when the app is idle. What comes back is only ever parsed by
:func:`app.share.read_saved` (the same checks as a list in an address: names and known
settings, never run unseen).
"""

from __future__ import annotations

import json
from collections.abc import Callable

import streamlit as st

STORAGE_KEY = "acusim.saved-settings.v1"
"""The one ``localStorage`` key (versioned, so a later format can live beside it)."""
COMPONENT_KEY = "acu_saved_store"

SCRIPT = """
export default function (component) {
  const { data, setStateValue } = component;
  const session = JSON.parse(data.items || "[]");
  let stored = [];
  try {
    stored = JSON.parse(window.localStorage.getItem(data.key) || "[]");
    if (!Array.isArray(stored)) stored = [];
  } catch (error) {
    return;  // storage switched off (private window, policy): nothing kept
  }
  const names = new Set(session.map(item => item && item.name));
  const merged = [...stored.filter(item => item && !names.has(item.name)), ...session]
    .slice(-data.limit);
  const text = JSON.stringify(merged);
  try {
    if (text !== JSON.stringify(stored)) window.localStorage.setItem(data.key, text);
  } catch (error) {
    return;
  }
  if (merged.length === session.length) return;  // the session knows every name
  const idle = () => !document.querySelector("[data-stale=true]")
    && !document.querySelector("[data-testid=stStatusWidget]");
  const answer = () => (idle() ? setStateValue("stored", text) : setTimeout(answer, 150));
  setTimeout(answer, 150);
}
"""

_component = st.components.v2.component("acu_saved_store", js=SCRIPT)


def sync(items: list[dict[str, str]], heard: Callable[[str], None], limit: int) -> None:
    """Hand ``items`` to the browser (merged into what it stores); when the browser holds
    names the session lacks, its merged list reaches ``heard`` (JSON text) in a callback
    before the next run. Drawn in a hidden sidebar container, as the last element of the
    Scenario page. In AppTest, with no browser, nothing is ever heard."""

    def answered() -> None:
        value = st.session_state.get(COMPONENT_KEY)
        stored = value.get("stored") if isinstance(value, dict) else None
        if isinstance(stored, str):
            heard(stored)

    data = {"key": STORAGE_KEY, "items": json.dumps(items, ensure_ascii=False), "limit": limit}
    with st.sidebar.container(key="acu_store"):
        _component(key=COMPONENT_KEY, data=data, on_stored_change=answered)


def merge(stored: list[dict[str, str]], current: list[dict[str, str]], limit: int) -> list:
    """The browser's list, then this session's (from the address or saved just now): a
    name in both keeps the session's settings; at most ``limit``, the newest kept (the
    same rule as the script's)."""
    names = {item["name"] for item in current}
    return ([item for item in stored if item["name"] not in names] + current)[-limit:]
