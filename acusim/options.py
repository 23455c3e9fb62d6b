"""Command-line options that mean the same in every ``acusim`` command.

Declared once, so their names, limits and help cannot drift apart between commands.
"""

from __future__ import annotations

from typing import Annotated

import typer

SeedOption = Annotated[int | None, typer.Option(min=0, help="Seed (default: the scenario's).")]
HorizonOption = Annotated[
    float | None, typer.Option(min=0.02, help="Override the scenario's horizon (years).")
]
WorkersOption = Annotated[int, typer.Option(min=1, help="Worker processes (default: all cores).")]
