"""The sweep results store: round trips, atomic writes, no duplicates, refusals, resume."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from model.results import package_version
from planning.sweeps.design import Sweep, load_sweep
from planning.sweeps.run import LocalBackend, plan_chunks, run_chunk, run_sweep
from planning.sweeps.store import (
    DB_NAME,
    MANIFEST_NAME,
    STORE_SCHEMA,
    RunRecord,
    StoreError,
    SweepStore,
    ctrl_c_as_keyboard_interrupt,
    read_store,
    utc_now,
)
from tests.conftest import ROOT
from tests.planning.sweeps.test_sweep import write_sweep


@pytest.fixture
def sweep(tmp_path: Path) -> Sweep:
    return load_sweep(write_sweep(tmp_path, replications=3))


def record(variant_id: str, replication: int, **kpis: float) -> RunRecord:
    return RunRecord(variant_id, replication, kpis, 0.01, "test:1", utc_now())


def refusal(out: Path, sweep: Sweep, **options: bool) -> str:
    with pytest.raises(StoreError) as caught:
        SweepStore.open(out, sweep, **options)
    assert len(caught.value.lines) == 1
    return caught.value.lines[0]


def test_new_store_has_a_manifest_and_every_variant(tmp_path: Path, sweep: Sweep) -> None:
    out = tmp_path / "out"
    with SweepStore.open(out, sweep):
        pass
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert manifest["schema"] == STORE_SCHEMA
    assert manifest["sweep"]["content_hash"] == sweep.content_hash
    assert manifest["sweep"]["runs"] == sweep.total_runs == 12
    assert manifest["package_version"] == package_version()
    assert manifest["seed"] == sweep.seed
    assert manifest["started_at"] is None and manifest["finished_at"] is None
    stored = read_store(out)
    assert list(stored.variants.variant_id) == [v.id for v in sweep.variants]
    assert stored.runs.empty and stored.kpis.empty
    first = stored.variants.iloc[0]
    assert json.loads(first.settings_json) == sweep.variants[0].values
    assert first.scenario_hash == sweep.variants[0].scenario.content_hash()


def test_runs_round_trip_exactly_including_nan(tmp_path: Path, sweep: Sweep) -> None:
    out = tmp_path / "out"
    with SweepStore.open(out, sweep) as store:
        store.write([record("v01", 0, a=0.1 + 0.2, b=math.nan), record("v02", 2, a=-1e300, b=3)])
        assert store.done_runs() == {("v01", 0), ("v02", 2)}
    wide = read_store(out).kpi_wide()
    assert wide.loc[("v01", 0), "a"] == 0.1 + 0.2
    assert math.isnan(wide.loc[("v01", 0), "b"])
    assert wide.loc[("v02", 2)].tolist() == [-1e300, 3.0]


def test_a_run_cannot_be_stored_twice_and_a_failed_batch_stores_nothing(
    tmp_path: Path, sweep: Sweep
) -> None:
    out = tmp_path / "out"
    with SweepStore.open(out, sweep) as store:
        store.write([record("v01", 0, a=1.0)])
        with pytest.raises(duckdb.ConstraintException):
            store.write([record("v01", 1, a=2.0), record("v01", 0, a=9.0)])
        assert store.done_runs() == {("v01", 0)}  # v01/1 rolled back with the duplicate
    stored = read_store(out)
    assert len(stored.runs) == 1 and stored.kpis.value.tolist() == [1.0]


@pytest.mark.parametrize(
    "error", [duckdb.InterruptException("x"), RuntimeError("Query interrupted")]
)
def test_ctrl_c_caught_by_duckdb_is_ctrl_c_again(error: Exception) -> None:
    with pytest.raises(KeyboardInterrupt), ctrl_c_as_keyboard_interrupt():
        raise error
    with pytest.raises(RuntimeError, match="other"), ctrl_c_as_keyboard_interrupt():
        raise RuntimeError("other")


def test_sessions_are_recorded_and_the_sweep_finishes_when_every_run_is_stored(
    tmp_path: Path, sweep: Sweep
) -> None:
    out = tmp_path / "out"
    with SweepStore.open(out, sweep) as store:
        store.begin_session("test backend")
        store.write([record("v01", 0, a=1.0)])
        store.end_session("interrupted (Ctrl-C)", 1)
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert manifest["started_at"] and manifest["finished_at"] is None
    assert manifest["sessions"][0]["status"] == "interrupted (Ctrl-C)"
    with SweepStore.open(out, sweep) as store, LocalBackend(1) as backend:
        outcome = run_sweep(sweep, store, backend)
    assert outcome.already_stored == 1 and outcome.stored == 11 and outcome.complete
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert manifest["finished_at"] >= manifest["started_at"]
    assert [s["status"] for s in manifest["sessions"]] == ["interrupted (Ctrl-C)", "complete"]
    assert manifest["sessions"][1]["runs_stored"] == 11


def test_a_session_that_never_ended_is_marked_stopped(tmp_path: Path, sweep: Sweep) -> None:
    out = tmp_path / "out"
    with SweepStore.open(out, sweep) as store:
        store.begin_session("test backend")  # then "killed": no end_session
    with SweepStore.open(out, sweep):
        pass
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    assert manifest["sessions"][0]["status"] == "stopped (killed or crashed)"


def test_resume_runs_only_what_is_missing_and_matches_one_uninterrupted_run(
    tmp_path: Path, sweep: Sweep
) -> None:
    with SweepStore.open(tmp_path / "whole", sweep) as store, LocalBackend(1) as backend:
        run_sweep(sweep, store, backend)
    partial = tmp_path / "partial"
    variants = {v.id: v for v in sweep.variants}
    with SweepStore.open(partial, sweep) as store:
        for chunk in plan_chunks(sweep, set(), 2)[::2]:  # every other chunk "finished"
            variant = variants[chunk.variant_id]
            store.write(run_chunk(variant.scenario, sweep.seed, variant.id, chunk.replications))
        before = store.done_runs()
    assert 0 < len(before) < sweep.total_runs
    with SweepStore.open(partial, sweep, resume=True) as store, LocalBackend(2) as backend:
        outcome = run_sweep(sweep, store, backend)
    assert outcome.already_stored == len(before)
    assert outcome.stored == sweep.total_runs - len(before)
    runs = read_store(partial).runs
    assert len(runs) == sweep.total_runs
    assert not runs.duplicated(["variant_id", "replication"]).any()
    pd.testing.assert_frame_equal(
        read_store(partial).kpi_wide(), read_store(tmp_path / "whole").kpi_wide()
    )


def test_a_changed_sweep_is_refused_with_a_clear_message(tmp_path: Path, sweep: Sweep) -> None:
    out = tmp_path / "out"
    with SweepStore.open(out, sweep):
        pass
    changed = load_sweep(write_sweep(tmp_path, "changed.yaml", replications=3, seed=99))
    line = refusal(out, changed)
    assert line.startswith(f"{out}: holds results of a different sweep ('test_sweep'")
    assert sweep.content_hash in line and changed.content_hash in line
    assert "use a new --out" in line


def test_folders_that_are_not_this_sweeps_store_are_refused(tmp_path: Path, sweep: Sweep) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("keep me")
    assert "not empty and not a sweep results folder" in refusal(busy, sweep)
    a_file = tmp_path / "file"
    a_file.write_text("")
    assert "exists and is not a folder" in refusal(a_file, sweep)
    assert "--resume: no sweep results here" in refusal(tmp_path / "new", sweep, resume=True)
    assert not (tmp_path / "new").exists()


def test_results_of_another_package_version_are_refused(tmp_path: Path, sweep: Sweep) -> None:
    out = tmp_path / "out"
    with SweepStore.open(out, sweep):
        pass
    manifest = json.loads((out / MANIFEST_NAME).read_text())
    manifest["package_version"] = "0.0.1"
    (out / MANIFEST_NAME).write_text(json.dumps(manifest))
    assert "written by acusim 0.0.1" in refusal(out, sweep)


def test_a_folder_another_process_is_writing_is_refused(tmp_path: Path, sweep: Sweep) -> None:
    out = tmp_path / "out"
    holder = textwrap.dedent(
        f"""
        import sys
        from planning.sweeps.design import load_sweep
        from planning.sweeps.store import RunRecord, SweepStore, utc_now
        sweep = load_sweep({str(sweep.path)!r})
        store = SweepStore.open({str(out)!r}, sweep)
        store.write([RunRecord("v01", 0, {{"a": 1.0}}, 0.0, "holder", utc_now())])
        print("holding", flush=True)
        sys.stdin.read()
        store.close()
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", holder],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().strip() == "holding"
        assert "another sweep is writing to this folder" in refusal(out, sweep)
        with pytest.raises(StoreError, match="in use by a running sweep"):
            read_store(out)
    finally:
        process.communicate("", timeout=60)
    assert process.returncode == 0
    with SweepStore.open(out, sweep) as store:  # released when the writer ends
        assert store.done_runs() == {("v01", 0)}


def test_reading_a_folder_without_runs_or_manifest(tmp_path: Path, sweep: Sweep) -> None:
    with pytest.raises(StoreError, match="not a sweep results folder"):
        read_store(tmp_path)
    out = tmp_path / "out"
    with SweepStore.open(out, sweep):
        pass
    (out / DB_NAME).unlink()
    with pytest.raises(StoreError, match="missing"):
        read_store(out)
    (out / MANIFEST_NAME).write_text("{not json")
    with pytest.raises(StoreError, match="cannot be read"):
        read_store(out)
