"""The one formatter for English and Welsh readers: separators, money, months, missing values."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from model.formats import long_date, money, number, percent


@pytest.mark.parametrize("lang", ["en", "cy"])
def test_numbers_have_thousands_separators_and_fixed_decimals(lang: str) -> None:
    assert number(3434.55, 1, lang) == "3,434.6"
    assert number(2, 2, lang) == "2.00"
    assert number(1234567, 0, lang) == "1,234,567"
    assert percent(0.0607, 1, lang) == "6.1%"
    assert money(546000, lang) == "£546,000"


def test_months_are_in_the_reader_s_language() -> None:
    day = dt.date(2027, 4, 1)
    assert long_date(day, "en") == "1 April 2027"
    assert long_date(day, "cy") == "1 Ebrill 2027"


@pytest.mark.parametrize("missing", [None, math.nan])
def test_a_missing_value_is_a_dash_never_nan(missing) -> None:
    assert number(missing) == percent(missing) == money(missing) == "–"


def test_an_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="language 'fr'"):
        number(1.0, lang="fr")


@given(st.floats(-1e9, 1e9, allow_nan=False), st.integers(0, 3))
@example(0.35, 1)  # a half that binary floats hold just below .35
def test_the_text_reads_back_as_the_rounded_number(value: float, digits: int) -> None:
    text = number(value, digits, "cy")
    # within half a unit of the last digit shown: Babel rounds the decimal half up
    # (0.35 -> "0.4") where Python's round sees the binary 0.3499... (-> 0.3)
    slack = 0.5 * 10**-digits + 8 * math.ulp(max(1.0, abs(value)))
    assert abs(float(text.replace(",", "")) - value) <= slack
