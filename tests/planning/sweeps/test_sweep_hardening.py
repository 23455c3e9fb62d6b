"""Sweep input that used to slip through: a seed the store cannot hold, sections of the
wrong shape (in the sweep file and in a results folder's manifest), hostile YAML, a variant
too large to run, and a second sweep let in after the results folder was deleted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from model.scenario import ScenarioError
from planning.sweeps.design import load_sweep
from planning.sweeps.store import MANIFEST_NAME, StoreError, SweepStore, read_manifest
from tests.conftest import SCENARIOS

BASE = SCENARIOS / "baseline.yaml"


def _sweep_file(folder: Path, body: str) -> Path:
    path = folder / "sweep.yaml"
    path.write_text(f"name: s\nbase: {BASE}\n" + body)
    return path


GRID = "design: {kind: grid, axes: {roles.ds.fte: [2, 3]}}\n"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (f"seed: {2**63}\nreplications: 2\n" + GRID, "seed"),
        ("seed: 1\nreplications: 2\ndesign: 3\n", "design"),
        ("seed: 1\nreplications: 2\nset: [1, 2]\n" + GRID, "set"),
        ("seed: 1\nreplications: 2\ndesign: {kind: grid, axes: [1]}\n", "design.axes"),
        ('seed: "1"\nreplications: 2\n' + GRID, "seed: must be a number"),
        ("seed: 1\nseed: 2\nreplications: 2\n" + GRID, "given twice"),
        (
            "seed: 1\nreplications: 2\n"
            "design: {kind: grid, axes: {sources.psd_referrals.rate_per_week: [1, 20000]}}\n"
            "set: {horizon_years: 30}\n",
            "max_cases_per_replication",
        ),
    ],
)
def test_bad_sweep_file_gives_one_line(tmp_path: Path, body: str, expected: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_sweep(_sweep_file(tmp_path, body))
    (line,) = info.value.lines
    assert expected in line, line


def test_sweep_file_of_billion_laughs_fails_fast(tmp_path: Path) -> None:
    from tests.model.scenario.test_hostile_files import laughs

    path = _sweep_file(tmp_path, laughs(9))
    with pytest.raises(ScenarioError, match="anchors and aliases expand"):
        load_sweep(path)


@pytest.fixture
def sweep(tmp_path: Path):
    return load_sweep(_sweep_file(tmp_path, "seed: 1\nreplications: 2\n" + GRID))


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda m: m.update(sweep=3), "sweep: missing or not a mapping"),
        (lambda m: m.update(sweep=[1]), "sweep: missing or not a mapping"),
        (lambda m: m["sweep"].update(axes={"a": 1}), "sweep.axes"),
        (lambda m: m["sweep"].update(runs="10"), "sweep.runs"),
        (lambda m: m.update(sessions={"a": 1}), "sessions"),
        (lambda m: m.update(seed=True), "seed"),
    ],
)
def test_damaged_manifest_gives_one_line_per_problem(
    tmp_path: Path, sweep, damage, expected: str
) -> None:
    out = tmp_path / "out"
    with SweepStore.open(out, sweep):
        pass
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    damage(manifest)
    (out / MANIFEST_NAME).write_text(json.dumps(manifest))
    with pytest.raises(StoreError) as info:
        read_manifest(out)
    assert len(info.value.lines) == 1
    assert expected in info.value.lines[0]
    with pytest.raises(StoreError):
        SweepStore.open(out, sweep, resume=True).close()


def test_a_second_sweep_is_refused_even_after_the_folder_is_deleted(tmp_path: Path, sweep) -> None:
    import shutil

    out = tmp_path / "out"
    with SweepStore.open(out, sweep):
        shutil.rmtree(out)  # someone deletes the results folder while the sweep runs
        with pytest.raises(StoreError, match="another sweep is writing"):
            SweepStore.open(out, sweep)
        out.mkdir()
        with pytest.raises(StoreError, match="another sweep is writing"):
            SweepStore.open(out, sweep)
    shutil.rmtree(out)
    with SweepStore.open(out, sweep):  # released when the first one closes
        pass
