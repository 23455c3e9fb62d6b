"""``acusim``: the command line, a thin face over the ``planning``, ``calibration``,
``verification`` and ``model`` APIs, one module per command group.

Errors a user can cause (a bad scenario file, an unwritable output folder)
are printed as one line each on stderr with a non-zero exit, never as a
traceback. Progress goes to stderr so ``--json`` output on stdout stays clean.
"""

from __future__ import annotations

from acusim import calibration, run, staffing, sweeps, verification
from acusim.console import OneLineErrors

app = OneLineErrors(
    name="acusim",
    help="Simulate demand on a police Anti-Corruption Unit and the staff it needs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

for _commands in (run, staffing, sweeps, calibration, verification):
    _commands.register(app)

from acusim import brief  # noqa: E402 (appended: one command group, no merge with the list above)

brief.register(app)
