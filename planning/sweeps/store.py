"""Where a sweep's results live: a DuckDB database and a manifest in the ``--out`` folder.

Results must survive a killed sweep (Ctrl-C, a crash, a lost worker) and must never be
mixed up. DuckDB gives that in one embedded file: every batch of finished runs is written
in one transaction, so a run is stored whole or not at all (after a kill the write-ahead
log keeps committed runs and drops the rest), and primary keys make a run stored twice
impossible. A lock file keeps two sweeps from writing into one folder at once.

``manifest.json`` says what the folder holds: the sweep's content hash (re-running a
changed sweep into an old folder is refused rather than mixing results), the package
version (so is a different engine), the seed, and when each session started and finished.

Tables (docs/sweeps.md has the full schema):

* ``variants``: one row a variant, with its settings and the whole scenario as JSON;
* ``runs``: one row a finished (variant, replication), with timing and worker;
* ``kpis``: one row a (variant, replication, KPI), the ``ReplicationResult.kpis`` values.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from model.files import write_atomic
from model.problems import Problems
from model.results import package_version
from model.scenario import ScenarioError, read_regular_file
from planning.sweeps.design import Sweep

STORE_SCHEMA = "acusim.sweep/1"
DB_NAME = "results.duckdb"
MANIFEST_NAME = "manifest.json"
LOCK_NAME = ".sweep.lock"

_TABLES = """
CREATE TABLE IF NOT EXISTS variants (
    variant_id VARCHAR PRIMARY KEY,
    position INTEGER NOT NULL,
    label VARCHAR NOT NULL,
    settings_json VARCHAR NOT NULL,
    scenario_hash VARCHAR NOT NULL,
    scenario_json VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS runs (
    variant_id VARCHAR NOT NULL,
    replication INTEGER NOT NULL,
    seed BIGINT NOT NULL,
    seconds DOUBLE NOT NULL,
    worker VARCHAR NOT NULL,
    finished_at TIMESTAMP NOT NULL,
    PRIMARY KEY (variant_id, replication)
);
CREATE TABLE IF NOT EXISTS kpis (
    variant_id VARCHAR NOT NULL,
    replication INTEGER NOT NULL,
    kpi VARCHAR NOT NULL,
    value DOUBLE,
    PRIMARY KEY (variant_id, replication, kpi)
);
"""


class StoreError(Problems):
    """A results folder that cannot be used; ``lines`` holds one message per problem."""


@dataclass(frozen=True)
class RunRecord:
    """One finished run as a worker returns it (``kpis`` is ``ReplicationResult.kpis``)."""

    variant_id: str
    replication: int
    kpis: dict[str, float]
    seconds: float
    worker: str
    finished_at: dt.datetime  # UTC, without a time zone (DuckDB TIMESTAMP)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat() + "Z"


def lock_folder() -> Path:
    """Where the per-path locks live: outside any results folder, private to this user."""
    return Path(tempfile.gettempdir()) / f"acusim-sweep-locks-{os.getuid()}"


def _lock_path_of(out: Path) -> int:
    """Take the lock of the results folder's *path* (not of the folder): an exclusive
    ``flock`` on a file named by a hash of the absolute path, in :func:`lock_folder`.

    The lock file inside the folder goes with the folder if someone deletes it while a sweep
    runs; this one does not, so a second sweep at the same path is still refused. ``flock``
    (not a POSIX record lock) so that even a second store in the same process is refused.
    Returns the open descriptor that holds the lock."""
    folder = lock_folder()
    key = hashlib.sha256(str(out.resolve()).encode()).hexdigest()[:32]
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(folder / f"{key}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StoreError(
            [f"{folder}: cannot hold the sweep lock ({exc.strerror or exc})"]
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise StoreError(
            [f"{out}: another sweep is writing to this folder; wait for it or stop it"]
        ) from None
    return fd


MANIFEST_SECTIONS: dict[str, type | tuple[type, ...]] = {
    "sweep": dict,
    "seed": int,
    "package_version": str,
    "sessions": list,
}
SWEEP_SECTION: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "content_hash": str,
    "design": str,
    "axes": list,
    "variants": int,
    "replications": int,
    "runs": int,
}


def _manifest_problems(path: Path, manifest: dict[str, Any]) -> list[str]:
    """One line per section of the wrong shape (a hand-edited or damaged manifest)."""
    problems = []
    for key, kind in MANIFEST_SECTIONS.items():
        if not isinstance(manifest.get(key), kind) or isinstance(manifest.get(key), bool):
            problems.append(f"{path}: {key}: missing or not a {_kind_word(kind)}")
    sweep = manifest.get("sweep")
    if isinstance(sweep, dict):
        for key, kind in SWEEP_SECTION.items():
            if not isinstance(sweep.get(key), kind) or isinstance(sweep.get(key), bool):
                problems.append(f"{path}: sweep.{key}: missing or not a {_kind_word(kind)}")
        axes = sweep.get("axes")
        if isinstance(axes, list) and not all(
            isinstance(a, dict) and isinstance(a.get("path"), str) for a in axes
        ):
            problems.append(f"{path}: sweep.axes: each axis must be a mapping with a path")
    sessions = manifest.get("sessions")
    if isinstance(sessions, list) and not all(isinstance(x, dict) for x in sessions):
        problems.append(f"{path}: sessions: each session must be a mapping")
    return problems


def _kind_word(kind: type | tuple[type, ...]) -> str:
    words = {dict: "mapping", list: "list", int: "whole number", str: "text"}
    return words.get(kind, "value") if isinstance(kind, type) else "value"


def read_manifest(out: Path) -> dict[str, Any]:
    """The manifest of a results folder; errors name the file and what is wrong."""
    path = out / MANIFEST_NAME
    if not os.path.lexists(path):
        raise StoreError([f"{out}: not a sweep results folder (no {MANIFEST_NAME})"])
    try:
        manifest = json.loads(read_regular_file(path))  # a regular file, size-capped
    except ScenarioError as exc:
        raise StoreError(exc.lines) from None
    except (json.JSONDecodeError, RecursionError) as exc:
        raise StoreError([f"{path}: cannot be read ({str(exc).splitlines()[0]})"]) from None
    if not isinstance(manifest, dict) or manifest.get("schema") != STORE_SCHEMA:
        raise StoreError([f"{path}: not a manifest of schema {STORE_SCHEMA}"])
    problems = _manifest_problems(path, manifest)
    if problems:
        raise StoreError(problems)
    return manifest


@contextlib.contextmanager
def ctrl_c_as_keyboard_interrupt() -> Iterator[None]:
    """DuckDB catches Ctrl-C during a call and raises its own error instead ('Query
    interrupted'); turn it back into KeyboardInterrupt, so that Ctrl-C stops a sweep the
    same way whatever the process was doing when it came."""
    try:
        yield
    except duckdb.InterruptException as exc:
        raise KeyboardInterrupt from exc
    except RuntimeError as exc:
        if "interrupted" in str(exc).lower():
            raise KeyboardInterrupt from exc
        raise


def _connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise StoreError(
                [f"{path}: in use by a running sweep; try again when it has finished or stopped"]
            ) from None
        raise StoreError([f"{path}: cannot be opened ({exc})"]) from None
    except duckdb.Error as exc:
        raise StoreError([f"{path}: cannot be opened ({exc})"]) from None


class SweepStore:
    """The results folder of one sweep, opened for writing by one process at a time.

    Database connections are opened only when needed and closed between uses, so the
    process holds no database threads when it forks its worker processes."""

    def __init__(self, out: Path, sweep: Sweep, lock_fd: int) -> None:
        self.out = out
        self.sweep = sweep
        self._lock_fd = lock_fd
        self._path_lock_fd = -1
        self._con: duckdb.DuckDBPyConnection | None = None
        self._session: int | None = None

    # ------------------------------------------------------------------ opening

    @classmethod
    def open(cls, out: str | Path, sweep: Sweep, resume: bool = False) -> SweepStore:
        """Create a results folder for ``sweep``, or reopen one it wrote before.

        Refused (``StoreError``): a folder of a different sweep or engine version, a
        non-empty folder that is not a results folder, a folder another sweep is writing,
        and ``resume`` where there is nothing to resume."""
        out = Path(out)
        if out.exists() and not out.is_dir():
            raise StoreError([f"{out}: exists and is not a folder"])
        has_manifest = (out / MANIFEST_NAME).is_file()
        if resume and not has_manifest:
            raise StoreError([f"{out}: --resume: no sweep results here to resume"])
        if not has_manifest and out.is_dir() and any(p.name != LOCK_NAME for p in out.iterdir()):
            raise StoreError(
                [f"{out}: not empty and not a sweep results folder; choose a new or empty --out"]
            )
        path_lock_fd = _lock_path_of(out)  # survives the folder being deleted and re-made
        try:
            out.mkdir(parents=True, exist_ok=True)
            lock_fd = os.open(out / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            os.close(path_lock_fd)
            raise StoreError([f"{out}: cannot be written ({exc.strerror or exc})"]) from None
        try:
            # A POSIX record lock: released when this process ends however it ends, and not
            # inherited by forked worker processes.
            fcntl.lockf(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(lock_fd)
            os.close(path_lock_fd)
            raise StoreError(
                [f"{out}: another sweep is writing to this folder; wait for it or stop it"]
            ) from None
        store = cls(out, sweep, lock_fd)
        store._path_lock_fd = path_lock_fd
        try:
            if has_manifest:
                store._check_manifest(read_manifest(out))
            else:
                store._write_new_manifest()
            store._prepare_database()
        except BaseException:
            store.close()
            raise
        return store

    def _check_manifest(self, manifest: dict[str, Any]) -> None:
        stored = manifest.get("sweep", {})
        if stored.get("content_hash") != self.sweep.content_hash:
            raise StoreError(
                [
                    f"{self.out}: holds results of a different sweep ('{stored.get('name')}', "
                    f"content hash {stored.get('content_hash')}) but {self.sweep.path} now has "
                    f"content hash {self.sweep.content_hash} (the file, its base scenario or the "
                    "--replications/--horizon-years options differ); "
                    "use a new --out, or restore the sweep as it was"
                ]
            )
        if manifest.get("package_version") != package_version():
            raise StoreError(
                [
                    f"{self.out}: written by acusim {manifest.get('package_version')}, and this "
                    f"is acusim {package_version()}, whose runs may differ; finish the sweep "
                    "with the version that started it, or use a new --out"
                ]
            )
        stale = [s for s in manifest.get("sessions", []) if s.get("status") == "running"]
        for session in stale:  # we hold the lock, so its process ended without a word
            session["status"] = "stopped (killed or crashed)"
        if stale:
            write_atomic(self.out / MANIFEST_NAME, json.dumps(manifest, indent=2) + "\n")

    def _write_new_manifest(self) -> None:
        sweep = self.sweep
        manifest = {
            "schema": STORE_SCHEMA,
            "sweep": {
                "name": sweep.name,
                "description": sweep.spec.description,
                "file": str(sweep.path),
                "content_hash": sweep.content_hash,
                "design": sweep.design_kind,
                "axes": [
                    {
                        "path": axis.path,
                        "label": axis.label,
                        "values": None if axis.values is None else list(axis.values),
                    }
                    for axis in sweep.axes
                ],
                "variants": len(sweep.variants),
                "replications": sweep.replications,
                "runs": sweep.total_runs,
            },
            "seed": sweep.seed,
            "package_version": package_version(),
            "database": DB_NAME,
            "started_at": None,
            "finished_at": None,
            "sessions": [],
        }
        write_atomic(self.out / MANIFEST_NAME, json.dumps(manifest, indent=2) + "\n")

    def _prepare_database(self) -> None:
        """Tables and the variants, idempotently (a crash may have stopped a first try)."""
        with self._connection() as con:
            con.begin()
            try:
                con.execute(_TABLES)
                if con.execute("SELECT count(*) FROM variants").fetchall()[0][0] == 0:
                    rows = [
                        (
                            v.id,
                            i,
                            v.label,
                            json.dumps(v.values, sort_keys=True),
                            v.scenario.content_hash(),
                            v.scenario.model_dump_json(by_alias=True),
                        )
                        for i, v in enumerate(self.sweep.variants)
                    ]
                    batch = pa.table(
                        list(zip(*rows, strict=True)),
                        names=[
                            "variant_id",
                            "position",
                            "label",
                            "settings_json",
                            "scenario_hash",
                            "scenario_json",
                        ],
                    )
                    con.register("variants_batch", batch)
                    con.execute("INSERT INTO variants SELECT * FROM variants_batch")
                    con.unregister("variants_batch")
                con.commit()
            except BaseException:
                con.rollback()
                raise

    # ------------------------------------------------------------------ database

    @contextlib.contextmanager
    def _connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The open write connection, or a short-lived one closed again afterwards."""
        if self._con is not None:
            with ctrl_c_as_keyboard_interrupt():
                yield self._con
            return
        con = _connect(self.out / DB_NAME)
        try:
            with ctrl_c_as_keyboard_interrupt():
                yield con
        finally:
            con.close()

    def done_runs(self) -> set[tuple[str, int]]:
        """(variant id, replication) of every run already stored."""
        with self._connection() as con:
            rows = con.execute("SELECT variant_id, replication FROM runs").fetchall()
        return {(variant_id, int(replication)) for variant_id, replication in rows}

    def write(self, records: list[RunRecord]) -> None:
        """Store finished runs in one transaction: all of them, or (if killed) none."""
        if not records:
            return
        if self._con is None:
            self._con = _connect(self.out / DB_NAME)
        con = self._con
        runs = pa.table(
            {
                "variant_id": [r.variant_id for r in records],
                "replication": pa.array([r.replication for r in records], pa.int32()),
                "seed": pa.array([self.sweep.seed] * len(records), pa.int64()),
                "seconds": [float(r.seconds) for r in records],
                "worker": [r.worker for r in records],
                "finished_at": pa.array([r.finished_at for r in records], pa.timestamp("us")),
            }
        )
        kpis = pa.table(
            {
                "variant_id": [r.variant_id for r in records for _ in r.kpis],
                "replication": pa.array(
                    [r.replication for r in records for _ in r.kpis], pa.int32()
                ),
                "kpi": [name for r in records for name in r.kpis],
                "value": pa.array(
                    [float(v) for r in records for v in r.kpis.values()], pa.float64()
                ),
            }
        )
        with ctrl_c_as_keyboard_interrupt():
            try:
                con.register("runs_batch", runs)
                con.register("kpis_batch", kpis)
                con.begin()
                try:
                    con.execute("INSERT INTO runs SELECT * FROM runs_batch")
                    con.execute("INSERT INTO kpis SELECT * FROM kpis_batch")
                    con.commit()
                except BaseException:
                    con.rollback()
                    raise
            finally:
                for name in ("runs_batch", "kpis_batch"):
                    with contextlib.suppress(duckdb.Error, RuntimeError):
                        con.unregister(name)

    # ------------------------------------------------------------------ sessions

    def begin_session(self, backend: str) -> None:
        """Record in the manifest that a session started (and the sweep, if it is the first)."""
        manifest = read_manifest(self.out)
        now = _iso(utc_now())
        manifest["started_at"] = manifest.get("started_at") or now
        manifest["sessions"].append(
            {
                "started_at": now,
                "finished_at": None,
                "backend": backend,
                "runs_stored": 0,
                "status": "running",
            }
        )
        self._session = len(manifest["sessions"]) - 1
        write_atomic(self.out / MANIFEST_NAME, json.dumps(manifest, indent=2) + "\n")

    def end_session(self, status: str, runs_stored: int) -> None:
        """Record how the session ended; the sweep is finished once every run is stored."""
        manifest = read_manifest(self.out)
        now = _iso(utc_now())
        if self._session is not None:
            session = manifest["sessions"][self._session]
            session.update(finished_at=now, runs_stored=runs_stored, status=status)
        if len(self.done_runs()) >= self.sweep.total_runs:
            manifest["finished_at"] = manifest.get("finished_at") or now
        write_atomic(self.out / MANIFEST_NAME, json.dumps(manifest, indent=2) + "\n")
        self._session = None

    def close(self) -> None:
        """Close the database (checkpointing it) and release the folder's lock."""
        if self._con is not None:
            self._con.close()
            self._con = None
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1
        if self._path_lock_fd >= 0:
            os.close(self._path_lock_fd)
            self._path_lock_fd = -1

    def __enter__(self) -> SweepStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class StoredSweep:
    """A results folder as the report reads it."""

    out: Path
    manifest: dict[str, Any]
    variants: pd.DataFrame  # one row a variant, in design order
    runs: pd.DataFrame  # one row a stored run
    kpis: pd.DataFrame  # long: variant_id, replication, kpi, value

    def kpi_wide(self) -> pd.DataFrame:
        """One row a run (variant_id, replication), one column a KPI."""
        wide = self.kpis.pivot(index=["variant_id", "replication"], columns="kpi", values="value")
        wide.columns.name = None
        return wide.sort_index()


def read_store(out: str | Path) -> StoredSweep:
    """Everything a results folder holds, read without changing it."""
    out = Path(out)
    manifest = read_manifest(out)
    db = out / DB_NAME
    if not db.is_file():
        raise StoreError([f"{db}: missing (the sweep stored no runs yet)"])
    con = _connect(db, read_only=True)
    try:
        with ctrl_c_as_keyboard_interrupt():
            variants = con.execute("SELECT * FROM variants ORDER BY position").df()
            runs = con.execute("SELECT * FROM runs ORDER BY variant_id, replication").df()
            kpis = con.execute("SELECT * FROM kpis ORDER BY variant_id, replication, kpi").df()
    except duckdb.Error as exc:
        raise StoreError([f"{db}: cannot be read ({exc})"]) from None
    finally:
        con.close()
    return StoredSweep(out, manifest, variants, runs, kpis)
