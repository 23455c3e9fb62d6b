"""Running a sweep: the runs still missing, in chunks, on local processes or a Dask cluster.

A run is (variant, replication) and is a pure function of (variant scenario, sweep seed,
replication) through :func:`model.engine.unit.run_replication`, so the numbers are the same
whether it runs in this process, in N local worker processes or on a Dask worker on
another machine. The backends only decide *where* runs happen; the store decides what is
already done, so a killed sweep resumed later runs only what is missing.

Work goes out in chunks of several replications of one variant, so the cost of a task
(pickling the scenario, scheduling, a round trip) is paid once per chunk, not per run.
A chunk's runs are stored together when it returns: a kill loses the chunks in flight.
"""

from __future__ import annotations

import contextlib
import math
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from model.engine.unit import run_replication
from model.problems import Problems
from model.replications import ignore_interrupt, process_pool, stop_pool
from model.scenario import Scenario
from planning.sweeps.design import Sweep
from planning.sweeps.store import RunRecord, SweepStore, utc_now

TASKS_PER_WORKER = 4
"""Default chunking: about this many tasks per worker. Fewer, larger tasks pay less
overhead; more, smaller ones balance better at the end of a sweep (while the last tasks
run, other workers may sit idle) and lose less when it is killed. With four, a task is
about a quarter of each worker's share of the sweep."""

ORPHAN_CHECK_SECONDS = 1.0
"""How often a local worker process checks that the sweep that started it is still alive."""

PLAIN_PROGRESS_SECONDS = 1.0
"""When stderr is not a terminal (a log file, a cluster job), a progress line is written at
most this often, plus the first and the last, so logs stay readable."""


class SweepError(Problems):
    """A sweep that could not be run; ``lines`` holds one message per problem."""


@dataclass(frozen=True)
class Chunk:
    """Consecutive replications of one variant, sent as one task."""

    variant_id: str
    replications: tuple[int, ...]

    def describe(self) -> str:
        first, last = self.replications[0], self.replications[-1]
        reps = f"replication {first}" if first == last else f"replications {first}-{last}"
        return f"variant {self.variant_id} {reps}"


def chunk_size_for(pending: int, parallelism: int, replications: int) -> int:
    """Runs per task: about :data:`TASKS_PER_WORKER` tasks per worker, never more than one
    variant's replications (a task holds one variant)."""
    if pending <= 0:
        return 1
    size = math.ceil(pending / (max(1, parallelism) * TASKS_PER_WORKER))
    return max(1, min(size, replications))


def plan_chunks(sweep: Sweep, done: set[tuple[str, int]], chunk_size: int) -> list[Chunk]:
    """Every missing run exactly once, in chunks of at most ``chunk_size`` consecutive
    replications of one variant, in design order."""
    chunks: list[Chunk] = []
    for variant in sweep.variants:
        missing = [r for r in range(sweep.replications) if (variant.id, r) not in done]
        part: list[int] = []
        for r in missing:
            if part and (len(part) == chunk_size or r != part[-1] + 1):
                chunks.append(Chunk(variant.id, tuple(part)))
                part = []
            part.append(r)
        if part:
            chunks.append(Chunk(variant.id, tuple(part)))
    return chunks


def run_chunk(
    scenario: Scenario, seed: int, variant_id: str, replications: tuple[int, ...]
) -> list[RunRecord]:
    """Simulate a chunk (on a worker) and return each run's KPIs, not its weekly series:
    the store keeps KPIs, so there is no point shipping the series back."""
    worker = f"{socket.gethostname()}:{os.getpid()}"
    records = []
    for r in replications:
        started = time.perf_counter()
        result = run_replication(scenario, seed, r)
        records.append(
            RunRecord(
                variant_id=variant_id,
                replication=r,
                kpis={name: float(value) for name, value in result.kpis.items()},
                seconds=time.perf_counter() - started,
                worker=worker,
                finished_at=utc_now(),
            )
        )
    return records


def _failed(chunk: Chunk, where: str, exc: BaseException) -> SweepError:
    hint = ""
    if isinstance(exc, ModuleNotFoundError):
        hint = (
            "; every worker must be able to import the model: install acusim in the workers' "
            "environment or set PYTHONPATH (docs/sweeps.md)"
        )
    return SweepError([f"{chunk.describe()} failed {where}: {type(exc).__name__}: {exc}{hint}"])


class Backend(Protocol):
    """Where runs happen. Used as a context manager around :meth:`results`."""

    description: str

    @property
    def parallelism(self) -> int:
        """How many runs can happen at once (to size chunks)."""
        ...

    def __enter__(self) -> Backend: ...

    def __exit__(self, *exc: object) -> None: ...

    def results(self, sweep: Sweep, chunks: list[Chunk]) -> Iterator[list[RunRecord]]:
        """Each chunk's records as soon as it finishes (in any order)."""
        ...


class LocalBackend:
    """Worker processes on this machine (or this process alone for one worker)."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self.workers = workers
        self.description = (
            "local: this process" if workers == 1 else f"local: {workers} worker processes"
        )

    @property
    def parallelism(self) -> int:
        return self.workers

    def __enter__(self) -> LocalBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def results(self, sweep: Sweep, chunks: list[Chunk]) -> Iterator[list[RunRecord]]:
        variants = {v.id: v for v in sweep.variants}
        if self.workers == 1 or len(chunks) <= 1:
            for chunk in chunks:
                yield run_chunk(
                    variants[chunk.variant_id].scenario,
                    sweep.seed,
                    chunk.variant_id,
                    chunk.replications,
                )
            return
        pool = _worker_pool(min(self.workers, len(chunks)))
        # Submitting forks every worker at once (before the store opens its database).
        futures: dict[Future, Chunk] = {
            pool.submit(
                run_chunk,
                variants[chunk.variant_id].scenario,
                sweep.seed,
                chunk.variant_id,
                chunk.replications,
            ): chunk
            for chunk in chunks
        }
        finished = False
        try:
            for future in as_completed(futures):
                try:
                    records = future.result()
                except Exception as exc:
                    raise _failed(futures[future], "in a worker process", exc) from exc
                yield records
            finished = True
        finally:
            if finished:
                pool.shutdown(wait=True)
            else:
                stop_pool(pool)


def _worker_init() -> None:
    """In a worker process: leave Ctrl-C to the sweep, and end once the sweep is gone.

    Ctrl-C in a terminal reaches every process of the group; the sweep stops its workers
    itself, so a worker ignores it rather than print a traceback of its own. A sweep
    killed with SIGKILL (or crashing) cannot stop its workers, and idle workers wait on
    their task queue forever (each holds the queue open for the others), so each worker
    watches its parent and leaves when it is replaced (re-parenting)."""
    ignore_interrupt()
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(ORPHAN_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="acusim-orphan-watch", daemon=True).start()


def _worker_pool(workers: int) -> ProcessPoolExecutor:
    """Worker processes as :func:`model.replications.process_pool` makes them, each ending
    itself if the sweep is killed."""
    return process_pool(workers, _worker_init, preload=("model.engine.unit", "planning.sweeps.run"))


class DaskBackend:
    """A Dask distributed cluster (``dask scheduler`` and ``dask worker``), by address."""

    def __init__(self, address: str, connect_timeout: float) -> None:
        self.address = address
        self.connect_timeout = connect_timeout
        self.description = f"dask: {address}"
        self._client: Any = None

    def __enter__(self) -> DaskBackend:
        from distributed import Client

        try:
            self._client = Client(self.address, timeout=self.connect_timeout)
        except (OSError, TimeoutError, ValueError) as exc:
            raise SweepError(
                [f"--scheduler {self.address}: cannot reach the Dask scheduler ({exc})"]
            ) from None
        threads = self._client.nthreads()
        self.description = (
            f"dask: {self.address} ({len(threads)} workers, {sum(threads.values())} threads)"
        )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.close()
            self._client = None

    @property
    def parallelism(self) -> int:
        return max(1, sum(self._client.nthreads().values()))

    def results(self, sweep: Sweep, chunks: list[Chunk]) -> Iterator[list[RunRecord]]:
        from distributed import as_completed as dask_completed

        client = self._client
        variants = {v.id: v for v in sweep.variants}
        futures = {
            client.submit(
                run_chunk,
                variants[chunk.variant_id].scenario,
                sweep.seed,
                chunk.variant_id,
                chunk.replications,
                pure=False,
            ): chunk
            for chunk in chunks
        }
        try:
            for future in dask_completed(list(futures)):
                try:
                    records = future.result()
                except Exception as exc:
                    raise _failed(futures[future], "on a Dask worker", exc) from exc
                yield records
        finally:
            with contextlib.suppress(Exception):
                client.cancel(list(futures))


@dataclass(frozen=True)
class SweepOutcome:
    """What a session did."""

    total_runs: int
    already_stored: int
    stored: int
    seconds: float
    chunk_size: int
    tasks: int

    @property
    def complete(self) -> bool:
        return self.already_stored + self.stored >= self.total_runs


def run_sweep(
    sweep: Sweep,
    store: SweepStore,
    backend: Backend,
    chunk_size: int | None = None,
    progress: Callable[[int], None] | None = None,
    on_plan: Callable[[int, int, int], None] | None = None,
) -> SweepOutcome:
    """Run every run the store lacks on ``backend`` (entered: ``with backend:``), storing
    each chunk as it finishes.

    ``on_plan(already_stored, to_run, chunk_size)`` is called once the work is known;
    ``progress(k)`` after each k runs are stored. Ctrl-C (KeyboardInterrupt) and backend
    failures propagate after the session is recorded in the manifest as ended."""
    done = store.done_runs()
    already = sum(1 for v in sweep.variants for r in range(sweep.replications) if (v.id, r) in done)
    started = time.perf_counter()
    stored = 0
    pending = sweep.total_runs - already
    size = chunk_size or chunk_size_for(pending, backend.parallelism, sweep.replications)
    chunks = plan_chunks(sweep, done, size)
    if on_plan is not None:
        on_plan(already, pending, size)
    if not chunks:
        return SweepOutcome(sweep.total_runs, already, 0, 0.0, size, 0)
    store.begin_session(backend.description)
    status = "interrupted (Ctrl-C)"
    try:
        with contextlib.closing(backend.results(sweep, chunks)) as results:
            for records in results:
                store.write(records)
                stored += len(records)
                if progress is not None:
                    progress(len(records))
        status = "complete"
    except Exception:
        status = "failed"
        raise
    finally:
        store.end_session(status, stored)
    return SweepOutcome(
        total_runs=sweep.total_runs,
        already_stored=already,
        stored=stored,
        seconds=time.perf_counter() - started,
        chunk_size=size,
        tasks=len(chunks),
    )


# --------------------------------------------------------------------------- progress


class RateColumn(ProgressColumn):
    """Runs stored per second in this session."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("- runs/s" if not speed else f"{speed:.1f} runs/s", style="progress.data.speed")


class SweepProgress:
    """Completed runs, rate and ETA: a live bar on a terminal, plain lines in a log.

    Use as a context manager; call :meth:`start` once the runs already stored are known
    (``run_sweep``'s ``on_plan``), then :meth:`advance` as runs are stored."""

    def __init__(self, console: Console, title: str, total: int) -> None:
        self.console = console
        self.title = title
        self.total = total
        self.already = 0
        self.done = 0
        self._started = time.perf_counter()
        self._last_line = -math.inf
        self._progress: Progress | None = None
        self._task: Any = None

    def __enter__(self) -> SweepProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self, already: int) -> None:
        self.already = self.done = already
        self._started = time.perf_counter()
        if self.console.is_terminal and self._progress is None:
            self._progress = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                RateColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=self.console,
                auto_refresh=False,  # no refresh thread, so worker processes fork cheaply
            )
            self._progress.start()
            self._task = self._progress.add_task(self.title, total=self.total, completed=already)
            self._progress.refresh()

    def stop(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def advance(self, runs: int) -> None:
        self.done += runs
        if self._progress is not None:
            self._progress.update(self._task, advance=runs, refresh=True)
            return
        now = time.perf_counter()
        if now - self._last_line < PLAIN_PROGRESS_SECONDS and self.done < self.total:
            return
        self._last_line = now
        elapsed = now - self._started
        rate = (self.done - self.already) / elapsed if elapsed > 0 else math.nan
        eta = (self.total - self.done) / rate if rate > 0 else math.nan
        eta_text = "-" if math.isnan(eta) else f"{eta:.0f} s"
        self.console.print(
            f"{self.title}: {self.done}/{self.total} runs stored "
            f"({rate:.1f} runs/s, ETA {eta_text})",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
