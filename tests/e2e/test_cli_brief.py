"""`acusim brief` as a user runs it: a subprocess, the files, the language, bad input."""

from __future__ import annotations

import subprocess
import sys

import docx
import pytest

from tests.conftest import ROOT, TEST_SCENARIOS

pytestmark = pytest.mark.e2e


def acusim(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "acusim", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_a_welsh_brief_for_a_base_and_an_option(tmp_path):
    out = tmp_path / "brief"
    result = acusim(
        "brief",
        str(TEST_SCENARIOS / "brief_tiny.yaml"),
        "--option",
        str(TEST_SCENARIOS / "brief_tiny_more_devices.yaml"),
        "--lang",
        "cy",
        "-n",
        "3",
        "--workers",
        "1",
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    for name in ("brief.docx", "brief.html", "financial_years.csv", "categories.csv"):
        assert (out / name).is_file()
    assert '<html lang="cy">' in (out / "brief.html").read_text(encoding="utf-8")
    headings = [p.text for p in docx.Document(str(out / "brief.docx")).paragraphs]
    assert "1. Negeseuon allweddol" in headings
    assert not list(out.glob(".*"))  # no temporary files left behind


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    base = str(TEST_SCENARIOS / "brief_tiny.yaml")
    result = acusim("brief", base, "--option", base, "--lang", "fr", "--out", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip() == "--lang: 'fr' is not one of en, cy, both"
    missing = tmp_path / "nope.yaml"
    result = acusim("brief", base, "--option", str(missing), "--out", str(tmp_path))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "nope.yaml" in result.stderr
