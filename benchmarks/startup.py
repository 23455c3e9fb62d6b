"""CLI start-up: CPU time of `acusim --help` and `acusim validate` and what they import.

Each command runs in a fresh interpreter a few times; the best CPU time (user + system of
the child, from ``resource.getrusage``) and the best wall time are printed, with the heavy
libraries the command loaded. Goal (issue 13): `acusim --help` and `acusim validate
scenarios/baseline.yaml` well under half a second of CPU, `validate` under 0.5 s wall on a
quiet machine. For comparison the same is measured for `python -c pass` and for importing
the scenario contract alone (the floor for `validate`).

    .venv/bin/python benchmarks/startup.py [--repeats N]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACUSIM = str(Path(sys.executable).with_name("acusim"))
HEAVY = ["scipy", "pandas", "pyarrow", "duckdb", "plotly", "dask", "streamlit"]

COMMANDS = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import model.scenario": [sys.executable, "-c", "import model.scenario"],
    "acusim --help": [ACUSIM, "--help"],
    "acusim validate baseline": [ACUSIM, "validate", "scenarios/baseline.yaml"],
}

PROBE = (
    "import sys, runpy; sys.argv = {argv!r}; "
    "import contextlib, io\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    try:\n"
    "        from acusim.main import app; app(sys.argv[1:])\n"
    "    except SystemExit:\n"
    "        pass\n"
    "print(','.join(m for m in {heavy!r} if m in sys.modules) or '-')"
)


def _run(argv: list[str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def _heavy_loaded(argv: list[str]) -> str:
    code = PROBE.format(argv=["acusim", *argv[1:]], heavy=HEAVY)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"best of {args.repeats} runs each, commands interleaved")
    best = {name: (float("inf"), float("inf")) for name in COMMANDS}
    for _ in range(args.repeats):
        for name, argv in COMMANDS.items():
            cpu, wall = _run(argv)
            best[name] = (min(best[name][0], cpu), min(best[name][1], wall))
    for name, (cpu, wall) in best.items():
        heavy = _heavy_loaded(COMMANDS[name]) if name.startswith("acusim") else ""
        print(f"  {name:<28} CPU {cpu:5.2f} s   wall {wall:5.2f} s   {heavy}")
    print("goal: acusim --help and validate well under 0.5 s of CPU; heavy libraries: none")


if __name__ == "__main__":
    main()
