"""`python -m acusim` is the same as `acusim`."""

from acusim.main import app

app(prog_name="acusim")
