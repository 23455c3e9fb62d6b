"""The Calibrate page in Welsh shows every kind of extract and fit error in Welsh (the same
catalogue messages the CLI prints with ``--lang cy``), and the English page the English."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from app.formatting import plain
from app.i18n import catalogue
from calibration.wording import catalogue as calibration_words
from tests.app.conftest import click, go, open_app
from tests.app.test_calibrate_page import downloads, extract, upload

__all__ = ["downloads", "extract"]  # fixtures shared with the page's other tests
CY = catalogue("cy")
CAL_EN = calibration_words("en")


def _frame(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


def _bad_date(files):
    refs = _frame(files["referrals"])
    refs.loc[0, "received_at"] = "14/03/2026"
    return {**files, "referrals": _csv(refs)}


def _bad_category(files):
    refs = _frame(files["referrals"])
    refs.loc[0, "category"] = "sexual misconduct!"
    return {**files, "referrals": _csv(refs)}


def _wide_row(files):
    lines = files["referrals"].decode().splitlines()
    lines[1] += ",extra,extra"
    return {**files, "referrals": ("\n".join(lines) + "\n").encode()}


def _stage_typo(files):
    events = _frame(files["events"])
    rows = events.index[events["stage"] == "assessment"][:2]
    events.loc[rows, "stage"] = "asessment"
    return {**files, "events": _csv(events)}


def _no_events(files):
    return {**files, "events": _csv(_frame(files["events"]).iloc[0:0])}


CASES = {
    "missing-column": (
        lambda f: {**f, "referrals": _csv(_frame(f["referrals"]).drop(columns="priority"))},
        "extract_invalid",
        "referrals.csv: rhes 1 (pennawd): mae'r golofn 'priority' ar goll",
    ),
    "unparsable-date": (
        _bad_date,
        "extract_invalid",
        "referrals.csv: rhes 2, colofn received_at: nid yw'n ddyddiad ISO 8601",
    ),
    "did-you-mean": (_bad_category, "extract_invalid", "oeddech chi'n golygu 'sexual_misconduct'?"),
    "bad-csv-row": (_wide_row, "extract_invalid", "gwerth â choma heb ddyfynodau"),
    "stage-typo": (_stage_typo, "fit_invalid", "oeddech chi'n golygu 'assessment'?"),
    "no-events": (_no_events, "fit_invalid", "mae pennawd ond dim rhesi"),
}


def _english_literals() -> list[str]:
    """Longer English wording of the calibration messages (what must not show in Welsh)."""
    pieces = set()
    for key, phrase in CAL_EN.items():
        if key.split(".")[0] in ("extract", "fit_messages"):
            for part in pd.Series(phrase.split("{")).str.split("}").str[-1]:
                part = part.strip(" .;:,()'")
                if len(part) >= 12 and " " in part and not part.startswith("-"):
                    pieces.add(part)
    return sorted(pieces)


@pytest.mark.parametrize("case", list(CASES))
def test_each_error_is_shown_in_welsh(extract, case) -> None:
    change, intro, expected = CASES[case]
    at = open_app()
    at.session_state["lang"] = "cy"  # AppTest does not redraw the sidebar after switch_page
    go(at, "calibrate")
    upload(at, change(extract))
    click(at, "widget:fit")
    assert len(at.error) == 1, [e.value for e in at.error]
    error = at.error[0].value
    assert error.startswith(CY[f"calibrate.{intro}"])
    assert plain(expected) in error, error
    for piece in _english_literals():
        assert plain(piece) not in error, piece
    # the same fit, the page switched to English: the English lines, without a refit
    at.session_state["lang"] = "en"
    at.run()
    assert "row" in at.error[0].value and "rhes" not in at.error[0].value


def test_warnings_and_the_backtest_report_in_welsh(extract, downloads) -> None:
    """Without staffing.csv the effort rests on an assumption: the warning saying so is in
    Welsh; a backtest's report downloads in Welsh."""
    from tests.app.test_calibrate_backtest import _fit_and_backtest
    from tests.app.test_calibrate_page import download

    at = _fit_and_backtest(open_app(), {k: v for k, v in extract.items() if k != "staffing"}, "cy")
    warning = at.warning[0].value if at.warning else ""
    assert CY["calibrate.warnings"] in warning
    assert "mae'r ymdrech yn dibynnu ar dybio" in warning and "effort rests" not in warning
    button = download(at, "download:backtest_report")
    assert button.proto.label == CY["backtest_words.report_button"]
    html = downloads(button).decode("utf-8")
    assert html.startswith("<!DOCTYPE html><html lang='cy'>")
    assert calibration_words("cy")["backtest_report.title_backlog_waiting"] in html
