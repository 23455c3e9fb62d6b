"""Every command the README and the how-to guides show works, as a reader would type it.

The convention (also stated in docs/how-to/README.md, for whoever writes a guide):

* Commands are read from fenced ``sh`` blocks. A line starting with ``acusim`` or
  ``.venv/bin/acusim`` is a command (a trailing backslash continues it; ``# ...``
  comments are dropped). ``make`` lines are skipped: CI runs ``make`` itself.
  Other lines are shown for the reader and not run here.
* A page's commands run in order, in one fresh copy of the repository in a temporary
  directory, so a guide may use the files its earlier commands wrote.
* A fenced block right after a ``<!-- save as: PATH -->`` comment is a file the guide asks
  the reader to save: it is written to PATH (relative to the repository) before the
  page's commands run.
* To keep the suite fast, the options in ``FAST`` for the command's subcommand are
  appended to it. An option given twice takes its last value, so these override what the
  page shows (e.g. ``--replications 20`` becomes 2); shell redirections stay at the end.
  Options in ``SMALLER`` have their value replaced where the page gives them.
* ``--scheduler ADDRESS`` is pointed at a Dask scheduler and worker that the test starts
  on free local ports (the guide shows how a reader starts them).
* A command passes when it exits 0 without a traceback.

The diagram in docs/model.md is checked here too: it must be exactly what
``acusim diagram scenarios/baseline.yaml`` prints today.
"""

from __future__ import annotations

import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import pytest

from model.scenario import load_scenario
from tests.conftest import ROOT
from verification.diagram import mermaid_flowchart

pytestmark = pytest.mark.e2e

HOW_TO = sorted(p for p in (ROOT / "docs" / "how-to").glob("*.md") if p.name != "README.md")
PAGES = [ROOT / "README.md", *HOW_TO]

QUICK_RUN = ["--horizon-years", "0.25", "--replications", "2", "--workers", "1"]
FAST: dict[str, list[str]] = {
    "run": QUICK_RUN,
    "demand": QUICK_RUN,
    # A year is the shortest horizon over which the 12-month share can be met at all.
    "staff": ["--horizon-years", "1", "--replications", "3", "--workers", "1"],
    "sweep": ["--horizon-years", "0.25", "--replications", "2"],
    "validate-fit": ["--replications", "2", "--workers", "1"],
    "backtest": ["--replications", "3", "--workers", "1", "--no-input-uncertainty"],
    "verify": ["--only", "mg1", "--workers", "1"],
}
"""Options appended to a documented command, by subcommand, so it runs in seconds."""

SMALLER: dict[str, str] = {"--bootstrap": "4", "--input-uncertainty": "4"}
"""Options whose documented value is replaced, where a page gives them (counts of
bootstrap parameter sets: a run of the second needs the first's files)."""

COMMAND = re.compile(r"^(?:\.venv/bin/)?acusim(?:\s|$)")
SHELL_OPERATORS = {">", ">>", "<", "|", "&&", "||", ";", "&"}
COPY_IGNORE = shutil.ignore_patterns(
    ".venv", ".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".hypothesis", "*.egg-info"
)


def sh_blocks(text: str) -> list[str]:
    """The bodies of the page's fenced ``sh`` blocks, in order."""
    return re.findall(r"^```sh[ \t]*\n(.*?)^```", text, flags=re.S | re.M)


def _tokens(line: str) -> list[str]:
    """Shell words and operators (``>``, ``|``, ``&&``...) of one line, comments dropped."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    return list(lexer)


def _render(tokens: list[str]) -> str:
    return " ".join(t if t in SHELL_OPERATORS else shlex.quote(t) for t in tokens)


def documented_commands(text: str) -> list[str]:
    """The ``acusim`` commands of a page, continuations joined and comments dropped."""
    commands = []
    for block in sh_blocks(text):
        joined = re.sub(r"\\\n\s*", " ", block)
        for raw in joined.splitlines():
            line = raw.strip()
            if COMMAND.match(line):
                commands.append(_render(_tokens(line)))
    return commands


def runnable(command: str, scheduler: str | None = None) -> str:
    """The command as the test runs it: this interpreter's ``acusim`` plus the fast options,
    placed before any redirection or pipe, and ``--scheduler`` pointed at ``scheduler``."""
    tokens = _tokens(command)
    cut = next((i for i, t in enumerate(tokens) if t in SHELL_OPERATORS), len(tokens))
    words, rest = tokens[1:cut], tokens[cut:]
    for i, word in enumerate(words[:-1]):
        if word in SMALLER:
            words[i + 1] = SMALLER[word]
        elif word == "--scheduler" and scheduler is not None:
            words[i + 1] = scheduler
    subcommand = words[0] if words else ""
    words = words + FAST.get(subcommand, [])
    return f"{shlex.quote(sys.executable)} -m acusim {_render(words + rest)}"


def saved_files(text: str) -> list[tuple[str, str]]:
    """(path, content) of each block the page asks the reader to save."""
    return re.findall(r"^<!-- save as: (\S+) -->\n```[\w-]*\n(.*?)^```", text, flags=re.S | re.M)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def dask_cluster(cwd: Path) -> Iterator[str]:
    """A Dask scheduler and one single-threaded worker on free local ports, as the guide
    starts them; yields the scheduler's address and stops both (by their PIDs) after."""
    dask = str(Path(sys.executable).parent / "dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    scheduler_args = [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port)]
    worker_args = [dask, "worker", address, "--host", "127.0.0.1", "--nworkers", "1"]
    with (
        (cwd / "dask-scheduler.log").open("w") as scheduler_log,
        (cwd / "dask-worker.log").open("w") as worker_log,
    ):
        scheduler = subprocess.Popen(
            [*scheduler_args, "--no-dashboard"],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=scheduler_log,
            stderr=subprocess.STDOUT,
        )
        worker = None
        try:
            deadline = time.monotonic() + 60
            while True:
                with socket.socket() as probe:
                    if probe.connect_ex(("127.0.0.1", port)) == 0:
                        break
                assert scheduler.poll() is None, "the Dask scheduler exited"
                assert time.monotonic() < deadline, "the Dask scheduler did not start"
                time.sleep(0.2)
            worker = subprocess.Popen(
                [*worker_args, "--nthreads", "1", "--no-dashboard"],
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=worker_log,
                stderr=subprocess.STDOUT,
            )
            yield address
        finally:
            if worker is not None:
                _stop(worker)
            _stop(scheduler)


def test_commands_are_read_as_a_reader_would_type_them() -> None:
    page = """
```sh
make run      # not run: CI runs make
.venv/bin/acusim run scenarios/baseline.yaml \\
    --replications 20   # twenty
acusim validate "my file.yaml"
dask scheduler --port 8786
.venv/bin/acusim run scenarios/baseline.yaml --json > summary.json
```

```yaml
acusim: not a command in a yaml block
```
"""
    commands = documented_commands(page)
    assert commands == [
        ".venv/bin/acusim run scenarios/baseline.yaml --replications 20",
        "acusim validate 'my file.yaml'",
        ".venv/bin/acusim run scenarios/baseline.yaml --json > summary.json",
    ]
    fast = runnable(commands[2])
    assert fast.endswith("--replications 2 --workers 1 > summary.json")
    assert "-m acusim run scenarios/baseline.yaml --json --horizon-years 0.25" in fast
    assert runnable(commands[1]).endswith("-m acusim validate 'my file.yaml'")
    sweep = "acusim sweep s.yaml --scheduler tcp://HOST:8786 --out r"
    assert "--scheduler tcp://127.0.0.1:9999 --out r" in runnable(sweep, "tcp://127.0.0.1:9999")
    calibrate = "acusim calibrate -o c.yaml --bootstrap 100"
    assert runnable(calibrate).endswith("calibrate -o c.yaml --bootstrap 4")


def test_files_a_guide_asks_to_save_are_found() -> None:
    page = """Save this:

<!-- save as: scenarios/x.yaml -->
```yaml
extends: baseline.yaml
name: x
```

```yaml
not: saved
```
"""
    assert saved_files(page) == [("scenarios/x.yaml", "extends: baseline.yaml\nname: x\n")]


def test_every_how_to_guide_shows_commands_to_run() -> None:
    for page in HOW_TO:
        assert documented_commands(page.read_text(encoding="utf-8")), (
            f"{page.name} shows no acusim command in an sh block"
        )


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(ROOT).as_posix() for p in PAGES])
def test_documented_commands_succeed(page: Path, tmp_path: Path) -> None:
    commands = documented_commands(page.read_text(encoding="utf-8"))
    if not commands:
        pytest.skip(f"{page.name} shows no acusim command")
    text = page.read_text(encoding="utf-8")
    clone = tmp_path / "clone"
    shutil.copytree(ROOT, clone, ignore=COPY_IGNORE)
    for path, content in saved_files(text):
        assert not Path(path).is_absolute() and ".." not in Path(path).parts, path
        (clone / path).parent.mkdir(parents=True, exist_ok=True)
        (clone / path).write_text(content, encoding="utf-8")
    needs_dask = any("--scheduler" in _tokens(c) for c in commands)
    with dask_cluster(clone) if needs_dask else nullcontext(None) as scheduler:
        for command in commands:
            completed = subprocess.run(
                ["bash", "-c", runnable(command, scheduler)],
                cwd=clone,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            assert completed.returncode == 0, (
                f"{page.name}: `{command}` exited {completed.returncode}\n"
                f"{completed.stderr[-3000:]}"
            )
            assert "Traceback" not in completed.stderr, f"{page.name}: `{command}`"
            if scheduler is not None and "--scheduler" in _tokens(command):
                said = completed.stdout + completed.stderr
                assert scheduler in said, f"{page.name}: `{command}` did not use the cluster"


def test_model_description_shows_the_diagram_the_generator_draws() -> None:
    text = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    marker = "<!-- generated: acusim diagram scenarios/baseline.yaml"
    assert marker in text
    after = text[text.index(marker) :]
    block = re.search(r"```mermaid\n(.*?)```", after, flags=re.S)
    assert block is not None
    expected = mermaid_flowchart(load_scenario(ROOT / "scenarios" / "baseline.yaml"))
    assert block.group(1) == expected, (
        "docs/model.md is out of date: replace its mermaid block with the output of "
        "`acusim diagram scenarios/baseline.yaml`"
    )
