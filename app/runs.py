"""Running scenarios from the app: a shared worker pool, a progress bar, and the cache.

Results are cached by the scenario's content hash and the seed (``st.cache_data``), so
revisiting a scenario, or comparing it with another, never simulates it twice. The worker
processes are kept alive for the whole server (``st.cache_resource``): starting them
costs about a second, paid once. Everything simulated here is a call to
``model.replications.run_replications``; a replication depends only on (scenario, seed,
index), so cached results equal a fresh run and ``acusim run`` for the same inputs.
"""

from __future__ import annotations

from concurrent.futures import Executor
from concurrent.futures.process import BrokenProcessPool

import streamlit as st

from app.i18n import t
from app.views import scenario_title
from model.replications import RunResults, process_pool, run_replications
from model.scenario import Scenario, with_overrides

MAX_CACHED_RUNS = 64
"""Runs kept in memory per server (a 30-replication baseline takes about 1.5 MB)."""
DONE_KEY = "state:runs_done"


_POOLS: list[Executor] = []
"""Every pool started, so :func:`shut_down_pools` can stop them (Streamlit's resource
cache does not shut an executor down when it forgets it)."""


@st.cache_resource(show_spinner=False)
def worker_pool(workers: int) -> Executor:
    """Long-lived worker processes, shared by every session of this server."""
    pool = process_pool(workers)
    _POOLS.append(pool)
    return pool


def shut_down_pools() -> None:
    """Stop every worker pool this process started (tests call it at the end of a session:
    a test process that ends abruptly would otherwise leave idle workers behind)."""
    worker_pool.clear()
    while _POOLS:
        _POOLS.pop().shutdown(wait=True, cancel_futures=True)


def warm_up(workers: int) -> None:
    """Start the worker processes in the background, before anyone presses Run."""
    if workers > 1:
        worker_pool(workers).submit(int)


def _simulate(scenario: Scenario, workers: int, label: str) -> RunResults:
    n = scenario.replications
    bar = st.progress(0.0, text=label)
    done = 0

    def advance(k: int) -> None:
        nonlocal done
        done += k
        bar.progress(done / n, text=f"{label} ({done}/{n})")

    executor = worker_pool(workers) if workers > 1 and n > 1 else None
    try:
        results = run_replications(scenario, workers=workers, progress=advance, executor=executor)
    except BrokenProcessPool:  # a worker died (e.g. out of memory): start afresh once
        worker_pool.clear()
        done = 0
        executor = worker_pool(workers) if executor is not None else None
        results = run_replications(scenario, workers=workers, progress=advance, executor=executor)
    bar.empty()
    return results


@st.cache_data(show_spinner=False, max_entries=MAX_CACHED_RUNS)
def _cached(content_hash: str, seed: int, _scenario: Scenario, _workers: int, _label: str):
    """Cache key: the scenario's content hash and seed (the rest only says how to run)."""
    return _simulate(_scenario, _workers, _label)


def run(scenario: Scenario, workers: int) -> RunResults:
    """All replications of a scenario (from the cache if it was run before)."""
    # The scenario's title in the reader's language, not its file name.
    label = t("run.progress", scenario=scenario_title(scenario), n=scenario.replications)
    results = _cached(scenario.content_hash(), scenario.seed, scenario, workers, label)
    st.session_state.setdefault(DONE_KEY, set()).add(run_key(scenario))
    return results


def run_key(scenario: Scenario) -> tuple[str, int]:
    return (scenario.content_hash(), scenario.seed)


def has_run(scenario: Scenario) -> bool:
    """Whether this session already ran this scenario (so showing it again is instant)."""
    return run_key(scenario) in st.session_state.get(DONE_KEY, set())


def with_run_settings(scenario: Scenario, settings: Scenario) -> Scenario:
    """``scenario`` with the horizon, replications and seed of ``settings``: paired runs
    (common random numbers) need the same seed and replication indices."""
    return with_overrides(
        scenario,
        {
            "horizon_years": settings.horizon_years,
            "replications": settings.replications,
            "seed": settings.seed,
        },
        scenario.name,
    )


def results_or_stop(scenario: Scenario, workers: int, auto: bool = False) -> RunResults:
    """The scenario's results on a page that needs them: shown at once if this session ran
    it already (or ``auto``: a shared address asked for it), otherwise after the user
    presses Run (the page stops until then). The Run button is drawn only when pressing
    it would run something."""
    if has_run(scenario) or auto:
        return run(scenario, workers)
    run_button(t("run.button"), "widget:run", t("results.not_run"), t("run.help"))
    return run(scenario, workers)


def run_button(label: str, key: str, waiting: str, help: str | None = None) -> None:
    """A Run button that goes once pressed: the page stops (with ``waiting`` said) until it
    is pressed; then the button is taken away before the run starts, so neither the run's
    progress nor its results sit under a button that would run nothing new."""
    slot = st.empty()
    if not slot.button(label, type="primary", key=key, help=help):
        st.info(waiting)
        st.stop()
    slot.empty()
