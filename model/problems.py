"""The one kind of error the user sees: a list of problems, one plain line each.

Every error that reaches a person (a bad scenario, extract, sweep file or results folder)
is a :class:`Problems` subclass, so the CLI and the app show them all the same way, one
line per problem, never a traceback.
"""

from __future__ import annotations

MAX_LINES = 50
"""Most problem lines shown; the rest are counted in one last line ("... and N more"), so a
file with 400,000 unknown keys gives 51 lines, not 400,000."""


def capped(lines: list[str], limit: int = MAX_LINES) -> list[str]:
    """The first ``limit`` lines, then one line counting the rest."""
    if len(lines) <= limit + 1:
        return list(lines)
    return [*lines[:limit], f"... and {len(lines) - limit:,} more"]


class Problems(Exception):
    """Something cannot go on; ``lines`` holds one message per problem (at most
    :data:`MAX_LINES` of them, then a count of the rest), each a single line."""

    def __init__(self, lines: list[str] | str) -> None:
        if isinstance(lines, str):  # re-created from its message (e.g. after pickling)
            lines = lines.splitlines()
        # a one-line str (a subclass such as calibration's Message, which can be written in
        # Welsh) is kept as it is; anything longer is split into its lines
        single = [
            part
            for line in lines
            for part in (
                [line]
                if isinstance(line, str) and line.splitlines() == [line]
                else (str(line).splitlines() or [""])
            )
        ]
        self.lines = capped(single)
        super().__init__("\n".join(self.lines))

    def __reduce__(self):  # so a worker process's error arrives whole, lines intact
        return (self.__class__, (self.lines,))
