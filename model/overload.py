"""Whether each stage's waits settled, or its queue grows without bound: waits in words.

Why: when a stage is overloaded (cases arrive faster than its staff can start them) its
queue grows through the run and a wait has no settled value: every figure, censored or
not, grows with the length of the run. Reporting a wait of N days as if it were settled
misleads, so every face (the terminal table, ``summary.json``, the app) says in words
that the stage is overloaded, with the growth of its queue and the cases still waiting.

The rule (docs/model.md, "Overload"): in each replication, the slope of the weekly count
of cases waiting in the stage over the second half of the reporting window (ordinary
least squares, cases a day) less ``reporting.overload_growth_share`` x the cases entering
the stage a day. The stage is overloaded when the one-sided 95% lower bound of the mean
of that difference across replications is above 0 (with one replication: the value
itself, and the words say it is one replication). Regressing on the second half leaves
the start-up out (a unit starting empty fills its queues first); comparing replications,
not weeks, gives an honest interval (weeks of one run are strongly correlated). A stable
queue has slope 0 in the long run; an overloaded M/M/c queue grows at lambda - c mu, so
the difference is (1 - 1/rho - share) x lambda, positive for rho > 1 / (1 - share).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from model.engine.sources import DAYS_PER_WEEK, DAYS_PER_YEAR
from model.replications import DEFAULT_CONFIDENCE, Estimate, RunResults, estimate, one_sided_bound

MIN_WEEKS = 4
"""Fewest weekly counts in the second half that a slope is fitted to (a horizon of 8 weeks)."""

OVERLOADED, SETTLED, NOT_REACHED, UNDETERMINED = (
    "overloaded",
    "settled",
    "not_reached",
    "undetermined",
)


@dataclass(frozen=True)
class StageWaits:
    """One stage's waits and whether they are settled, across replications."""

    stage: str
    status: str
    median: Estimate
    p90: Estimate
    median_undefined_in: int
    p90_undefined_in: int
    mean_started_only: Estimate
    mean_defined: bool
    waiting_end: Estimate
    waiting_end_share: Estimate
    growth_per_year: Estimate
    growth_threshold_per_year: float
    replications: int

    def words(self) -> str:
        """The stage's waits in one English sentence (the app uses its own catalogues)."""
        if self.status == NOT_REACHED:
            return "No case reached this stage in the reported period."
        waiting = (
            f"{_num(self.waiting_end.mean)} cases ({_pct(self.waiting_end_share.mean)}) "
            "were still waiting at the end"
        )
        if self.status == OVERLOADED:
            one = " (one replication: no interval)" if self.replications == 1 else ""
            return (
                f"Overloaded: the queue grew by about {_num(self.growth_per_year.mean / 12)} "
                f"cases a month over the second half of the run{one} and {waiting}; waits "
                "have no settled value and grow with the length of the run."
            )
        if self.status == UNDETERMINED:
            return f"The run is too short to judge whether the queue settles; {waiting}."
        parts = [f"Median wait {_num(self.median.mean, 1)} days"]
        if self.median_undefined_in:
            parts = [
                f"Median wait not reached in {self.median_undefined_in} of "
                f"{self.replications} replications (over half still waiting)"
            ]
        return "; ".join(parts) + f"; {waiting}."

    def as_dict(self) -> dict[str, object]:
        """The ``waits`` block of ``summary.json`` for this stage (docs/outputs.md)."""
        return {
            "status": self.status,
            "words": self.words(),
            "median_days": {
                **self.median.as_dict(),
                "undefined_in": self.median_undefined_in,
                "reason": undefined_reason(self.median_undefined_in, self.replications, 0.5),
            },
            "p90_days": {
                **self.p90.as_dict(),
                "undefined_in": self.p90_undefined_in,
                "reason": undefined_reason(self.p90_undefined_in, self.replications, 0.9),
            },
            "mean_days_started_only": self.mean_started_only.as_dict(),
            "mean_defined": self.mean_defined,
            "still_waiting_end": self.waiting_end.as_dict(),
            "still_waiting_share": self.waiting_end_share.as_dict(),
            "queue_growth_per_year": self.growth_per_year.as_dict(),
            "overload_threshold_per_year": _finite(self.growth_threshold_per_year),
        }


def undefined_reason(undefined_in: int, replications: int, p: float) -> str:
    """Why a censored quantile has no value in some replications ('' when it always has)."""
    if not undefined_in:
        return ""
    return (
        f"undefined in {undefined_in} of {replications} replications: more than "
        f"{1 - p:.0%} of the cases were still waiting when the Kaplan-Meier curve ended; "
        "the estimate covers the other replications only, so read it as a lower bound"
    )


def _finite(x: float) -> float | None:
    return None if math.isnan(x) else float(x)


def _num(x: float, digits: int = 0) -> str:
    return "-" if math.isnan(x) else f"{x:,.{digits}f}"


def _pct(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:.0%}"


def second_half_slopes(results: RunResults, stage: str) -> np.ndarray:
    """Per replication: the OLS slope (cases a day) of the weekly count waiting in ``stage``
    over the second half of the window; NaN when it has fewer than ``MIN_WEEKS`` weeks."""
    column = list(results.scenario.stages).index(stage)
    slopes = []
    for r in results.replications:
        waiting = r.series["backlog_waiting"][:, column]
        half = waiting[len(waiting) // 2 :]
        if len(half) < MIN_WEEKS:
            slopes.append(math.nan)
            continue
        t = DAYS_PER_WEEK * np.arange(len(half), dtype=float)
        slopes.append(float(np.polyfit(t, half.astype(float), 1)[0]))
    return np.asarray(slopes)


def stage_waits(
    results: RunResults, stage: str, confidence: float = DEFAULT_CONFIDENCE
) -> StageWaits:
    """Censored waits, still-waiting counts and the overload verdict of one worked stage."""
    frame = results.kpi_frame()
    share = results.scenario.reporting.overload_growth_share
    median = frame[f"wait_km_median_days.{stage}"]
    p90 = frame[f"wait_km_p90_days.{stage}"]
    waiting = frame[f"waiting_end.{stage}"]
    entries_per_day = frame[f"entries_per_year.{stage}"].to_numpy() / DAYS_PER_YEAR
    slopes = second_half_slopes(results, stage)
    margin = slopes - share * entries_per_day
    reached = frame[f"waiting_end_share.{stage}"].notna().any()
    if not reached:
        status = NOT_REACHED
    elif np.isnan(margin).all():
        status = UNDETERMINED
    else:
        finite = margin[np.isfinite(margin)]
        # The one-sided lower bound (one replication: its value, there is no interval).
        bound = float(finite[0]) if finite.size == 1 else one_sided_bound(finite, ">=", confidence)
        status = OVERLOADED if bound > 0 else SETTLED
    return StageWaits(
        stage=stage,
        status=status,
        median=estimate(median, confidence),
        p90=estimate(p90, confidence),
        median_undefined_in=int(
            (median.isna() & frame[f"waiting_end_share.{stage}"].notna()).sum()
        ),
        p90_undefined_in=int((p90.isna() & frame[f"waiting_end_share.{stage}"].notna()).sum()),
        mean_started_only=estimate(frame[f"wait_mean_days.{stage}"], confidence),
        mean_defined=bool(reached and (waiting.fillna(0) == 0).all()),
        waiting_end=estimate(waiting, confidence),
        waiting_end_share=estimate(frame[f"waiting_end_share.{stage}"], confidence),
        growth_per_year=estimate(slopes * DAYS_PER_YEAR, confidence),
        growth_threshold_per_year=float(share * np.nanmean(entries_per_day) * DAYS_PER_YEAR)
        if len(entries_per_day)
        else math.nan,
        replications=results.n,
    )


def all_stage_waits(
    results: RunResults, confidence: float = DEFAULT_CONFIDENCE
) -> dict[str, StageWaits]:
    """Every worked stage (one with a role), in the scenario's order."""
    return {
        name: stage_waits(results, name, confidence)
        for name, stage in results.scenario.stages.items()
        if stage.role is not None
    }


def first_action_waits(
    results: RunResults, confidence: float = DEFAULT_CONFIDENCE
) -> dict[str, object] | None:
    """The first-action KPIs with the cases still waiting counted (``waits.first_action``);
    its status is the first-action stage's."""
    stage = results.scenario.reporting.first_action_stage
    if stage is None:
        return None
    frame = results.kpi_frame()
    median = frame["first_action_wait_km_median_days"]
    p90 = frame["first_action_wait_km_p90_days"]
    share = frame["first_action_waiting_end_share"]
    waiting = frame["first_action_waiting_end"]
    return {
        "stage": stage,
        "status": stage_waits(results, stage, confidence).status,
        "median_days": _quantile_dict(median, share, results.n, 0.5, confidence),
        "p90_days": _quantile_dict(p90, share, results.n, 0.9, confidence),
        "mean_days_started_only": estimate(frame["first_action_mean_days"], confidence).as_dict(),
        "mean_defined": bool(share.notna().any() and (waiting.fillna(0) == 0).all()),
        "still_waiting_end": estimate(waiting, confidence).as_dict(),
        "still_waiting_share": estimate(share, confidence).as_dict(),
    }


def _quantile_dict(values, share, replications: int, p: float, confidence: float) -> dict:
    undefined_in = int((values.isna() & share.notna()).sum())
    return {
        **estimate(values, confidence).as_dict(),
        "undefined_in": undefined_in,
        "reason": undefined_reason(undefined_in, replications, p),
    }
