"""Command-line options that mean the same in every ``acusim`` command.

Declared once, so their names, limits and help cannot drift apart between commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

SeedOption = Annotated[int | None, typer.Option(min=0, help="Seed (default: the scenario's).")]
HorizonOption = Annotated[
    float | None, typer.Option(min=0.02, help="Override the scenario's horizon (years).")
]
WorkersOption = Annotated[int, typer.Option(min=1, help="Worker processes (default: all cores).")]

# The case extract (docs/case-extract.md), read the same way by calibrate, validate-fit and
# backtest.
ReferralsOption = Annotated[
    Path, typer.Option("--referrals", help="referrals.csv (see docs/case-extract.md).")
]
EventsOption = Annotated[Path, typer.Option("--events", help="stage_events.csv.")]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="When the extract was taken (a date means its start); default: the latest "
        "timestamp. Unfinished work is censored here.",
    ),
]
SkipBadRowsOption = Annotated[
    bool,
    typer.Option(help="Leave out rows with problems (and report how many) instead of failing."),
]
MaxProblemsOption = Annotated[int, typer.Option(min=1, help="Problems listed at most.")]


def _calibration_lang(lang: str) -> str:
    """``--lang`` must be a language the calibration catalogue has, said in one line (the
    one check of it: a click Choice would print a usage block instead)."""
    from acusim.console import fail
    from calibration.wording import LANGUAGES

    if lang not in LANGUAGES:
        fail([f"--lang: must be {' or '.join(LANGUAGES)}, not {lang!r}"])
    return lang


# The language of calibrate's, validate-fit's and backtest's printed lines and reports
# (calibration/text/{en,cy}.yaml); English by default.
CalibrationLangOption = Annotated[
    str,
    typer.Option(
        "--lang",
        callback=_calibration_lang,
        help="Language of the printed lines and the --report: en (English) or cy (Welsh).",
    ),
]
