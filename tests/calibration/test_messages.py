"""Calibration's messages, verdicts and reports in Welsh (issue #15 / #11 item 5).

Every error, warning and note is built as (catalogue key, fields) (``calibration/wording``
``Message``): its English is what the CLI always printed, and the same object renders in
Welsh. Checked here: every key the code uses is in both catalogues; each kind of error
(a missing column, a date that is not a date, a bad CSV row, an unknown category or stage
with "did you mean", change-point errors, an empty events file) and each per-role warning
renders in Welsh with none of its English words; the Welsh backtest and validate-fit
reports hold no English catalogue text; and ``--lang cy`` on the CLI gives Welsh lines.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import pickle
import re
import string

import pandas as pd
import pytest

from calibration.backtest_report import backtest_report
from calibration.calibrate import fit_extract
from calibration.extract import ExtractError, read_extract
from calibration.history_match import RoleMatch, warnings
from calibration.types import CalibrationError, CalibrationSettings
from calibration.validate_fit import validate_fit, validation_report
from calibration.wording import Day, Message, Num, Share, catalogue, render, render_lines
from model.problems import Problems
from model.scenario import scenario_from_mapping
from tests.calibration.conftest import acusim
from tests.calibration.test_backtest import backtest, backtest_mapping, extract, files
from tests.calibration.test_wording import english_fragments, readable
from tests.conftest import ROOT

__all__ = ["backtest", "extract", "files"]  # module fixtures shared with test_backtest
EN, CY = catalogue("en"), catalogue("cy")
CODE = ROOT / "calibration"


# ---------------------------------------------------------------- the catalogue and the code


def _keys_in_code() -> tuple[set[str], set[str]]:
    """Message keys written literally, and the prefixes of keys built with an f-string."""
    literal, prefixes = set(), set()
    for path in [*CODE.glob("*.py"), ROOT / "acusim" / "calibration.py"]:
        source = path.read_text(encoding="utf-8")
        literal |= {f"cli.{k}" for k in re.findall(r'_say\(\s*lang,\s*"([a-z_]+)"', source)}
        prefixes |= {f"cli.{k}" for k in re.findall(r'_say\(\s*lang,\s*f"([a-z_]+)\{', source)}
        literal |= set(re.findall(r'Message\(\s*"([a-z_]+\.[a-z_0-9]+)"', source))
        prefixes |= set(re.findall(r'Message\(\s*f"([a-z_]+\.[a-z_0-9]*)\{', source))
        for a, b in re.findall(
            r'"([a-z_]+\.[a-z_0-9]+)"\s+if .*?else\s+"([a-z_]+\.[a-z_0-9]+)"', source
        ):
            literal |= {a, b}
    return literal, prefixes


def test_every_message_key_in_the_code_is_in_both_catalogues() -> None:
    literal, prefixes = _keys_in_code()
    assert len(literal) > 60 and prefixes  # the scan found the messages
    for key in literal:
        assert key in EN and key in CY, key
    for prefix in prefixes:
        assert any(k.startswith(prefix) for k in EN), prefix


def test_a_message_is_its_english_text_and_renders_in_welsh() -> None:
    line = Message(
        "extract.at_cell", file="r.csv", row=7, column="apsp", problem=Message("extract.empty")
    )
    assert line == "r.csv: row 7, column apsp: is empty"
    assert render(line, "cy") == "r.csv: rhes 7, colofn apsp: mae'n wag"
    assert render("plain text from a library", "cy") == "plain text from a library"
    again = pickle.loads(pickle.dumps(line))  # a worker process's error arrives whole
    assert isinstance(again, Message) and again.render("cy") == render(line, "cy")
    kept = Problems([line, "two\nlines"]).lines
    assert isinstance(kept[0], Message) and kept[1:] == ["two", "lines"]
    fields = Message(
        "fit_messages.busy", share=Share(1.02), start=Day(dt.date(2025, 4, 1)), end="x"
    )
    assert "102%" in fields.render("cy") and "1 Ebrill 2025" in fields.render("cy")
    assert Message("cli.note", line=Num(1234.5, 1)).render("cy") == "nodyn: 1,234.5"


# ---------------------------------------------------------------- each error, in Welsh


def _english_words(key: str) -> list[str]:
    """The literal runs of a key's English phrase that its Welsh phrase does not share."""
    pieces = []
    for literal, *_ in string.Formatter().parse(EN[key]):
        for part in re.split(r"[;:,()]\s*|\s-\s", literal):
            part = part.strip(" .'")
            if len(part) >= 6 and part not in CY[key] and " " in part:
                pieces.append(part)
    return pieces


def _keys_of(line: Message) -> list[str]:
    keys = [line.key]
    for value in line.fields.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, Message):
                keys += _keys_of(item)
    return keys


def assert_welsh(line: object) -> str:
    """``line`` is a catalogue message whose Welsh carries none of its English words."""
    assert isinstance(line, Message), line
    welsh = line.render("cy")
    assert welsh != str(line)
    for key in _keys_of(line):
        for piece in _english_words(key):
            assert piece not in welsh, (key, piece, welsh)
    return welsh


def _csv(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False).encode("utf-8")


@pytest.fixture(scope="module")
def raw(files) -> dict[str, pd.DataFrame]:
    d, _ = files
    return {
        name: pd.read_csv(d / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in ("referrals", "stage_events", "staffing")
    }


def _extract_errors(refs: bytes, events: bytes) -> list[str]:
    with pytest.raises(ExtractError) as info:
        read_extract(io.BytesIO(refs), io.BytesIO(events))
    return info.value.lines


def extract_error_cases(raw) -> dict[str, tuple[bytes, bytes]]:
    refs, events = raw["referrals"], raw["stage_events"]
    bad_date = refs.copy()
    bad_date.loc[0, "received_at"] = "14/03/2026"
    bad_category = refs.copy()
    bad_category.loc[0, "category"] = "sexual misconduct!"
    wide = _csv(refs).decode().splitlines()
    wide[1] += ",extra"
    return {
        "missing-column": (_csv(refs.drop(columns="priority")), _csv(events)),
        "unparsable-date": (_csv(bad_date), _csv(events)),
        "did-you-mean-category": (_csv(bad_category), _csv(events)),
        "bad-csv-row": (("\n".join(wide) + "\n").encode(), _csv(events)),
        "empty-file": (b"", _csv(events)),
    }


@pytest.mark.parametrize(
    "case",
    ["missing-column", "unparsable-date", "did-you-mean-category", "bad-csv-row", "empty-file"],
)
def test_each_extract_error_renders_in_welsh(raw, case) -> None:
    lines = _extract_errors(*extract_error_cases(raw)[case])
    welsh = [assert_welsh(line) for line in lines]
    expected = {
        "missing-column": "mae'r golofn 'priority' ar goll",
        "unparsable-date": "nid yw'n ddyddiad ISO 8601",
        "did-you-mean-category": "oeddech chi'n golygu 'sexual_misconduct'?",
        "bad-csv-row": "choma heb ddyfynodau",
        "empty-file": "mae'r ffeil yn wag",
    }[case]
    assert any(expected in line for line in welsh), welsh


def test_fit_errors_render_in_welsh(extract) -> None:
    """Stage typo with "did you mean", change points outside the window or at its edge,
    and a stage events file with a header and no rows."""
    template = scenario_from_mapping(backtest_mapping(), "t")
    events = extract.events.copy()
    events.loc[events["stage"] == "assessment", "stage"] = "asessment"
    typo = dataclasses.replace(extract, events=events)
    source = extract.sources[0]
    cases = [
        (typo, None, template, "oeddech chi'n golygu 'assessment'?"),
        (
            extract,
            CalibrationSettings(change_points={source: dt.date(2030, 1, 1)}),
            None,
            "y tu allan i gyfnod y data",
        ),
        (
            extract,
            CalibrationSettings(change_points={source: extract.window_start + dt.timedelta(10)}),
            None,
            "i ymyl cyfnod y data",
        ),
        (
            dataclasses.replace(extract, events=extract.events.iloc[0:0]),
            None,
            None,
            "mae pennawd ond dim rhesi",
        ),
    ]
    for data, settings, base, expected in cases:
        with pytest.raises(CalibrationError) as info:
            fit_extract(data, settings, base)
        welsh = [assert_welsh(line) for line in info.value.lines]
        assert any(expected in line for line in welsh), welsh


def test_per_role_warnings_render_in_welsh() -> None:
    period = {"from": dt.date(2024, 1, 1), "to": dt.date(2024, 6, 30)}
    match = RoleMatch(
        "ds",
        ["assessment"],
        {"assessment": 0.5},
        1.0,
        20.0,
        30.0,
        periods=[{**period, "observed": 20.0, "simulated": 31.5, "utilisation": 1.02}],
    )
    (line,) = warnings([match])
    assert line.startswith("role 'ds': utilisation 102% from 2024-01-01")
    welsh = assert_welsh(line)
    assert welsh.startswith("y rôl 'ds': defnydd o 102% rhwng 2024-01-01")
    assert "31.5 o'u cymharu â 20.0" in welsh


# ---------------------------------------------------------------- the reports, in Welsh


def _no_english(english_html: str, welsh_html: str) -> int:
    shown, shown_en = readable(welsh_html), readable(english_html)
    checked = 0
    for piece in english_fragments():
        if len(piece) >= 8 and piece in shown_en:
            checked += 1
            assert piece not in shown, piece
    return checked


def test_welsh_backtest_report_has_no_english_catalogue_text(backtest) -> None:
    english, welsh = backtest_report(backtest), backtest_report(backtest, "cy")
    assert welsh.startswith("<!DOCTYPE html><html lang='cy'>")
    assert CY["verdicts.word_" + backtest.verdict] in welsh
    assert backtest.verdict_text("cy") in welsh.replace("&#x27;", "'")
    assert _no_english(english, welsh) >= 10


def test_welsh_validate_fit_report_and_verdict(extract) -> None:
    truth = scenario_from_mapping(backtest_mapping(), "known")
    result = validate_fit(truth, extract, replications=3, seed=2)
    english, welsh = validation_report(result), validation_report(result, "cy")
    assert welsh.startswith("<!DOCTYPE html><html lang='cy'>")
    assert result.verdict_text("cy").startswith("O'i ailchwarae dros ei ")
    assert _no_english(english, welsh) >= 10


def test_welsh_verdicts_for_each_outcome(backtest) -> None:
    for verdict in ("pass", "partial", "fail"):
        welsh = render(Message(f"verdicts.backtest_{verdict}", floor=Share(0.9), worst="x"), "cy")
        assert welsh and "the" not in welsh.split()


# ---------------------------------------------------------------- the CLI with --lang cy


@pytest.mark.e2e
def test_cli_errors_in_welsh(files, raw, tmp_path) -> None:
    d, template = files
    bad = tmp_path / "referrals.csv"
    bad.write_bytes(_csv(raw["referrals"].drop(columns="priority")))
    for command in ("calibrate", "validate-fit", "backtest"):
        extra = {
            "calibrate": ["-o", tmp_path / "x.yaml"],
            "validate-fit": [template],
            "backtest": ["--cut", "2024-10-01"],
        }[command]
        result = acusim(
            command, *extra, "--referrals", bad, "--events", d / "stage_events.csv", "--lang", "cy"
        )
        assert result.returncode == 2, result.stderr
        assert "referrals.csv: rhes 1 (pennawd): mae'r golofn 'priority' ar goll" in result.stderr
        assert "is missing" not in result.stderr
    early = acusim(
        "backtest", "--referrals", d / "referrals.csv", "--events", d / "stage_events.csv",
        "--cut", "2030-01-01", "--lang", "cy",
    )  # fmt: skip
    assert early.returncode == 2 and "mae'r detholiad yn gorffen ar" in early.stderr
    wrong = acusim(
        "backtest", "--referrals", bad, "--events", bad, "--cut", "2024-10-01", "--lang", "fr"
    )
    assert wrong.returncode == 2 and "--lang: must be en or cy, not 'fr'" in wrong.stderr


@pytest.mark.e2e
def test_cli_backtest_in_welsh(files, tmp_path) -> None:
    d, template = files
    result = acusim(
        "backtest", "--referrals", d / "referrals.csv", "--events", d / "stage_events.csv",
        "--staffing", d / "staffing.csv", "--cut", "2024-10-01", "--template", template,
        "-n", "3", "--workers", "1", "--report", tmp_path / "bt.html", "--lang", "cy",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Dyfarniad: " in result.stdout and "Verdict" not in result.stdout
    assert "Yn ffitio hyd at 1 Hydref 2024" in result.stderr
    assert "Ysgrifennwyd" in result.stderr
    html = (tmp_path / "bt.html").read_text()
    assert html.startswith("<!DOCTYPE html><html lang='cy'>")
    assert CY["backtest_report.title_backlog_waiting"] in html
    assert render_lines(["x"], "cy") == ["x"]


def test_welsh_reports_give_plotly_its_welsh_words() -> None:
    """The chart toolbar's tooltips and the date axes' month names come from plotly.js: a
    Welsh page registers a ``cy`` plotly locale (checked in Chromium by hand: the toolbar
    reads "Chwyddo", the axis "Ion", "Chwef"); an English page adds nothing."""
    from calibration.report import page

    welsh, english = page("t", "", [], lang="cy"), page("t", "", [], lang="en")
    assert 'Plotly.setPlotConfig({locale: "cy"})' in welsh
    assert '"Zoom": "Chwyddo"' in welsh and '"Ebrill"' in welsh and '"Ion"' in welsh
    assert "Plotly.register(" not in english


@pytest.mark.e2e
def test_cli_calibrate_and_validate_fit_in_welsh(files, tmp_path) -> None:
    d, template = files
    extract_args = ["--referrals", d / "referrals.csv", "--events", d / "stage_events.csv"]
    fitted = tmp_path / "fitted.yaml"
    result = acusim(
        "calibrate", *extract_args, "--staffing", d / "staffing.csv", "--template", template,
        "-o", fitted, "--report", tmp_path / "adroddiad.html", "--lang", "cy",
        "--stage-role", "nonsense", "--workers", "1",
    )  # fmt: skip
    assert result.returncode == 2 and "disgwylid ENW=GWERTH (cafwyd 'nonsense')" in result.stderr
    result = acusim(
        "calibrate", *extract_args, "--staffing", d / "staffing.csv", "--template", template,
        "-o", fitted, "--report", tmp_path / "adroddiad.html", "--lang", "cy", "--workers", "1",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert CY["cli.rates_title"].split("(")[0].strip() in result.stdout
    assert "Ysgrifennwyd" in result.stderr and "Wrote" not in result.stderr
    assert "warning:" not in result.stderr
    html = (tmp_path / "adroddiad.html").read_text()
    assert html.startswith("<!DOCTYPE html><html lang='cy'>")
    checked = acusim(
        "validate-fit", fitted, *extract_args, "-n", "2", "--workers", "1",
        "--report", tmp_path / "gwirio.html", "--lang", "cy",
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    assert "Dyfarniad: " in checked.stdout and "O'i ailchwarae dros ei " in checked.stdout
    assert CY["validate_report.table_series"] in checked.stdout
    assert (tmp_path / "gwirio.html").read_text().startswith("<!DOCTYPE html><html lang='cy'>")


CLI_CASES = {
    "unparsable-date": ("unparsable-date", [], "nid yw'n ddyddiad ISO 8601"),
    "did-you-mean-category": ("did-you-mean-category", [], "oeddech chi'n golygu"),
    "bad-csv-row": ("bad-csv-row", [], "choma heb ddyfynodau"),
    "empty-file": ("empty-file", [], "mae'r ffeil yn wag"),
    "change-point-outside": (None, ["--change-point", "{source}=2030-01-01"], "y tu allan i"),
    "stage-role-typo": (None, ["--stage-role", "asessment=ds"], "oeddech chi'n golygu"),
}


@pytest.mark.e2e
@pytest.mark.parametrize("case", list(CLI_CASES))
def test_cli_calibrate_errors_in_welsh(files, raw, tmp_path, case) -> None:
    d, _ = files
    broken, options, expected = CLI_CASES[case]
    refs, events = d / "referrals.csv", d / "stage_events.csv"
    if broken is not None:
        refs = tmp_path / "referrals.csv"
        refs.write_bytes(extract_error_cases(raw)[broken][0])
    source = raw["referrals"]["source"].iloc[0]
    options = [o.format(source=source) for o in options]
    result = acusim(
        "calibrate", "--referrals", refs, "--events", events, "-o", tmp_path / "x.yaml",
        *options, "--lang", "cy",
    )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert expected in result.stderr, result.stderr
    assert not (tmp_path / "x.yaml").exists()


def test_bad_settings_read_in_welsh_where_the_catalogue_words_them() -> None:
    from calibration.types import make_settings

    with pytest.raises(CalibrationError) as info:
        make_settings(confidence=1.5, alpha="x", min_segment_days=-3)
    english = list(info.value.lines)
    assert english[0] == "--confidence: Input should be less than 1 (got 1.5)"  # as before
    welsh = render_lines(english, "cy")
    assert welsh == [
        "--confidence: Dylai fod o dan 1 (cafwyd 1.5)",
        "--alpha: Dylai fod yn rhif dilys; ni ellir darllen y testun fel rhif (cafwyd 'x')",
        "--min-segment-days: Dylai fod yn 7 neu'n fwy (cafwyd -3)",
    ]
