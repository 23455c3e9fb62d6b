"""The commented-YAML emitter: what it writes reads back as exactly the mapping."""

from __future__ import annotations

import datetime as dt

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from calibration.commented_yaml import dump, number
from calibration.writer import rounded_table


def test_comments_land_on_their_lines_and_the_text_reads_back() -> None:
    mapping = {
        "name": "x: y",
        "on": True,
        "start_date": dt.date(2025, 1, 1),
        "roles": {"ds": {"fte": 2.5, "plan": [{"date": dt.date(2025, 3, 1), "change_fte": -0.5}]}},
        "list": [0.1, 0.2],
        "monthly": [1.0, 2.0],
        "small": {"dist": "gamma", "mean": 3, "cv": 0.5},
    }
    comments = {
        ("roles", "ds", "fte"): "fitted 2.5",
        ("roles", "ds", "plan", 0): "a change",
        ("monthly", 1): "February",
    }
    text = dump(mapping, comments, ["header line"])
    assert text.startswith("# header line\n")
    assert "fte: 2.5  # fitted 2.5" in text
    assert "- 2  # February" in text
    assert "small: {dist: gamma, mean: 3, cv: 0.5}" in text
    assert yaml.safe_load(text) == mapping


def test_numbers_are_positional_so_yaml_reads_them_as_numbers() -> None:
    assert number(1e-7) == "0.0000001"
    assert number(4.85165e8) == "485165000"
    assert yaml.safe_load(f"x: {number(1e-7)}")["x"] == 1e-7


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from("abcdefgh"), st.floats(0.001, 1.0), min_size=1))
def test_rounded_probability_tables_sum_to_one(weights: dict[str, float]) -> None:
    table = rounded_table(weights)
    assert abs(sum(yaml.safe_load(dump({"t": table}, {}, []))["t"].values()) - 1.0) < 1e-6
