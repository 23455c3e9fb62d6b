"""Commands for this feature; `register` adds them to the `acusim` app."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this feature's commands to ``app`` (none yet: the feature is being built)."""
