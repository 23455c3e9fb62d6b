"""The calibration report's own words in English and Welsh.

Why its own catalogue: the report is written by ``calibration``, which may not import
``app`` (layers: app -> calibration -> model), yet the app shows it in the visitor's
language and ``acusim calibrate --report --lang cy`` writes it in Welsh. The words live
in ``calibration/text/{en,cy}.yaml`` as nested mappings with ``{named fields}``, the same
keys and fields in both (checked by ``tests/calibration/test_wording.py``).

Messages (an extract error, a warning, a note, a verdict) are built as a
:class:`Message`: a catalogue key and its fields, not a finished English sentence. Its
string value is the English text, so the CLI's default output, the scenario file's
comments and every ``"... in line"`` check see what they always saw; :func:`render` writes
the same message in Welsh. Fields that are numbers, shares or dates are wrapped
(:class:`Num`, :class:`Share`, :class:`Day`) so each language formats them itself
(``model/formats.py``); a field that is itself a message is rendered in the same language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from model.catalogues import flat_catalogue
from model.formats import long_date, number, percent

LANGUAGES = ("en", "cy")
"""Languages the report can be written in."""

TEXT_DIR = Path(__file__).parent / "text"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Every phrase of one language, by dotted key (``sections.arrivals``)."""
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    return flat_catalogue(TEXT_DIR / f"{lang}.yaml")


def text(lang: str, key: str, /, **fields: object) -> str:
    """The phrase ``key`` in ``lang`` with its named fields filled in."""
    phrase = catalogue(lang)[key]
    return phrase.format(**fields) if fields else phrase


@dataclass(frozen=True)
class Num:
    """A number in a message, written with ``digits`` decimals in the reader's locale."""

    value: float
    digits: int = 0


@dataclass(frozen=True)
class Share:
    """A share (0.85) in a message, written as a percentage (85%, 85%)."""

    value: float
    digits: int = 0


@dataclass(frozen=True)
class Day:
    """A date in a message, written long (1 April 2027, 1 Ebrill 2027)."""

    value: dt.date


def _field(value: object, lang: str) -> str:
    if isinstance(value, Message):
        return value.render(lang)
    if isinstance(value, Num):
        return number(value.value, value.digits, lang)
    if isinstance(value, Share):
        return percent(value.value, value.digits, lang)
    if isinstance(value, Day):
        return long_date(value.value, lang)
    if isinstance(value, list | tuple):
        return text(lang, "words_more.list_separator").join(_field(v, lang) for v in value)
    return str(value)


def _rebuild(key: str, fields: dict[str, object]) -> Message:
    return Message(key, **fields)


class Message(str):
    """A user-visible line as (catalogue key, fields); its ``str`` value is the English.

    A ``str`` so that every place that prints, joins, compares or pickles lines keeps
    working unchanged; :meth:`render` gives it in another language."""

    key: str
    fields: dict[str, object]

    def __new__(cls, key: str, /, **fields: object) -> Message:
        english = text("en", key, **{k: _field(v, "en") for k, v in fields.items()})
        self = super().__new__(cls, english)
        self.key = key
        self.fields = fields
        return self

    def render(self, lang: str) -> str:
        """The message in ``lang`` (``en`` or ``cy``), its fields formatted for it."""
        if lang == "en":
            return str.__str__(self)
        return text(lang, self.key, **{k: _field(v, lang) for k, v in self.fields.items()})

    def __reduce__(self):  # pickled (a worker's error) as key and fields, not as text
        return (_rebuild, (self.key, self.fields))


def render(line: object, lang: str) -> str:
    """A line in ``lang``: a :class:`Message` is written in it; any other line (text from
    a library, such as a pydantic error) is shown as it is."""
    return line.render(lang) if isinstance(line, Message) else str(line)


def choice(value: object, lang: str) -> str:
    """A fitting code's fixed word (yes/no, found, harmonic, monthly, a priority, a
    distribution family) in ``lang``; anything else (a name from the extract) as it is."""
    if isinstance(value, bool):
        value = "yes" if value else "no"
    words = catalogue(lang)
    key = f"choice.{value}"
    return words[key] if key in words else str(value)


def render_lines(lines: Iterable[object], lang: str) -> list[str]:
    """Every line of a list (e.g. a ``Problems``' lines) in ``lang``."""
    return [render(line, lang) for line in lines]
