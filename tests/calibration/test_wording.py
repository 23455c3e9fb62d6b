"""The calibration report in English and Welsh: one catalogue per language, same keys and
fields, and a Welsh report with no English catalogue text in it."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest

from calibration.report import calibration_report
from calibration.types import Calibration
from calibration.wording import LANGUAGES, catalogue, text
from tests.calibration.test_cli import acusim, extract_dir  # noqa: F401 (a fixture)

EN, CY = catalogue("en"), catalogue("cy")
SPREAD = [
    {"path": "sources.complaints.rate", "fitted": 3.2, "p2_5": 2.9, "median": 3.2,
     "p97_5": 3.6, "n": 20},
]  # fmt: skip


def fields(phrase: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(phrase) if name}


def test_both_catalogues_have_the_same_keys_and_fields() -> None:
    assert set(EN) == set(CY)
    for key in EN:
        assert fields(EN[key]) == fields(CY[key]), key
        assert CY[key].strip(), key


def test_unknown_language_is_one_clear_line() -> None:
    with pytest.raises(ValueError, match="language must be one of en, cy"):
        text("fr", "title")
    assert LANGUAGES == ("en", "cy")


def readable(html: str) -> str:
    """The report without plotly.js itself, the scenario's YAML (data, with English
    comments of its own) and the fitting code's own lines (marked ``lang="en"``)."""
    html = re.sub(r"<script>.*?</script></head>", "</head>", html, count=1, flags=re.S)
    html = re.sub(r"<pre>.*?</pre>", "", html, flags=re.S)
    return re.sub(r"<(li|td|p)[^>]* lang='en'>.*?</\1>", "", html, flags=re.S)


def english_fragments() -> list[str]:
    """The literal pieces of every English phrase the Welsh catalogue words differently
    (less names both use, such as Kaplan-Meier or --utilisation)."""
    welsh = " ".join(CY.values())
    pieces: set[str] = set()
    for key, words in EN.items():
        if CY[key] == words or key.startswith("choice."):  # single words: checked by cell
            continue
        for literal, *_ in string.Formatter().parse(words):
            literal = re.sub(r"<[^>]+>", " ", literal).strip(" .;:,()'")
            for part in re.split(r"\s{2,}|[;:]\s", literal):
                if len(part.strip()) >= 4 and part.strip() not in welsh:
                    pieces.add(part.strip())
    return sorted(pieces)


def test_welsh_report_says_cy_and_has_no_english_catalogue_text(
    calibration: Calibration,
) -> None:
    english = calibration_report(calibration, "name: x\n", SPREAD)
    welsh = calibration_report(calibration, "name: x\n", SPREAD, lang="cy")
    assert english.startswith("<!DOCTYPE html><html lang='en'>")
    assert welsh.startswith("<!DOCTYPE html><html lang='cy'>")
    assert f"<h1>{CY['title']}</h1>" in welsh
    shown, shown_en = readable(welsh), readable(english)
    headers = set(re.findall(r"<th>(.*?)</th>", shown))
    checked = 0
    for piece in english_fragments():
        if len(piece) >= 8:
            if piece in shown_en:  # the English report shows it: the Welsh must not
                checked += 1
                assert piece not in shown, piece
        else:
            assert piece not in headers, piece
    assert checked > 40
    # The fitting code's fixed words (yes/no, found, families, priorities...) in cells.
    for key, words in EN.items():
        if key.startswith("choice.") and CY[key] != words:
            assert not re.search(rf"<td>{re.escape(words)}( |</td>)", shown), key
            assert not re.search(rf"; {re.escape(words)} ", shown), key
    for key in ("sections.arrivals", "sections.durations", "effort.col_touch"):
        assert CY[key] in welsh


def test_english_report_is_the_default(calibration: Calibration) -> None:
    assert calibration_report(calibration, "x") .count(EN["sections.routing"]) == 2  # fmt: skip


def test_cli_report_in_welsh_and_a_bad_language(
    tmp_path: Path,
    extract_dir: Path,  # noqa: F811 (the fixture imported above)
) -> None:
    common = [
        "calibrate",
        "--referrals",
        extract_dir / "referrals.csv",
        "--events",
        extract_dir / "stage_events.csv",
        "-o",
        tmp_path / "x.yaml",
    ]
    bad = acusim(*common, "--lang", "fr")
    assert bad.returncode == 2 and bad.stderr.startswith("--lang: must be en or cy")
    done = acusim(*common, "--report", tmp_path / "r.html", "--lang", "cy")
    assert done.returncode == 0, done.stderr
    report = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert report.startswith("<!DOCTYPE html><html lang='cy'>")
    assert CY["sections.arrivals"] in report
