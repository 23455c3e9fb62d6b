"""Reading an extract: every problem named by file, row and column; nothing dropped silently."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from calibration.extract import ExtractError, read_extract

REFERRALS = """referral_id,received_at,source,category,apsp,priority,subject_name
R1,2024-01-02,psd_referrals,abuse_of_authority,false,medium,Alice Example
R2,2024-01-03T09:30,psd_referrals,sexual_misconduct,true,high,Bob Example
R3,2024-02-10,vetting,other,FALSE,low,Carol Example
"""
EVENTS = """referral_id,stage,queued_at,started_at,finished_at,outcome
R1,assessment,2024-01-02,2024-01-03,2024-01-05,no_further_action
R2,assessment,2024-01-03T09:30,2024-01-03T10:00,2024-01-04T12:00,investigation
R2,investigation,2024-01-04T12:00,2024-01-05T09:00,,
R3,assessment,2024-02-10,,,
"""
STAFFING = """role,from_date,fte
ds,2024-01-01,2
ds,2024-06-01,3
"""


def read(referrals: str = REFERRALS, events: str = EVENTS, staffing: str | None = STAFFING, **kw):
    return read_extract(
        referrals.encode(),
        events.encode(),
        None if staffing is None else staffing.encode(),
        **kw,
    )


def problems(**kw) -> list[str]:
    with pytest.raises(ExtractError) as info:
        read(**kw)
    return info.value.lines


def test_a_good_extract_reads_into_days_since_the_window_start() -> None:
    extract = read(as_of="2024-03-01")
    assert extract.window_start == dt.date(2024, 1, 2)
    assert extract.as_of == dt.datetime(2024, 3, 1)
    assert extract.window_days == pytest.approx(59.0)
    refs = extract.referrals
    assert list(refs["referral_id"]) == ["R1", "R2", "R3"]
    assert refs["received"].tolist() == pytest.approx([0.0, 1 + 9.5 / 24, 39.0])
    assert refs["apsp"].tolist() == [False, True, False]
    events = extract.events
    assert events["finished"].isna().sum() == 2 and events["started"].isna().sum() == 1
    assert events.loc[events["referral_id"] == "R1", "outcome"].item() == "no_further_action"
    assert list(extract.staffing["fte"]) == [2.0, 3.0]
    assert extract.stages == ["assessment", "investigation"]


def test_extra_columns_are_never_kept() -> None:
    extract = read()
    for frame in (extract.referrals, extract.events, extract.staffing):
        assert "subject_name" not in frame.columns
        assert not frame.astype(str).apply(lambda c: c.str.contains("Example")).any().any()


def test_default_as_of_is_the_latest_timestamp() -> None:
    assert read().as_of == dt.datetime(2024, 2, 10)


def test_a_missing_column_is_named_with_the_file() -> None:
    lines = problems(referrals=REFERRALS.replace("priority", "prio"))
    assert lines[0].startswith("referrals.csv: row 1 (header): column 'priority' is missing")


def test_every_row_problem_is_listed_with_file_row_and_column() -> None:
    referrals = REFERRALS + (
        "R2,2024-01-05,psd_referrals,other,false,low,x\n"  # duplicate id (row 5)
        "R4,05/01/2024,psd_referrals,drugs,maybe,urgent,x\n"  # row 6: four problems
        "R5,2024-02-30,Bad Source,other,true,low,x\n"  # row 7: impossible date, bad name
    )
    events = EVENTS + (
        "R9,assessment,2024-01-02,,,\n"  # row 6: unknown referral
        "R1,assessment,2024-01-02,2024-01-04,2024-01-03,nfa\n"  # row 7: finished < started
        "R1,assessment,2024-01-02,,2024-01-03,nfa\n"  # row 8: finished without started
        "R1,assessment,2023-12-01,,,\n"  # row 9: queued before received
        "R1,assessment,2024-01-02,2024-01-03,2024-01-04,\n"  # row 10: outcome missing
    )
    lines = problems(referrals=referrals, events=events)
    expected = [
        "referrals.csv: row 5, column referral_id: duplicate referral_id 'R2' (first at row 3)",
        "referrals.csv: row 6, column received_at: not an ISO 8601 date",
        "referrals.csv: row 6, column category: unknown category 'drugs'",
        "referrals.csv: row 6, column apsp: must be true or false",
        "referrals.csv: row 6, column priority: unknown priority 'urgent'",
        "referrals.csv: row 7, column received_at: not a real date",
        "referrals.csv: row 7, column source: not a valid name",
        "stage_events.csv: row 6, column referral_id: unknown referral 'R9'",
        "stage_events.csv: row 7, column finished_at: is before started_at",
        "stage_events.csv: row 8, column finished_at: is given but started_at is empty",
        "stage_events.csv: row 9, column queued_at: is before the referral was received",
        "stage_events.csv: row 10, column outcome: is empty but finished_at is given",
    ]
    for start in expected:
        assert any(line.startswith(start) for line in lines), (start, lines)
    assert "did you mean 'controlled_drugs'?" in "\n".join(lines)
    assert lines[-1].startswith("12 problem(s) found")


def test_the_listing_stops_at_the_limit_but_counts_the_rest() -> None:
    rows = "".join(f"X{i},not-a-date,psd_referrals,other,false,low,x\n" for i in range(30))
    lines = problems(referrals=REFERRALS + rows, max_problems=5)
    assert len(lines) == 7
    assert lines[5] == "... and 25 more problem(s) (showing the first 5)"
    assert lines[6].startswith("30 problem(s) found")


def test_skip_bad_rows_leaves_them_out_and_counts_them() -> None:
    referrals = REFERRALS + "R4,2024-13-01,psd_referrals,other,false,low,x\n"
    events = EVENTS + "R4,assessment,2024-01-05,,,\nR1,assessment,2024-01-02,,,bogus\n"
    extract = read(referrals=referrals, events=events, skip_bad_rows=True)
    assert len(extract.referrals) == 3
    assert extract.skipped == {"referrals.csv": 1, "stage_events.csv": 2}
    text = "\n".join(extract.skipped_problems)
    assert "referrals.csv: row 5, column received_at" in text
    assert "1 event row(s) skipped because their referral's row was skipped" in text


def test_staffing_problems_are_reported() -> None:
    staffing = STAFFING + "ds,2024-06-01,4\nDS,2024-07-01,-1\n"
    lines = problems(staffing=staffing)
    assert any(
        "staffing.csv: row 4, column from_date: role 'ds' already has a row" in x for x in lines
    )
    assert any(x.startswith("staffing.csv: row 5, column role: not a valid name") for x in lines)
    assert any(x.startswith("staffing.csv: row 5, column fte: must be a number") for x in lines)


def test_a_timestamp_after_the_as_of_date_is_an_error() -> None:
    lines = problems(as_of="2024-02-01")
    assert lines[0].startswith("referrals.csv: row 4, column received_at: 2024-02-10 is after")


def test_time_zones_and_bad_as_of_are_explained() -> None:
    lines = problems(referrals=REFERRALS.replace("2024-01-02,", "2024-01-02T10:00Z,", 1))
    assert "time zones are not supported" in lines[0]
    with pytest.raises(ExtractError, match="--as-of: not an ISO 8601 date"):
        read(as_of="yesterday")


def test_files_that_cannot_be_read() -> None:
    with pytest.raises(ExtractError, match=r"referrals.csv: row 2: not UTF-8"):
        read_extract(b"referral_id\n\xff\xfe\n", EVENTS.encode())
    with pytest.raises(ExtractError, match="the file is empty"):
        read_extract(b"", EVENTS.encode())
    with pytest.raises(ExtractError, match=r"nothing\.csv: file not found"):
        read_extract("/nonexistent/nothing.csv", EVENTS.encode())


def test_an_unquoted_comma_is_reported_as_a_field_count() -> None:
    lines = problems(referrals=REFERRALS + "R4,2024-01-05,psd_referrals,other,false,low,x,y\n")
    assert lines[0] == (
        "referrals.csv: row 5: has 8 fields but the header has 7 (a value with an unquoted comma?)"
    )


def test_a_mistyped_year_is_caught_by_the_window_length() -> None:
    lines = problems(referrals=REFERRALS.replace("2024-01-02,", "1924-01-02,", 1))
    assert "spans 100 years" in lines[0] and "row 2" in lines[0]


def test_dataframes_and_a_utf8_bom_are_accepted() -> None:
    frame = pd.read_csv(pd.io.common.StringIO(REFERRALS))
    frame["received_at"] = pd.to_datetime(frame["received_at"], format="ISO8601")
    extract = read_extract(frame, ("\ufeff" + EVENTS).encode())
    assert extract.referrals["apsp"].tolist() == [False, True, False]
    assert extract.files["referrals"] == "referrals.csv"


def test_resampling_copies_referrals_with_their_events() -> None:
    extract = read()
    sample = extract.resampled([0, 2, 1])
    assert len(sample.referrals) == 3
    assert sorted(sample.referrals["referral_id"]) == ["R2#0", "R2#1", "R3#0"]
    assert len(sample.events) == 2 * 2 + 1
