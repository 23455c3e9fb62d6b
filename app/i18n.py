"""Interface text in English and Welsh, from one catalogue file per language.

Police bodies in Wales work under the Welsh Language Standards, so every string the
interface shows exists in both ``app/i18n/en.yaml`` and ``app/i18n/cy.yaml`` (tests fail
if a key is missing, empty, or its {named} fields differ). Code refers to strings only by
key. The one optional lookup is :func:`name`: names of things *in a scenario file*
(sources, roles, stages, outcomes, targets) are the file's own data, so the catalogue
translates the shipped scenarios' names and anything else falls back to the file's title.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import streamlit as st

from model import formats
from model.catalogues import CatalogueError as CatalogueError
from model.catalogues import flat_catalogue

CATALOGUE_DIR = Path(__file__).resolve().parent / "i18n"
LANGUAGES: tuple[str, ...] = ("en", "cy")
"""English first: the default when nobody has chosen (``?lang=cy`` opens in Welsh)."""
LANG_KEY = "lang"
"""Session-state key of the chosen language."""
LANG_WIDGET_KEY = "widget:lang"
"""Widget key of the language switch (copied to ``LANG_KEY`` when it changes)."""
NAMES_PREFIX = "names."

_FORCED: contextvars.ContextVar[str | None] = contextvars.ContextVar("language", default=None)


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """The flattened catalogue of one language: dotted key -> text."""
    return flat_catalogue(CATALOGUE_DIR / f"{lang}.yaml")


@contextlib.contextmanager
def use_language(lang: str) -> Iterator[None]:
    """Fix the language outside a Streamlit session (building a report in a script or test)."""
    token = _FORCED.set(lang)
    try:
        yield
    finally:
        _FORCED.reset(token)


def current_language() -> str:
    """The chosen language; on a first visit, ``?lang=cy`` in the address picks Welsh."""
    forced = _FORCED.get()
    if forced is not None:
        return forced
    lang = st.session_state.get(LANG_KEY)
    if lang not in LANGUAGES:
        asked = st.query_params.get("lang")
        lang = asked if asked in LANGUAGES else LANGUAGES[0]
    return lang


def t(key: str, lang: str | None = None, **values: Any) -> str:
    """The text for ``key`` in the current (or given) language, ``{named}`` fields filled in."""
    text = catalogue(lang or current_language())[key]
    return text.format(**values) if values else text


def name(kind: str, key: str, fallback: str, lang: str | None = None) -> str:
    """A scenario thing's display name: the catalogue's translation if it has one."""
    return catalogue(lang or current_language()).get(f"{NAMES_PREFIX}{kind}.{key}", fallback)


def number(value: float | None, digits: int = 1) -> str:
    """A number in the current language's style (``3,434.6``), or a dash: one formatter,
    :mod:`model.formats`, for the app, the CLI and the brief."""
    return formats.number(value, digits, current_language())


def percent(value: float | None, digits: int = 0) -> str:
    """A share as a percentage (``0.123`` -> ``12%``), or a dash."""
    return formats.percent(value, digits, current_language())


def money(value: float | None) -> str:
    """Whole pounds (``£546,000``), or a dash."""
    return formats.money(value, current_language())


def long_date(day) -> str:
    """``1 April 2027`` / ``1 Ebrill 2027``."""
    return formats.long_date(day, current_language())
