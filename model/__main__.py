"""`python -m model` is the same as `acusim`."""

from model.cli import app

app(prog_name="acusim")
