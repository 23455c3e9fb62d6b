"""A corpus of hostile and careless scenario files: each is refused with one line, fast.

One case per way issue #12 found input mishandled, and more. Every case goes through the
loader API here; ``test_hostile_cli.py`` runs a sample through ``acusim validate`` in a
subprocess with a memory cap and a timeout.
"""

from __future__ import annotations

import os
import signal
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from model.engine.size import check_run_size
from model.scenario import ScenarioError, load_scenario
from model.scenario.safe_yaml import MAX_FILE_BYTES
from tests.conftest import SCENARIOS

BASE = SCENARIOS / "baseline.yaml"


def laughs(levels: int, collection: str = "list") -> str:
    """A "billion laughs" document: each level holds nine aliases of the one below."""
    lines = ["x0: &x0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for i in range(1, levels + 1):
        if collection == "list":
            body = ", ".join([f"*x{i - 1}"] * 9)
            lines.append(f"x{i}: &x{i} [{body}]")
        else:
            body = ", ".join(f"k{j}: *x{i - 1}" for j in range(9))
            lines.append(f"x{i}: &x{i} {{{body}}}")
    return "\n".join(lines) + "\n"


def variant(body: str) -> str:
    """A scenario extending the shipped baseline with ``body``."""
    return f"extends: {BASE}\n" + textwrap.dedent(body)


# name -> (file text, or a function writing the file into a folder; expected text in the line)
CORPUS: dict[str, tuple[str | Callable[[Path], Path], str]] = {
    # --- the parser
    "billion laughs (lists)": (laughs(9), "anchors and aliases expand"),
    "billion laughs (mappings)": (laughs(9, "map"), "anchors and aliases expand"),
    "20,000-deep nesting": ("a: " + "[" * 20_000 + "]" * 20_000 + "\n", "line 1"),
    "20,000-deep mappings": (
        "a:\n" + "".join(" " * i + "b:\n" for i in range(1, 200)),
        "nested more than 32",
    ),
    "5,000-digit integer": (variant("seed: " + "9" * 5000 + "\n"), "5,000 digits"),
    "duplicate key": (variant("seed: 1\nseed: 2\n"), "key 'seed' given twice"),
    "duplicate nested key": (
        variant("roles:\n  ds:\n    fte: 3\n    fte: 4\n"),
        "key 'fte' given twice",
    ),
    "python object tag": (
        variant("description: !!python/object/apply:os.system ['true']\n"),
        "not valid YAML",
    ),
    "two documents": ("name: a\n---\nname: b\n", "not valid YAML"),
    "empty file": ("", "must be a mapping"),
    "a list, not a mapping": ("- 1\n- 2\n", "must be a mapping"),
    "not UTF-8": (lambda d: _write_bytes(d, b"name: \xff\xfe\n"), "not UTF-8"),
    "too large": (
        lambda d: _write_bytes(d, b"# " + b"x" * (MAX_FILE_BYTES + 10) + b"\n"),
        "larger than",
    ),
    "a folder": (lambda d: _mkdir(d), "is a folder"),
    "a FIFO": (lambda d: _fifo(d), "not a regular file"),
    "/dev/zero": (lambda d: Path("/dev/zero"), "not a regular file"),
    "missing": (lambda d: d / "nope.yaml", "file not found"),
    # --- extends
    "extends /dev/zero": ("extends: /dev/zero\n", "not a regular file"),
    "extends a folder": ("extends: /tmp\n", "is a folder"),
    "extends a FIFO": (lambda d: _extends_fifo(d), "not a regular file"),
    "extends a number": ("extends: 3\n", "extends: must be a file name"),
    "extends itself": (lambda d: _write(d, "extends: bad.yaml\n"), "circular"),
    "extends chain of 1,500": (lambda d: _chain(d, 1500), "chain longer than"),
    # --- numbers without a sane bound
    "rate 1e20": (
        variant("sources: {psd_referrals: {rate_per_week: 1.0e+20}}\n"),
        "sources.psd_referrals.rate_per_week",
    ),
    "a billion devices": (
        variant("sources: {ict_monitoring: {devices_covered: 1000000000}}\n"),
        "devices_covered",
    ),
    "burst period 1e-9": (
        variant("sources: {psd_referrals: {burst_period_days: 1.0e-9}}\n"),
        "burst_period_days",
    ),
    "warm-up 1e9 days": (variant("warmup_days: 1000000000\n"), "warmup_days"),
    "backlog of 1e8": (
        variant(
            "initial_backlog: [{stage: assessment, source: psd_referrals, waiting: 100000000}]\n"
        ),
        "initial_backlog.0.waiting",
    ),
    "staffing step to 1e9": (
        variant("staffing_search: {fte_step: 1000000000}\n"),
        "staffing_search.fte_step",
    ),
    "role of 1e9 FTE": (variant("roles: {ds: {fte: 1000000000}}\n"), "roles.ds.fte"),
    "empirical weights 1e308": (
        variant(
            "stages: {assessment: {effort_hours: "
            "{dist: empirical, values: [1, 2], weights: [1.0e+308, 1], "
            "mean: null, cv: null}}}\n"
        ),
        "weights",
    ),
    "Weibull shape 0.001": (
        variant(
            "stages: {assessment: {effort_hours: "
            "{dist: weibull, shape: 0.001, scale: 5, mean: null, cv: null}}}\n"
        ),
        "shape",
    ),
    "infinite mean": (
        variant(
            "stages: {assessment: {effort_hours: {dist: exponential, mean: .inf, cv: null}}}\n"
        ),
        "effort_hours.mean",
    ),
    "a megabyte of text for a number": (
        variant("roles: {ds: {fte: " + "x" * 1_000_000 + "}}\n"),
        "roles.ds.fte: must be a number",
    ),
    "a long text in a date": (
        variant("start_date: 2026-01-01" + "x" * 100_000 + "\n"),
        "start_date",
    ),
    "year 9999": (variant("start_date: 9999-01-01\n"), "start_date: year 9999"),
    "seed 2**63": (variant(f"seed: {2**63}\n"), "seed"),
    "a logistic steepness of 1e9": (
        variant(
            "sources: {psd_referrals: {modifiers: [{type: logistic, midpoint: 2026-01-01, "
            "growth_per_year: 1.0e+9, to_factor: 2}]}}\n"
        ),
        "growth_per_year",
    ),
    # --- silently coerced before
    "text for a number": (variant('roles: {ds: {fte: "3"}}\n'), "roles.ds.fte: must be a number"),
    "true for a number": (variant("roles: {ds: {fte: true}}\n"), "roles.ds.fte: must be a number"),
    "text in a probability table": (
        variant(
            "stages: {proceedings: {routing: {default: "
            "{misconduct_meeting: '0.5', gross_misconduct_hearing: 0.5}}}}\n"
        ),
        "misconduct_meeting: must be a number",
    ),
    # --- routing that cannot end
    "default returns to itself, only a rule exits": (
        variant(
            """\
            stages:
              proceedings:
                routing:
                  default: {proceedings: 1.0}
                  rules:
                    - when: {priority: [high]}
                      routes: {misconduct_meeting: 1.0}
            """
        ),
        "stages.proceedings.routing: no route from here ever reaches a closure outcome",
    ),
    "zero-time loop": (
        variant(
            """\
            stages:
              proceedings:
                external_delays: []
                routing:
                  default: {proceedings: 0.5, misconduct_meeting: 0.5}
            """
        ),
        "can take no time",
    ),
    "loop exiting with probability 1e-6": (
        variant(
            """\
            stages:
              investigation:
                routing:
                  default: {investigation: 0.999999, proceedings: 0.000001}
            """
        ),
        "max_expected_visits_per_case",
    ),
}


def _write(folder: Path, text: str) -> Path:
    path = folder / "bad.yaml"
    path.write_text(text)
    return path


def _write_bytes(folder: Path, data: bytes) -> Path:
    path = folder / "bad.yaml"
    path.write_bytes(data)
    return path


def _mkdir(folder: Path) -> Path:
    (folder / "bad.yaml").mkdir()
    return folder / "bad.yaml"


def _fifo(folder: Path) -> Path:
    path = folder / "bad.yaml"
    os.mkfifo(path)
    return path


def _extends_fifo(folder: Path) -> Path:
    os.mkfifo(folder / "pipe.yaml")
    return _write(folder, "extends: pipe.yaml\n")


def _chain(folder: Path, n: int) -> Path:
    for i in range(n):
        (folder / f"c{i}.yaml").write_text(f"extends: c{i + 1}.yaml\n")
    (folder / f"c{n}.yaml").write_text(f"extends: {BASE}\n")
    return folder / "c0.yaml"


@pytest.fixture(autouse=True)
def _no_hang():
    """A regression that hangs (a blocking read, an endless expansion in Python) fails the
    test after 60 s instead of stalling the suite (memory is capped in test_hostile_cli)."""

    def stop(signum, frame):
        raise TimeoutError("hostile file took over 60 s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(60)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def corpus_file(folder: Path, name: str) -> Path:
    make, _ = CORPUS[name]
    return _write(folder, make) if isinstance(make, str) else make(folder)


@pytest.mark.parametrize("name", list(CORPUS))
def test_hostile_file_is_refused_with_one_line(tmp_path: Path, name: str) -> None:
    path = corpus_file(tmp_path, name)
    with pytest.raises(ScenarioError) as info:
        check_run_size(load_scenario(path))
    lines = info.value.lines
    assert len(lines) == 1, lines
    assert "\n" not in lines[0]
    assert len(lines[0]) < 1_000, lines[0][:200]  # no echo of huge values
    assert CORPUS[name][1] in lines[0], lines
    assert str(path) in lines[0] or lines[0].startswith(str(tmp_path)), lines  # names the file


def test_error_lines_do_not_expand_aliases(tmp_path: Path) -> None:
    """Under the expansion cap, aliased mappings in wrong places give short lines (error
    formatting used to expand them, about 9x per level, and hang)."""
    path = _write(tmp_path, variant(laughs(4, "map") + "name: *x4\ndescription: *x4\n"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    lines = info.value.lines
    assert any(
        line.endswith("x0: unknown field (check the spelling; see docs/scenario-reference.md)")
        for line in lines
    )
    assert any(": name: " in line for line in lines)
    assert all(len(line) < 300 for line in lines), lines


def test_run_too_large_is_refused_naming_the_fields(tmp_path: Path) -> None:
    path = _write(
        tmp_path, variant("horizon_years: 30\nsources: {psd_referrals: {rate_per_week: 20000}}\n")
    )
    scenario = load_scenario(path)  # every field within its bound...
    with pytest.raises(ScenarioError) as info:
        check_run_size(scenario)  # ...but together far too large
    (line,) = info.value.lines
    assert "31,3" in line and "cases" in line
    assert "limits.max_cases_per_replication" in line
    assert "sources.psd_referrals.rate_per_week" in line


def test_many_problems_are_capped_at_fifty_lines(tmp_path: Path) -> None:
    keys = "".join(f"u{i}: 1\n" for i in range(20_000))
    path = _write(tmp_path, variant(keys))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    lines = info.value.lines
    assert len(lines) == 51
    assert lines[-1] == "... and 19,950 more"


def test_extends_error_names_the_referring_file(tmp_path: Path) -> None:
    (tmp_path / "parent.yaml").write_text("seed: 1\nseed: 2\n")
    child = _write(tmp_path, "extends: parent.yaml\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(child)
    (line,) = info.value.lines
    assert line.startswith(str(tmp_path / "parent.yaml"))
    assert f"(extended by {child})" in line


def test_aliases_to_scalars_and_small_mappings_still_work(tmp_path: Path) -> None:
    """The baseline shares a mix with an alias: that stays allowed."""
    assert "&alert_mix" in BASE.read_text()
    assert load_scenario(BASE).sources["ict_monitoring"].mix == (
        load_scenario(BASE).sources["ict_desktop_monitoring"].mix
    )


def test_an_integer_is_still_accepted_for_a_float_field(tmp_path: Path) -> None:
    path = _write(tmp_path, variant("roles: {ds: {fte: 3}}\n"))
    assert load_scenario(path).roles["ds"].fte == 3.0
