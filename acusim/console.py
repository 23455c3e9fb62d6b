"""What every ``acusim`` command shares: the consoles, exit codes, one-line errors, loading.

Errors a user can cause (a bad scenario file, an unwritable output folder)
are printed as one line each on stderr with a non-zero exit, never as a
traceback. Progress goes to stderr so ``--json`` output on stdout stays clean.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from model.engine.size import check_run_size
from model.problems import Problems
from model.scenario import Scenario, ScenarioError, load_scenario, with_overrides

out = Console()
err = Console(stderr=True)

EXIT_BAD_INPUT = 2
EXIT_FAILED = 1


def fail(lines: list[str], code: int = EXIT_BAD_INPUT) -> None:
    for line in lines:
        err.print(line, markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def load(path: Path, horizon_years: float | None = None) -> Scenario:
    try:
        scenario = load_scenario(path)
        if horizon_years is not None:
            scenario = with_overrides(scenario, {"horizon_years": horizon_years}, "--horizon-years")
        check_run_size(scenario, str(path))  # refused here with the file's name, not later
    except ScenarioError as exc:
        fail(exc.lines)
    return scenario


class OneLineErrors(typer.Typer):
    """The ``acusim`` app: any :class:`~model.problems.Problems` a command lets through (a
    run refused for its size, a runaway case, a bad sweep) ends as its lines on stderr and
    exit code 2, never a traceback."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except Problems as exc:
            for line in exc.lines:
                err.print(line, markup=False, highlight=False, soft_wrap=True)
            sys.exit(EXIT_BAD_INPUT)
