"""Backtest: fit on what was known at a cut date, forecast to the as-of date, compare.

A calibrated model is only worth planning with if, fitted on the history up to some
date, it forecasts what then happened. ``backtest`` does exactly that with the force's
own extract:

1. :func:`known_at` cuts the extract at the cut: referrals received after it and every
   start or finish after it are removed (a visit started after the cut is waiting at the
   cut; one finished after it is open), so the fit cannot see the future. The staffing
   file is kept whole: its rows after the cut are the staffing actually in post, which a
   forecast of "what if we had known the staffing" should use (they become the fitted
   scenario's planned ``staffing_plan`` changes, exactly as in ``acusim calibrate``).
2. The one calibration pipeline fits the cut extract; the fitted scenario starts at the
   cut with the caseload open then, each in-progress case with its days in service, so it
   *resumes* (``in_service_days``; ``model/engine/resume.py``).
3. The scenario runs ``n`` replications to the as-of date; week by week (weeks ending
   cut + 7k days) each series's actual value is set against the replications' mean and
   their 2.5th and 97.5th percentiles (a prediction band for one realisation).

Series: ``arrivals`` (by source), ``backlog_waiting``, ``backlog_in_progress`` and
``completions`` (by stage). The verdict: ``pass`` when every series has its actual value
inside the band in at least ``COVERAGE_FLOOR`` of the weeks; ``fail`` when a backlog
series does not; ``partial`` when only arrivals or completions fall short.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from calibration.extract import Extract
from calibration.pipeline import fit_and_match
from calibration.types import Calibration, CalibrationError, CalibrationSettings
from calibration.verdicts import backtest_verdict
from calibration.wording import Message, render
from model.engine.sources import DAYS_PER_WEEK
from model.replications import run_replications
from model.scenario import Scenario, with_overrides

SCHEMA = "acusim.backtest/1"
SERIES = ("arrivals", "backlog_waiting", "backlog_in_progress", "completions")
BACKLOG_SERIES = ("backlog_waiting", "backlog_in_progress")
COVERAGE_FLOOR = 0.9
"""Share of weeks a series's actual value must lie inside the 95% band. Below 0.95 on
purpose: weeks are correlated and a handful of replications gives a band whose
percentiles are themselves estimates; 0.9 is the issue's acceptance level."""
MIN_WEEKS = 2
"""Fewest whole weeks between the cut and the as-of date for a comparison."""
BAND_METHOD = "weibull"
"""How the band's percentiles are read off the replications: numpy's ``weibull`` method
(Hyndman and Fan's type 6, the p-th quantile at rank p(R+1)). The band is for ONE new
realisation, and a new draw's rank among R replications is uniform on 1..R+1, so the span
between the order statistics at ranks 0.025(R+1) and 0.975(R+1) holds it 95% of the time.
numpy's default (``linear``, rank 1 + p(R-1)) puts both ends inside that span: with 20
replications its band held a new realisation of the same model only about 86% of the
time, which alone fails a 90% coverage floor (docs/calibration.md, "Backtest")."""
MIN_REPLICATIONS = 39
"""Fewest replications a 95% band can be read from: with R replications the band cannot be
wider than their range, which holds a new realisation (R-1)/(R+1) of the time (90% at 20);
39 is the first R at which that reaches 95%. Fewer are raised to this, with a note."""
DEFAULT_REPLICATIONS = 40


def verdict_of(coverage: dict[tuple[str, str], float]) -> str:
    """``pass`` when every series is inside its band in at least ``COVERAGE_FLOOR`` of the
    weeks; ``fail`` when a backlog series is not; else ``partial`` (only counts missed)."""
    missed = [series for (series, _), share in coverage.items() if share < COVERAGE_FLOOR]
    if not missed:
        return "pass"
    if any(series in (*BACKLOG_SERIES, "backlog") for series in missed):
        return "fail"
    return "partial"


def cut_day(extract: Extract, cut: dt.date) -> float:
    """The cut (its midnight) in the extract's days: where history ends and the forecast
    starts (benchmarks/backtest_accuracy.py splits the extract's open work there too)."""
    return (dt.datetime.combine(cut, dt.time()) - _origin(extract)).total_seconds() / 86400.0


def _origin(extract: Extract) -> dt.datetime:
    return dt.datetime.combine(extract.window_start, dt.time())


def check_cut(extract: Extract, cut: dt.date, min_days: float = 28.0) -> None:
    """One line if the cut leaves too little history before it or too little after it."""
    day = cut_day(extract, cut)
    problems = []
    if day < min_days:
        problems.append(
            Message(
                "backtest_words.cut_early",
                cut=cut,
                start=extract.window_start,
                days=f"{min_days:g}",
            )
        )
    weeks = math.floor((extract.window_days - day) / DAYS_PER_WEEK + 1e-9)
    if weeks < MIN_WEEKS:
        problems.append(
            Message(
                "backtest_words.cut_late",
                cut=cut,
                end=f"{extract.as_of:%Y-%m-%d %H:%M}",
                weeks=MIN_WEEKS,
            )
        )
    if problems:
        raise CalibrationError(problems)


def known_at(extract: Extract, cut: dt.date) -> Extract:
    """The extract as it would have been taken at the start of ``cut`` (see module doc)."""
    day = cut_day(extract, cut)
    refs = extract.referrals.loc[extract.referrals["received"] < day].copy()
    events = extract.events.loc[
        (extract.events["queued"] < day) & extract.events["referral_id"].isin(refs["referral_id"])
    ].copy()
    later_start = events["started"] >= day
    events.loc[later_start, "started"] = np.nan
    later_finish = events["finished"] >= day
    events.loc[later_finish, "finished"] = np.nan
    events.loc[later_finish, "outcome"] = ""
    return Extract(
        referrals=refs.reset_index(drop=True),
        events=events.reset_index(drop=True),
        staffing=extract.staffing,
        window_start=extract.window_start,
        as_of=dt.datetime.combine(cut, dt.time()),
        files=extract.files,
    )


# ---------------------------------------------------------------- observed series


def weekly_ends(start_day: float, n_weeks: int) -> np.ndarray:
    return start_day + DAYS_PER_WEEK * np.arange(1, n_weeks + 1)


def observed_series(
    extract: Extract, start_day: float, n_weeks: int
) -> dict[tuple[str, str], np.ndarray]:
    """What the extract shows happened, week by week after ``start_day``."""
    ends = weekly_ends(start_day, n_weeks)
    edges = np.concatenate([[start_day], ends])
    out: dict[tuple[str, str], np.ndarray] = {}
    refs = extract.referrals
    for source in extract.sources:
        times = refs.loc[refs["source"] == source, "received"].to_numpy(dtype=float)
        out[("arrivals", source)] = np.histogram(times, bins=edges)[0].astype(float)
    ev = extract.events
    for stage in extract.stages:
        rows = ev.loc[ev["stage"] == stage]
        queued = rows["queued"].to_numpy(dtype=float)
        started = np.nan_to_num(rows["started"].to_numpy(dtype=float), nan=np.inf)
        finished = np.nan_to_num(rows["finished"].to_numpy(dtype=float), nan=np.inf)
        t = ends[:, None]
        open_now = (queued[None, :] <= t) & (finished[None, :] > t)
        out[("backlog_waiting", stage)] = (open_now & (started[None, :] > t)).sum(1).astype(float)
        out[("backlog_in_progress", stage)] = (
            (open_now & (started[None, :] <= t)).sum(1).astype(float)
        )
        done = finished[np.isfinite(finished)]
        out[("completions", stage)] = np.histogram(done, bins=edges)[0].astype(float)
    return out


# ---------------------------------------------------------------- simulated series


def simulated_series(replications: list, n_weeks: int) -> dict[tuple[str, str], np.ndarray]:
    """Replications x weeks for every series the scenario has (``ReplicationResult``s run
    with case records)."""
    first = replications[0]
    out: dict[tuple[str, str], np.ndarray] = {}
    for name in ("arrivals", "backlog_waiting", "backlog_in_progress"):
        for j, key in enumerate(first.labels[name]):
            out[(name, key)] = np.stack([r.series[name][:n_weeks, j] for r in replications])
    edges = DAYS_PER_WEEK * np.arange(n_weeks + 1)
    for stage in first.labels["backlog_waiting"]:
        rows = []
        for r in replications:
            left = r.cases.loc[r.cases["stage"] == stage, "left_day"].to_numpy(dtype=float)
            rows.append(np.histogram(left[np.isfinite(left)], bins=edges)[0])
        out[("completions", stage)] = np.stack(rows).astype(float)
    return out


def _with_input_uncertainty(
    scenario: Scenario,
    before: Extract,
    calibration: Calibration,
    replications: int,
    seed: int,
    workers: int,
) -> list:
    """One replication per bootstrap parameter set: the band then holds the uncertainty of
    the fitted values as well as process randomness (a predictive band)."""
    from calibration.uncertainty import bootstrap_parameter_sets, input_scenarios
    from model.engine.unit import run_replication

    sets, _ = bootstrap_parameter_sets(
        before, calibration, replications, seed=seed, workers=max(1, workers)
    )
    scenarios = input_scenarios(scenario, sets, "backtest")
    return [run_replication(s, seed, r, record_cases=True) for r, s in enumerate(scenarios)]


# ---------------------------------------------------------------- comparison


@dataclass
class SeriesBand:
    series: str
    key: str
    actual: np.ndarray
    simulated: np.ndarray  # replications x weeks

    @property
    def label(self) -> str:
        return f"{self.series}.{self.key}"

    @property
    def mean(self) -> np.ndarray:
        return self.simulated.mean(axis=0)

    @property
    def low(self) -> np.ndarray:
        return np.percentile(self.simulated, 2.5, axis=0, method=BAND_METHOD)

    @property
    def high(self) -> np.ndarray:
        return np.percentile(self.simulated, 97.5, axis=0, method=BAND_METHOD)

    @property
    def coverage(self) -> float:
        inside = (self.actual >= self.low - 1e-9) & (self.actual <= self.high + 1e-9)
        return float(np.mean(inside))

    @property
    def relative_error(self) -> float:
        """Mean forecast over the weeks against the actual mean, as a share (nan if 0)."""
        actual = float(np.mean(self.actual))
        return (float(np.mean(self.mean)) - actual) / actual if actual > 0 else math.nan


@dataclass
class Backtest:
    cut: dt.date
    end: dt.date
    as_of: dt.datetime
    replications: int
    seed: int
    scenario: Scenario
    calibration: Calibration
    bands: list[SeriesBand]
    notes: list[str] = field(default_factory=list)
    input_uncertainty: bool = False
    runs: list = field(default_factory=list)
    """The replications themselves (with case records), only when asked for (``keep_runs``):
    to split a forecast into the cases open at the cut and those that came after."""

    @property
    def week_endings(self) -> list[dt.date]:
        n = len(self.bands[0].actual) if self.bands else 0
        return [self.cut + dt.timedelta(days=7 * (k + 1)) for k in range(n)]

    @property
    def coverage(self) -> dict[str, float]:
        return {b.label: b.coverage for b in self.bands}

    @property
    def missed(self) -> list[str]:
        return [b.label for b in self.bands if b.coverage < COVERAGE_FLOOR]

    @property
    def verdict(self) -> str:
        return verdict_of({(b.series, b.key): b.coverage for b in self.bands})

    def verdict_text(self, lang: str = "en") -> str:
        """The verdict in plain words (``calibration/verdicts.py``), English or Welsh."""
        return backtest_verdict(self, COVERAGE_FLOOR, lang)

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        """The backtest as JSON: the schema's names stay English; the words a person reads
        (the verdict's text and the notes) are in ``lang``."""
        ends = [d.isoformat() for d in self.week_endings]
        rows = [
            {
                "series": b.series,
                "key": b.key,
                "week_ending": ends[k],
                "actual": float(b.actual[k]),
                "mean": float(b.mean[k]),
                "p2_5": float(b.low[k]),
                "p97_5": float(b.high[k]),
            }
            for b in self.bands
            for k in range(len(ends))
        ]
        return {
            "schema": SCHEMA,
            "cut": self.cut.isoformat(),
            "end": self.end.isoformat(),
            "replications": self.replications,
            "seed": self.seed,
            "input_uncertainty": self.input_uncertainty,
            "series": rows,
            "coverage": self.coverage,
            "relative_error": {
                b.label: None if math.isnan(b.relative_error) else b.relative_error
                for b in self.bands
            },
            "verdict": self.verdict,
            "verdict_text": self.verdict_text(lang),
            "notes": [render(n, lang) for n in self.notes],
        }


def forecast_scenario(fitted: Scenario, n_weeks: int) -> Scenario:
    """The fitted scenario (starting at the cut) run for exactly ``n_weeks`` weeks."""
    return with_overrides(
        fitted,
        {"horizon_years": n_weeks * DAYS_PER_WEEK / 365.0, "warmup_days": 0},
        "backtest",
    )


def run_backtest(
    extract: Extract,
    cut: dt.date,
    *,
    settings: CalibrationSettings | None = None,
    template: Scenario | None = None,
    replications: int = DEFAULT_REPLICATIONS,
    seed: int | None = None,
    workers: int = 1,
    match_history: bool | None = None,
    input_uncertainty: bool = True,
    keep_runs: bool = False,
) -> Backtest:
    """Fit at ``cut``, forecast to the extract's as-of date, compare week by week.

    ``input_uncertainty`` (default): each replication runs with its own bootstrap refit of
    the fitted values, so the band is a predictive band for one realisation: the fitted
    rates, routing and durations are estimates, and on a 26-week forecast the error of a
    fitted rate is of the same order as the process noise (docs/calibration.md,
    "Backtest"). ``False`` is faster and holds process randomness only."""
    check_cut(extract, cut)
    before = known_at(extract, cut)
    notes = []
    if replications < MIN_REPLICATIONS:
        notes.append(
            Message(
                "backtest_notes.replications",
                needed=MIN_REPLICATIONS,
                ran=MIN_REPLICATIONS,
                asked=replications,
            )
        )
        replications = MIN_REPLICATIONS
    settings = settings or CalibrationSettings()
    if settings.change_points:
        margin = dt.timedelta(days=settings.min_segment_days)
        kept = {
            s: d
            for s, d in settings.change_points.items()
            if extract.window_start + margin <= d <= cut - margin
        }
        notes += [
            Message(
                "backtest_words.change_unused",
                source=s,
                date=d,
                cut=cut,
                days=settings.min_segment_days,
            )
            for s, d in settings.change_points.items()
            if s not in kept
        ]
        settings = settings.model_copy(update={"change_points": kept})
    calibration, fitted, _, _ = fit_and_match(before, settings, template, match_history, True)
    start_day = cut_day(extract, cut)
    n_weeks = math.floor((extract.window_days - start_day) / DAYS_PER_WEEK + 1e-9)
    scenario = forecast_scenario(fitted, n_weeks)
    seed = scenario.seed if seed is None else seed
    if input_uncertainty:
        runs = _with_input_uncertainty(scenario, before, calibration, replications, seed, workers)
    else:
        runs = run_replications(
            scenario,
            replications=replications,
            seed=seed,
            workers=max(1, min(workers, replications)),
            record_cases=True,
        ).replications
    actual = observed_series(extract, start_day, n_weeks)
    simulated = simulated_series(runs, n_weeks)
    bands = []
    for (series, key), values in actual.items():
        sim = simulated.get((series, key))
        if sim is None:
            notes.append(Message(f"backtest_words.only_after_{series}", key=key))
            sim = np.zeros((replications, n_weeks))
        bands.append(SeriesBand(series, key, values, sim))
    order = {s: i for i, s in enumerate(SERIES)}
    bands.sort(key=lambda b: order[b.series])
    end = cut + dt.timedelta(days=7 * n_weeks)
    return Backtest(
        cut,
        end,
        extract.as_of,
        replications,
        seed,
        scenario,
        calibration,
        bands,
        notes,
        input_uncertainty,
        runs if keep_runs else [],
    )


def frame(backtest: Backtest) -> pd.DataFrame:
    """The JSON rows as a table (for the app and the report)."""
    return pd.DataFrame(backtest.to_json()["series"])
