"""Many replications: seeds, parallel execution and confidence intervals.

Replication ``r`` of a run with seed ``s`` is always simulated from the same
streams (``model.engine.streams``), so the results are identical whether the
replications run in this process, in N worker processes, or elsewhere; they
are gathered and ordered by replication index before anything is summed.

Every figure reported across replications comes with a Student-t confidence
interval and the number of replications behind it (NaNs, e.g. a wait in a
stage no case reached, are left out and ``n`` says so).
"""

from __future__ import annotations

import math
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from contextlib import nullcontext, suppress
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pandas, scipy and the engine load on first use: `acusim --help` stays fast
    import pandas as pd

    from model.engine.unit import ReplicationResult
    from model.scenario import Scenario

DEFAULT_CONFIDENCE = 0.95


@dataclass(frozen=True)
class Estimate:
    """A mean across replications with its confidence interval."""

    mean: float
    ci_low: float
    ci_high: float
    half_width: float
    n: int

    def as_dict(self) -> dict[str, float | int | None]:
        def clean(x: float) -> float | None:
            return None if x is None or math.isnan(x) else float(x)

        return {
            "mean": clean(self.mean),
            "ci_low": clean(self.ci_low),
            "ci_high": clean(self.ci_high),
            "half_width": clean(self.half_width),
            "n": self.n,
        }


def estimate(values: Iterable[float], confidence: float = DEFAULT_CONFIDENCE) -> Estimate:
    """Mean and two-sided t-interval of the finite values."""
    x = np.asarray(list(values), dtype=float)
    x = x[np.isfinite(x)]
    n = int(x.size)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, math.nan, 0)
    mean = float(x.mean())
    if n == 1:
        return Estimate(mean, math.nan, math.nan, math.nan, 1)
    half = float(_t_ppf((1 + confidence) / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return Estimate(mean, mean - half, mean + half, half, n)


def one_sided_bound(
    values: Iterable[float], direction: str, confidence: float = DEFAULT_CONFIDENCE
) -> float:
    """The pessimistic one-sided bound: lower bound for '>=' targets, upper for '<='."""
    x = np.asarray(list(values), dtype=float)
    x = x[np.isfinite(x)]
    if x.size < 2:
        return math.nan
    margin = float(_t_ppf(confidence, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    return float(x.mean() - margin) if direction == ">=" else float(x.mean() + margin)


def _t_ppf(q, df):
    """Student-t quantile; scipy is imported here, on first use, not when the CLI starts."""
    from scipy import stats

    return stats.t.ppf(q, df)


def meets(value: float, direction: str, threshold: float) -> bool:
    """Whether ``value`` is on the right side of a target (NaN never meets a target)."""
    if math.isnan(value):
        return False
    return value >= threshold if direction == ">=" else value <= threshold


def _run_chunk(
    scenario: Scenario, seed: int, replications: Sequence[int], record_cases: bool
) -> list[ReplicationResult]:
    from model.engine.unit import run_replication

    return [run_replication(scenario, seed, r, record_cases) for r in replications]


def chunks(indices: Sequence[int], n_chunks: int) -> list[list[int]]:
    """Split replication indices into contiguous chunks (several replications per task)."""
    n_chunks = max(1, min(n_chunks, len(indices)))
    return [list(part) for part in np.array_split(np.asarray(indices), n_chunks) if len(part)]


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def process_pool(
    workers: int,
    initializer: Callable[[], None] | None = None,
    preload: Sequence[str] = ("model.engine.unit",),
) -> ProcessPoolExecutor:
    """Worker processes for replications; keep one alive to reuse it across many runs.

    Forking is cheapest (no re-import) but unsafe once other threads exist (a lock held
    by another thread at fork time stays locked in the child), so a process with threads
    (Streamlit, a live progress bar) gets a fork server that preloads ``preload`` instead.
    ``initializer`` runs in each worker as it starts (e.g. :func:`ignore_interrupt`)."""
    if threading.active_count() == 1:
        context = multiprocessing.get_context("fork")
    else:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(preload))
    return ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=initializer)


def ignore_interrupt() -> None:
    """In a worker: leave Ctrl-C to the command that owns the pool. Ctrl-C in a terminal
    reaches every process of the group; the command stops its workers itself
    (:func:`stop_pool`), so a worker ignores it rather than print a traceback of its own."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def stop_pool(pool: Executor | None) -> None:
    """Stop a process pool now: work in flight is abandoned. ProcessPoolExecutor gains a
    public way to end its workers only in Python 3.14, so this reaches for its process
    table."""
    if pool is None:
        return
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        with suppress(Exception):
            process.terminate()
    for process in processes:
        with suppress(Exception):
            process.join(timeout=5)


def run_replications(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    workers: int = 1,
    record_cases: bool = False,
    progress: Callable[[int], None] | None = None,
    first_replication: int = 0,
    executor: Executor | None = None,
) -> RunResults:
    """Simulate replications ``first_replication ..`` of a scenario, in parallel if asked.

    ``executor``: an existing pool (see :func:`process_pool`) to reuse, so callers that run
    many scenarios (a staffing search, the app) pay the start-up of worker processes once.

    A scenario whose replications would exceed its ``limits`` is refused first
    (:class:`ScenarioError`, one line; see :mod:`model.engine.size`)."""
    from model.engine.size import check_run_size

    check_run_size(scenario)
    n = scenario.replications if replications is None else replications
    seed = scenario.seed if seed is None else seed
    indices = list(range(first_replication, first_replication + n))
    from model.engine.unit import run_replication  # before forking: workers inherit it

    if record_cases:
        import pandas  # noqa: F401  (case tables are pandas frames: import once, before forking)

    results: list[ReplicationResult] = []
    if executor is None and (workers <= 1 or n == 1):
        for r in indices:
            results.append(run_replication(scenario, seed, r, record_cases))
            if progress:
                progress(1)
    else:
        workers = max(workers, getattr(executor, "_max_workers", workers))
        # About four tasks per worker: small enough to balance, large enough to amortise.
        with nullcontext(executor) if executor is not None else process_pool(workers) as pool:
            futures = [
                pool.submit(_run_chunk, scenario, seed, part, record_cases)
                for part in chunks(indices, workers * 4)
            ]
            for future in as_completed(futures):
                part = future.result()
                results.extend(part)
                if progress:
                    progress(len(part))
    results.sort(key=lambda result: result.replication)
    return RunResults(scenario=scenario, seed=seed, replications=results)


@dataclass
class RunResults:
    """All replications of one scenario, and the summaries drawn from them."""

    scenario: Scenario
    seed: int
    replications: list[ReplicationResult]

    @property
    def n(self) -> int:
        return len(self.replications)

    def kpi_frame(self) -> pd.DataFrame:
        """One row per replication, one column per KPI."""
        import pandas as pd

        frame = pd.DataFrame([r.kpis for r in self.replications])
        frame.index = pd.Index([r.replication for r in self.replications], name="replication")
        return frame

    def estimates(self, confidence: float = DEFAULT_CONFIDENCE) -> dict[str, Estimate]:
        frame = self.kpi_frame()
        return {kpi: estimate(frame[kpi], confidence) for kpi in frame.columns}

    def summary(self, confidence: float = DEFAULT_CONFIDENCE) -> pd.DataFrame:
        """KPI x (mean, ci_low, ci_high, half_width, n)."""
        import pandas as pd

        rows = {k: e.__dict__ for k, e in self.estimates(confidence).items()}
        return pd.DataFrame.from_dict(rows, orient="index")

    def target_status(self, confidence: float = DEFAULT_CONFIDENCE) -> pd.DataFrame:
        """Each target: estimate, CI, threshold, whether met, and met with confidence."""
        import pandas as pd

        frame = self.kpi_frame()
        rows = []
        for name, target in self.scenario.targets.items():
            values = frame[f"target.{name}"]
            est = estimate(values, confidence)
            bound = one_sided_bound(values, target.direction, confidence)
            rows.append(
                {
                    "target": name,
                    "description": target.description,
                    "direction": target.direction,
                    "threshold": target.threshold,
                    "mean": est.mean,
                    "ci_low": est.ci_low,
                    "ci_high": est.ci_high,
                    "n": est.n,
                    "met": meets(est.mean, target.direction, target.threshold),
                    "met_with_confidence": meets(bound, target.direction, target.threshold),
                }
            )
        return pd.DataFrame(rows)

    def weekly(self, name: str, confidence: float = DEFAULT_CONFIDENCE) -> pd.DataFrame:
        """A weekly series across replications: week, date, label, mean, CI, n."""
        stacked = np.stack([r.series[name] for r in self.replications])  # reps x weeks x labels
        labels = self.replications[0].labels[name]
        return _series_frame(self.scenario, stacked, labels, confidence)

    def backlog_weekly(self, confidence: float = DEFAULT_CONFIDENCE) -> pd.DataFrame:
        """Backlog (waiting plus in progress) by stage, week by week."""
        stacked = np.stack(
            [
                r.series["backlog_waiting"] + r.series["backlog_in_progress"]
                for r in self.replications
            ]
        )
        labels = self.replications[0].labels["backlog_waiting"]
        return _series_frame(self.scenario, stacked, labels, confidence)

    def yearly(self, confidence: float = DEFAULT_CONFIDENCE) -> pd.DataFrame:
        """Per year of the horizon: arrivals, staff-hours (sums) and end-of-year backlog."""
        import pandas as pd

        rows = []
        for r in self.replications:
            n_weeks = r.series["arrivals"].shape[0]
            for year in range(max(1, math.ceil(n_weeks / 52))):
                weeks = slice(52 * year, min(52 * (year + 1), n_weeks))
                if weeks.start >= n_weeks:
                    break
                for metric, name, how in (
                    ("arrivals", "arrivals", "sum"),
                    ("staff_hours", "staff_hours", "sum"),
                    ("backlog_end", "backlog_waiting", "last"),
                ):
                    data = r.series[name][weeks]
                    if name == "backlog_waiting":
                        data = data + r.series["backlog_in_progress"][weeks]
                    values = data.sum(axis=0) if how == "sum" else data[-1]
                    for label, value in zip(r.labels[name], values, strict=True):
                        rows.append((r.replication, year + 1, metric, label, float(value)))
        frame = pd.DataFrame(rows, columns=["replication", "year", "metric", "key", "value"])
        out = []
        for (year, metric, key), group in frame.groupby(["year", "metric", "key"], sort=False):
            e = estimate(group["value"], confidence)
            out.append({"year": year, "metric": metric, "key": key, **e.__dict__})
        return pd.DataFrame(out)

    def cases(self) -> pd.DataFrame | None:
        import pandas as pd

        tables = [r.cases for r in self.replications if r.cases is not None]
        return pd.concat(tables, ignore_index=True) if tables else None


def _series_frame(
    scenario: Scenario, stacked: np.ndarray, labels: list[str], confidence: float
) -> pd.DataFrame:
    """Mean and t-interval across replications (axis 0) for every week and label at once."""
    import pandas as pd

    _, n_weeks, n_labels = stacked.shape
    finite = np.isfinite(stacked)
    n = finite.sum(axis=0)
    safe = np.where(finite, stacked, 0.0)
    mean = np.divide(safe.sum(axis=0), n, out=np.full(n.shape, np.nan), where=n > 0)
    squares = np.where(finite, (stacked - mean) ** 2, 0.0).sum(axis=0)
    std = np.sqrt(np.divide(squares, n - 1, out=np.full(n.shape, np.nan), where=n > 1))
    t_crit = _t_ppf((1 + confidence) / 2, np.maximum(n - 1, 1))
    half = np.where(n > 1, t_crit * std / np.sqrt(np.maximum(n, 1)), np.nan)
    start = pd.Timestamp(scenario.start_date)
    weeks = np.repeat(np.arange(1, n_weeks + 1), n_labels)
    return pd.DataFrame(
        {
            "week": weeks,
            "week_ending": start + pd.to_timedelta(7 * weeks, unit="D"),
            "key": np.tile(np.asarray(labels, dtype=object), n_weeks),
            "mean": mean.ravel(),
            "ci_low": (mean - half).ravel(),
            "ci_high": (mean + half).ravel(),
            "half_width": half.ravel(),
            "n": n.ravel(),
        }
    )
