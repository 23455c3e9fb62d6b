"""``acusim brief``: the decision brief (Word and HTML, English, Welsh or both) for a board.

A thin face over :mod:`planning.brief`: runs today's scenario and each option with the
same seed, the staffing search, when-to-recruit and the sensitivity sweep, then writes
``brief.docx``, ``brief.html`` and the financial-year tables as CSV. Exit codes as for
every ``acusim`` command: 2 for bad input (one line a problem), 1 for files that cannot
be written.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from acusim.console import EXIT_FAILED, err, fail, load
from acusim.options import SeedOption, WorkersOption
from model.problems import Problems
from model.replications import default_workers

LANGS = ("en", "cy", "both")


def register(app: typer.Typer) -> None:
    """Add ``brief`` to ``app``."""
    app.command()(brief)


def rerun_command(
    base: Path, options: list[Path], lang: str, replications: int, seed: int, by: str | None
) -> str:
    """The command line that reproduces a brief (shown in its method section)."""
    parts = ["acusim brief", str(base), *[f"--option {p}" for p in options]]
    parts += [f"--lang {lang}", f"-n {replications}", f"--seed {seed}"]
    if by:
        parts.append(f"--by {by}")
    return " ".join(parts)


def brief(
    base_file: Annotated[Path, typer.Argument(help="Today's scenario (YAML).", show_default=False)],
    option: Annotated[
        list[Path],
        typer.Option(
            "--option", help="An option's scenario (repeatable; at least one).", show_default=False
        ),
    ],
    lang: Annotated[
        str, typer.Option(help="Language: en, cy (Welsh) or both in one document.")
    ] = "en",
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the brief.")] = Path("brief"),
    replications: Annotated[
        int,
        typer.Option(
            "--replications",
            "-n",
            min=3,
            help="Replications per scenario, per staffing evaluated and per sensitivity "
            "variant (small keeps the brief to minutes; the brief states it).",
        ),
    ] = 10,
    seed: SeedOption = None,
    by: Annotated[
        str | None,
        typer.Option(
            help="YYYY-MM-DD: staff needed in post from this date (default: when today's "
            "staff first put a target at risk)."
        ),
    ] = None,
    workers: WorkersOption = default_workers(),
) -> None:
    """Write the decision brief: key messages, today against each option by financial year,
    the Force Management Statement section, the assumptions and sensitivity, the method."""
    from acusim.staffing import parse_date
    from planning.brief.figures import gather
    from planning.brief.write import write_brief

    if lang not in LANGS:
        fail([f"--lang: '{lang}' is not one of {', '.join(LANGS)}"])
    base = load(base_file)
    for path in option:
        load(path)
    try:
        when = parse_date(by, "--by")
    except Problems as exc:
        fail(exc.lines)
    seed = base.seed if seed is None else seed
    command = rerun_command(base_file, option, lang, replications, seed, by)
    try:
        figures = gather(
            base_file,
            list(option),
            replications=replications,
            seed=seed,
            workers=workers,
            by=when,
            progress=lambda line: err.print(line, style="dim", highlight=False, markup=False),
            command=command,
        )
    except Problems as exc:
        fail(exc.lines)
    try:
        written = write_brief(figures, out_dir, lang)
    except OSError as exc:
        fail([f"{out_dir}: cannot write the brief ({exc.strerror or exc})"], EXIT_FAILED)
    err.print(f"Wrote {', '.join(p.name for p in written)} to {out_dir}", highlight=False)
