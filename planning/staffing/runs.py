"""Simulating candidate staffings: scenario variants, cached replications and target verdicts.

A candidate staffing is evaluated by running replications 0..n-1 of the
scenario with that staffing and a given seed. Replication ``r`` of seed ``s``
is the same world (arrivals, efforts, routes, delays) whatever the staffing,
so two candidates evaluated with the same seed differ only by their staffing:
common random numbers for free. Results are cached per (scenario content hash
with the staffing applied, seed) in :mod:`planning.staffing.cache` and
extended, never recomputed, when more replications are wanted; a candidate can
be judged look by look (:mod:`planning.staffing.sequential`) so it gets only
the replications its verdict needs.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.engine.unit import change_effective_day, staffing_schedule
from model.engine.workforce import turnover_roles
from model.replications import estimate, meets, one_sided_bound, run_replications
from model.scenario import Scenario, ScenarioError, days_from_start, with_overrides
from model.workforce_outputs import ROLE_FIGURES
from planning.staffing.cache import SHARED, ReplicationCache
from planning.staffing.control import CancelToken
from planning.staffing.search import Evaluation, Staffing
from planning.staffing.sequential import MET, SequentialRule, run_looks


def reporting_from(scenario: Scenario, when: dt.date) -> Scenario:
    """The same world reported from ``when``: the days before it become warm-up.

    Start date and warm-up move together so every date in the scenario (rollouts, growth,
    staffing plans) falls on the same simulation day as before; the reported period keeps
    the scenario's length, now counted from ``when``."""
    if when < scenario.start_date:
        raise ScenarioError(
            [f"--by: {when} is before the scenario's start date ({scenario.start_date})"]
        )
    if when == scenario.start_date:
        return scenario
    gap = (when - scenario.start_date).days
    return with_overrides(
        scenario,
        {"start_date": when.isoformat(), "warmup_days": scenario.warmup_days + gap},
        "--by",
    )


def fte_at(scenario: Scenario, role: str, when: dt.date | None = None) -> float:
    """FTE of ``role`` in post on ``when`` (default: the start date) under its staffing plan."""
    t = days_from_start(scenario, when or scenario.start_date)
    fte = scenario.roles[role].fte
    for start, value in staffing_schedule(scenario, role):
        if start <= t:
            fte = value
    return fte


def apply_staffing(
    scenario: Scenario, staffing: Staffing, from_date: dt.date | None = None
) -> Scenario:
    """``scenario`` with each listed role at the given FTE.

    Without ``from_date`` the role has that FTE for the whole run (its staffing plan is
    replaced: the answer is an establishment). With ``from_date`` the role keeps its plan
    before that date and moves to the given FTE on it."""
    changes: dict[str, object] = {}
    t = None if from_date is None else days_from_start(scenario, from_date)
    for role, fte in staffing.items():
        if t is None or t <= 0:  # from the first simulated day: the whole run
            changes[f"roles.{role}.fte"] = fte
            changes[f"roles.{role}.staffing_plan"] = []
            continue
        kept = [
            change.model_dump(mode="json")
            for change in scenario.roles[role].staffing_plan
            if change_effective_day(scenario, role, change) < t
        ]
        before = with_overrides(scenario, {f"roles.{role}.staffing_plan": kept}, "staffing")
        delta = round(fte - fte_at(before, role, from_date), 9)
        if delta != 0:
            kept.append({"date": from_date.isoformat(), "change_fte": delta, "note": "search"})
        changes[f"roles.{role}.staffing_plan"] = kept
    return with_overrides(scenario, changes, "staffing") if changes else scenario


@dataclass(frozen=True)
class TargetJudge:
    """Judges target KPIs across replications: estimates, one-sided bounds, shortfall."""

    scenario: Scenario
    confidence: float

    def status(self, frame: pd.DataFrame, targets: Sequence[str] | None = None) -> pd.DataFrame:
        """One row per target, shaped like ``RunResults.target_status()`` plus its ``bound``
        (the one-sided confidence bound judged against the threshold) and ``shortfall``."""
        rows = []
        for name in targets if targets is not None else list(self.scenario.targets):
            target = self.scenario.targets[name]
            column = f"target.{name}"
            values = frame[column] if column in frame else pd.Series(dtype=float)
            e = estimate(values, self.confidence)
            bound = one_sided_bound(values, target.direction, self.confidence)
            rows.append(
                {
                    "target": name,
                    "description": target.description,
                    "direction": target.direction,
                    "threshold": target.threshold,
                    "mean": e.mean,
                    "ci_low": e.ci_low,
                    "ci_high": e.ci_high,
                    "n": e.n,
                    "met": meets(e.mean, target.direction, target.threshold),
                    "met_with_confidence": meets(bound, target.direction, target.threshold),
                    "bound": bound,
                    "shortfall": self.shortfall(name, bound),
                }
            )
        return pd.DataFrame(rows)

    def shortfall(self, name: str, bound: float) -> float:
        """How far the bound is on the wrong side, in units of the threshold (1 if unknown)."""
        target = self.scenario.targets[name]
        if math.isnan(bound):
            return 1.0
        gap = target.threshold - bound if target.direction == ">=" else bound - target.threshold
        scale = abs(target.threshold) if target.threshold != 0 else 1.0
        return max(gap, 0.0) / scale


def key_of(staffing: Staffing) -> tuple[tuple[str, float], ...]:
    return tuple(sorted((r, round(v, 9)) for r, v in staffing.items()))


@dataclass(frozen=True)
class SequentialOutcome:
    """A candidate judged by the sequential test: the evaluation, each target's verdict, and
    the replications it took."""

    evaluation: Evaluation
    verdicts: dict[str, str]
    n: int


class CandidateRunner:
    """Runs and caches replications of candidate staffings (common random numbers by seed).

    Replications come from ``cache`` (default: the process-wide one) where they were run
    before - in this search or an earlier one - keyed by the content hash of the scenario
    with the staffing applied and the seed; only the missing ones are simulated.
    ``cancel`` is checked before every batch; ``on_run`` is told after each batch."""

    def __init__(
        self,
        scenario: Scenario,
        judge: TargetJudge,
        *,
        from_date: dt.date | None = None,
        workers: int = 1,
        executor: Executor | None = None,
        on_run: Callable[[Staffing | None, int, int], None] | None = None,
        cache: ReplicationCache | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        self.scenario = scenario
        self.judge = judge
        self.from_date = from_date
        self.workers = workers
        self.executor = executor
        self.on_run = on_run
        self.cache = SHARED if cache is None else cache
        self.cancel = cancel
        # The target KPIs decide; with turnover, the workforce figures of the answer are kept
        # too, so the establishment table (planning.staffing.establishment) has them.
        self.columns = tuple(f"target.{name}" for name in scenario.targets) + tuple(
            f"{figure}.{role}" for role in turnover_roles(scenario) for figure in ROLE_FIGURES
        )
        # staffing key -> (content hash, scenario with the staffing applied): built once
        # (apply_staffing re-validates the scenario) and used for the cache key and the runs.
        self._built: dict[object, tuple[str, Scenario]] = {}
        self._used: dict[tuple, int] = {}  # (staffing key, seed) -> replications used here
        self._memo: dict[tuple, SequentialOutcome] = {}
        self.replications_run = 0

    @property
    def replications_reused(self) -> int:
        """Replications used here that were not simulated here (cached by an earlier search)."""
        return max(0, sum(self._used.values()) - self.replications_run)

    @property
    def evaluations(self) -> int:
        """Distinct (staffing, seed) pairs looked at in this search."""
        return len(self._used)

    def scenario_for(self, staffing: Staffing | None) -> Scenario:
        """The scenario with ``staffing`` applied (None: today's staffing, unchanged)."""
        if staffing is None:
            return self.scenario
        return apply_staffing(self.scenario, staffing, self.from_date)

    def _build(self, staffing: Staffing | None) -> tuple[str, Scenario]:
        """The content hash of the scenario with ``staffing`` applied, and that scenario."""
        key = None if staffing is None else key_of(staffing)
        if key not in self._built:
            built = self.scenario_for(staffing)
            self._built[key] = (built.content_hash(), built)
        return self._built[key]

    def kpis(self, staffing: Staffing | None, seed: int, n: int) -> pd.DataFrame:
        """Target KPIs of replications 0..n-1 (one row each), simulating only those never run
        before (in this search or, through the cache, in an earlier one)."""
        content_hash, built = self._build(staffing)
        cache_key = (content_hash, seed)
        rows = self.cache.get(cache_key)
        used_key = (None if staffing is None else key_of(staffing), seed)
        missing = max(n - len(rows), 0)
        if missing:
            if self.cancel is not None:
                self.cancel.check()
            results = run_replications(
                built,
                replications=missing,
                seed=seed,
                workers=self.workers,
                first_replication=len(rows),
                executor=self.executor,
            )
            new = [
                np.array([r.kpis.get(c, math.nan) for c in self.columns], dtype=float)
                for r in results.replications
            ]
            self.cache.extend(cache_key, len(rows), new)
            rows = rows + new
            self.replications_run += missing
        self._used[used_key] = max(self._used.get(used_key, 0), n)
        if missing and self.on_run:  # told after the counts above, which it may report
            self.on_run(staffing, seed, missing)
        data = np.array(rows[:n], dtype=float).reshape(n, len(self.columns))
        frame = pd.DataFrame(data, columns=list(self.columns))
        frame.index = pd.RangeIndex(n, name="replication")
        return frame

    def pooled(self, staffing: Staffing | None) -> pd.DataFrame:
        """Every replication of ``staffing`` used in this search, all seeds together."""
        key = None if staffing is None else key_of(staffing)
        frames = [self.kpis(staffing, s, n) for (k, s), n in self._used.items() if k == key]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()

    def evaluate(self, staffing: Staffing, seed: int, n: int, targets: Sequence[str]) -> Evaluation:
        """Whether ``staffing`` meets ``targets`` with confidence, over n replications."""
        status = self.judge.status(self.kpis(staffing, seed, n), targets)
        failing = tuple(status.loc[~status["met_with_confidence"], "target"])
        return Evaluation(
            staffing=dict(staffing),
            feasible=not failing,
            shortfall=float(status["shortfall"].sum()) if len(status) else 0.0,
            failing=failing,
        )

    def sequential(
        self,
        staffing: Staffing,
        seed: int,
        targets: Sequence[str],
        rule: SequentialRule,
        stop_on_miss: bool = True,
    ) -> SequentialOutcome:
        """Judge ``staffing`` look by look (:mod:`planning.staffing.sequential`): stop as soon
        as every target is met, or (``stop_on_miss``) one is missed or futile, or every target
        is settled, or at the last look.

        Deterministic: the verdict at a look uses replications 0..n-1 only, so the same
        staffing, seed and targets always get the same answer (the search relies on it)."""
        memo_key = (key_of(staffing), seed, tuple(targets), rule, stop_on_miss)
        if memo_key in self._memo:  # its replications are already counted in _used
            return self._memo[memo_key]
        spec = {
            t: (self.scenario.targets[t].direction, self.scenario.targets[t].threshold)
            for t in targets
        }
        looked: list[pd.DataFrame] = []  # the frame of each look taken

        def values_at(n: int) -> dict[str, pd.Series]:
            looked.append(self.kpis(staffing, seed, n))
            return {t: looked[-1][f"target.{t}"] for t in targets}

        found, n = run_looks(values_at, spec, rule, stop_on_miss)
        status = self.judge.status(looked[-1], targets)
        failing = tuple(t for t in targets if found[t] != MET)
        outcome = SequentialOutcome(
            Evaluation(
                staffing=dict(staffing),
                feasible=not failing,
                shortfall=float(status["shortfall"].sum()) if len(status) else 0.0,
                failing=failing,
            ),
            found,
            n,
        )
        self._memo[memo_key] = outcome
        return outcome

    def target_values(
        self, staffing: Staffing | None, seed: int, n: int, targets: Sequence[str]
    ) -> dict[str, np.ndarray]:
        frame = self.kpis(staffing, seed, n)
        return {t: frame[f"target.{t}"].to_numpy(dtype=float) for t in targets}
