"""Property tests: whatever bytes arrive, the reader answers with an Extract or an
ExtractError whose lines name the file, never with a traceback of another kind."""

from __future__ import annotations

import csv
import io

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calibration.extract import (
    EVENT_COLUMNS,
    REFERRAL_COLUMNS,
    STAFFING_COLUMNS,
    Extract,
    ExtractError,
    read_extract,
)

GOOD_EVENTS = (
    b"referral_id,stage,queued_at,started_at,finished_at,outcome\n"
    b"R1,assessment,2024-01-02,2024-01-03,2024-01-04,no_further_action\n"
)
GOOD_REFERRALS = (
    b"referral_id,received_at,source,category,apsp,priority\nR1,2024-01-02,psd,other,false,low\n"
)

# Cell values a careless export produces: right ones, near misses and junk.
CELLS = st.one_of(
    st.sampled_from(
        [
            "",
            "R1",
            "R2",
            "2024-01-02",
            "2024-01-02T10:15",
            "2024-02-30",
            "0000-01-01",
            "9999-12-31T23:59:59",
            "2024-01-02T10:15+01:00",
            "psd",
            "assessment",
            "other",
            "true",
            "FALSE",
            "high",
            "nan",
            "inf",
            "-1",
            "1e999",
            "no_further_action",
            "Bad Name",
            '"',
            ",",
        ]
    ),
    st.text(max_size=12),
)


def _csv(header: tuple[str, ...], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8", errors="surrogatepass")


def _check(referrals, events, staffing=None, **kw) -> None:
    try:
        result = read_extract(referrals, events, staffing, **kw)
    except ExtractError as exc:
        assert exc.lines, "an ExtractError must say what is wrong"
        for line in exc.lines:
            assert isinstance(line, str) and line and "\n" not in line
        return
    assert isinstance(result, Extract)
    assert len(result.referrals) >= 1
    assert result.window_days > 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400), st.binary(max_size=400))
def test_arbitrary_bytes_never_crash_the_reader(referrals: bytes, events: bytes) -> None:
    _check(referrals, events)
    _check(GOOD_REFERRALS, events)
    _check(referrals, GOOD_EVENTS)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300), st.text(max_size=300), st.booleans())
def test_arbitrary_text_never_crashes_the_reader(referrals: str, events: str, skip: bool) -> None:
    _check(
        referrals.encode("utf-8", errors="surrogatepass"),
        events.encode("utf-8", errors="surrogatepass"),
        skip_bad_rows=skip,
    )


ROWS = st.lists(st.lists(CELLS, min_size=5, max_size=8), max_size=6)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ROWS, ROWS, ROWS, st.booleans(), st.sampled_from([None, "2024-06-01", "2023-01-01"]))
def test_well_formed_files_with_junk_values_never_crash(
    ref_rows: list[list[str]],
    ev_rows: list[list[str]],
    staff_rows: list[list[str]],
    skip: bool,
    as_of: str | None,
) -> None:
    _check(
        _csv(REFERRAL_COLUMNS, ref_rows),
        _csv(EVENT_COLUMNS, ev_rows),
        _csv(STAFFING_COLUMNS, [r[:3] for r in staff_rows]),
        as_of=as_of,
        skip_bad_rows=skip,
        max_problems=3,
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.lists(CELLS, min_size=6, max_size=6), min_size=1, max_size=5))
def test_dataframes_with_junk_never_crash(rows: list[list[str]]) -> None:
    frame = pd.DataFrame(rows, columns=list(REFERRAL_COLUMNS))
    _check(frame, GOOD_EVENTS, skip_bad_rows=True)
