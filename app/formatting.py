"""Figures and dates in words for the current language: intervals, dates, periods.

Shared by the page furniture (:mod:`app.ui`) and the chart views
(:mod:`app.views`), so neither needs the other for formatting.
"""

from __future__ import annotations

import math

from app.i18n import catalogue, current_language, long_date, number, percent, t
from model.replications import DEFAULT_CONFIDENCE, Estimate


def level() -> str:
    return f"{DEFAULT_CONFIDENCE:.0%}"


def fmt(value: float, digits: int = 1, as_percent: bool = False) -> str:
    return percent(value, digits) if as_percent else number(value, digits)


def ci_text(
    est: Estimate,
    digits: int = 1,
    as_percent: bool = False,
    limits: tuple[float | None, float | None] = (None, None),
) -> str:
    """``95% CI 3.1–4.2; n = 20`` (or 'no interval' when there are too few values).

    ``limits`` are the quantity's natural bounds (0 for a count or a duration, 0 and 1
    for a share): a normal interval from a few runs can pass them ("-3.1%", "-0.6 days"),
    which means nothing to a reader, so the words stop there (as the verdict does)."""
    if est.n < 2 or math.isnan(est.ci_low):
        return t("ui.no_ci", n=est.n)
    low, high = est.ci_low, est.ci_high
    floor, ceiling = limits
    if floor is not None:
        low, high = max(low, floor), max(high, floor)
    if ceiling is not None:
        low, high = min(low, ceiling), min(high, ceiling)
    return t(
        "ui.ci",
        level=level(),
        low=fmt(low, digits, as_percent),
        high=fmt(high, digits, as_percent),
        n=est.n,
    )


def date_text(day) -> str:
    """A date in words in the current language (``1 April 2027``, ``1 Ebrill 2027``)."""
    return long_date(day)


MARKDOWN_SPECIAL = set("\\`*_{}[]()#!<>|~&$")
"""Characters that could start a link, an image, emphasis, code, maths or an HTML tag in
Markdown (backslash-escaped by :func:`plain`). Full stops and hyphens are left alone:
inside a sentence they cannot start a list."""


def plain(text: str) -> str:
    """Text from a file or a visitor (scenario names, descriptions, error lines) made safe
    to put inside Markdown: every character that could start a link, an image, emphasis
    or an HTML tag is escaped, so ``![x](http://...)`` is shown as written and the
    browser never fetches anything it names."""
    return "".join("\\" + c if c in MARKDOWN_SPECIAL else c for c in str(text))


def years_text(years: float) -> str:
    """A length in years as words: whole years (``3 years``, ``3 blynedd``), else whole
    months (``6 months``), else a number of years with one decimal."""
    if abs(years - round(years)) < 1e-9 and round(years) > 0:
        n = round(years)
        key = f"words.years_{n}"
        if key in catalogue(current_language()):
            return t(key)
        return t("words.n_years", n=n)
    months = years * 12
    if abs(months - round(months)) < 1e-6 and round(months) > 0:
        return t("units.n_months", n=round(months))
    return t("words.n_years_decimal", n=number(years, 1))


def period_text(days: float) -> str:
    """A length of time as whole months when it is one (365 days -> 12 months), else days."""
    months = days * 12 / 365
    if abs(months - round(months)) < 1e-6 and round(months) > 0:
        return t("units.n_months", n=round(months))
    return t("units.n_days", n=number(days, 0))
