"""The one kind of error the user sees: a list of problems, one plain line each.

Every error that reaches a person (a bad scenario, extract, sweep file or results folder)
is a :class:`Problems` subclass, so the CLI and the app show them all the same way, one
line per problem, never a traceback.
"""

from __future__ import annotations


class Problems(Exception):
    """Something cannot go on; ``lines`` holds one message per problem."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines
