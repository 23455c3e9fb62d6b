"""The calibration report's own words in English and Welsh.

Why its own catalogue: the report is written by ``calibration``, which may not import
``app`` (layers: app -> calibration -> model), yet the app shows it in the visitor's
language and ``acusim calibrate --report --lang cy`` writes it in Welsh. The words live
in ``calibration/text/{en,cy}.yaml`` as nested mappings with ``{named fields}``, the same
keys and fields in both (checked by ``tests/calibration/test_wording.py``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from model.catalogues import flat_catalogue

LANGUAGES = ("en", "cy")
"""Languages the report can be written in."""

TEXT_DIR = Path(__file__).parent / "text"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """Every phrase of one language, by dotted key (``sections.arrivals``)."""
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}, not {lang!r}")
    return flat_catalogue(TEXT_DIR / f"{lang}.yaml")


def text(lang: str, key: str, **fields: object) -> str:
    """The phrase ``key`` in ``lang`` with its named fields filled in."""
    phrase = catalogue(lang)[key]
    return phrase.format(**fields) if fields else phrase
