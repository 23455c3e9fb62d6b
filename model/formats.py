"""Numbers, money and dates as an English or Welsh reader expects them, for every face.

The app, the CLI and the board brief all show the same figures; written by
one locale-aware formatter (Babel's ``en_GB`` and ``cy`` locale data) they
agree in thousands separators, decimals, currency and month names, and a
Welsh page never shows an English month. A missing value (``None`` or NaN)
is an en dash, never "nan".
"""

from __future__ import annotations

import datetime as dt
import math

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

LOCALES = {"en": "en_GB", "cy": "cy_GB"}
"""The product's two languages and the Babel locale each is written in."""

MISSING = "–"


def _locale(lang: str) -> str:
    try:
        return LOCALES[lang]
    except KeyError:
        raise ValueError(f"language '{lang}' is not one of {', '.join(LOCALES)}") from None


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value: float | None, digits: int = 1, lang: str = "en") -> str:
    """``3434.55`` -> ``3,434.6`` (always ``digits`` decimals, thousands separated)."""
    if _missing(value):
        return MISSING
    pattern = "#,##0" + ("." + "0" * digits if digits > 0 else "")
    return format_decimal(value, format=pattern, locale=_locale(lang))


def percent(share: float | None, digits: int = 0, lang: str = "en") -> str:
    """A share as a percentage: ``0.0607`` -> ``6%`` (``6.1%`` with one digit)."""
    if _missing(share):
        return MISSING
    return number(100 * share, digits, lang) + "%"


def money(value: float | None, lang: str = "en") -> str:
    """Pounds, whole: ``546000`` -> ``£546,000``."""
    if _missing(value):
        return MISSING
    return format_currency(
        value, "GBP", format="¤#,##0", currency_digits=False, locale=_locale(lang)
    )


def long_date(day: dt.date, lang: str = "en") -> str:
    """``2027-04-01`` -> ``1 April 2027`` / ``1 Ebrill 2027``."""
    return format_date(day, format="d MMMM y", locale=_locale(lang))
