"""Does the calibrated scenario reproduce the history it was fitted to?

``acusim validate-fit`` replays the scenario over the extract's own window (from the
window start, empty, with the staffing history and past change points the calibrated
file keeps) and sets the simulated weeks beside the observed ones: arrivals per source,
backlog and throughput per stage, and the distributions of waiting and service times.
Each weekly series gets simple error measures (mean absolute error, bias, and the share
of weeks in which the observed value falls inside the simulation's 95% band); each
duration gets the Kolmogorov distance between the observed Kaplan-Meier curve and the
simulated one. A good fit has little bias and about 95% coverage; waits that are
systematically too long or too short point at the effort assumption (``--utilisation``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from scipy import stats

from calibration.backtest import COVERAGE_FLOOR, verdict_of
from calibration.durations import Durations
from calibration.estimates import fmt
from calibration.extract import Extract
from calibration.report import esc, figure, line_element, page, table
from calibration.structure import (
    MINUTE_DAYS,
    service_durations,
    sojourn_durations,
    visits,
    wait_durations,
)
from calibration.verdicts import fit_verdict, verdict_word
from calibration.wording import Message, render, text
from model.engine.sources import DAYS_PER_WEEK
from model.formats import long_date, number, percent
from model.replications import estimate, run_replications
from model.scenario import Scenario, with_overrides

BAND_CONFIDENCE = 0.95
"""The simulated band is a 95% prediction interval for one week's value: mean +- t x sd x
sqrt(1 + 1/n) across replications (percentiles of a handful of replications would be
too narrow), floored at zero since every compared series is a count."""


@dataclass
class SeriesComparison:
    """One weekly series (e.g. arrivals from one source), observed and simulated."""

    measure: str
    key: str
    observed: np.ndarray
    simulated: np.ndarray  # replications x weeks

    @property
    def mean(self) -> np.ndarray:
        return self.simulated.mean(axis=0)

    @property
    def band(self) -> tuple[np.ndarray, np.ndarray]:
        n = self.simulated.shape[0]
        sd = self.simulated.std(axis=0, ddof=1)
        half = float(stats.t.ppf(0.5 + BAND_CONFIDENCE / 2, n - 1)) * sd * math.sqrt(1 + 1 / n)
        return np.maximum(self.mean - half, 0.0), self.mean + half

    @property
    def mae(self) -> float:
        return float(np.mean(np.abs(self.observed - self.mean)))

    @property
    def bias(self) -> float:
        return float(np.mean(self.mean - self.observed))

    @property
    def coverage(self) -> float:
        low, high = self.band
        return float(np.mean((self.observed >= low) & (self.observed <= high)))

    def total_row(self, lang: str = "en") -> list[object]:
        """Observed total (or mean level) against the simulated one with its CI."""
        how = "total" if self.measure != "backlog" else "mean"
        reduce = np.sum if how == "total" else np.mean
        sims = reduce(self.simulated, axis=1)
        est = estimate(sims)
        ci = (
            ""
            if math.isnan(est.ci_low)
            else " (" + text(lang, "words.ci", low=fmt(est.ci_low), high=fmt(est.ci_high)) + ")"
        )
        return [
            text(lang, f"validate_report.measure_{self.measure}_{how}"),
            self.key,
            float(reduce(self.observed)),
            fmt(est.mean) + ci,
            self.mae,
            self.bias,
            percent(self.coverage, 0, lang),
        ]


@dataclass
class DurationComparison:
    stage: str
    kind: str
    observed: dict[str, np.ndarray] | None
    simulated: dict[str, np.ndarray] | None
    n_observed: int
    n_simulated: int

    @property
    def distance(self) -> float:
        """Largest gap between the two Kaplan-Meier curves (Kolmogorov distance)."""
        if self.observed is None or self.simulated is None:
            return math.nan
        grid = np.union1d(self.observed["time"], self.simulated["time"])
        return float(
            np.max(np.abs(_survival_at(self.observed, grid) - _survival_at(self.simulated, grid)))
        )

    def median(self, which: str) -> float:
        km = self.observed if which == "observed" else self.simulated
        if km is None:
            return math.nan
        below = np.nonzero(km["survival"] <= 0.5)[0]
        return float(km["time"][below[0]]) if len(below) else math.nan


def _survival_at(km: dict[str, np.ndarray], t: np.ndarray) -> np.ndarray:
    index = np.searchsorted(km["time"], t, side="right") - 1
    return np.where(index >= 0, km["survival"][np.clip(index, 0, None)], 1.0)


@dataclass
class FitValidation:
    scenario: Scenario
    replay: Scenario
    replications: int
    seed: int
    series: list[SeriesComparison]
    durations: list[DurationComparison]
    notes: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """``pass``, ``partial`` or ``fail``: the backtest's rule (``backtest.verdict_of``),
        applied in-sample to the weeks in the 95% band."""
        return verdict_of({(s.measure, s.key): s.coverage for s in self.series})

    def verdict_text(self, lang: str = "en") -> str:
        """The verdict in plain words (``calibration/verdicts.py``), English or Welsh."""
        return fit_verdict(self, COVERAGE_FLOOR, lang)


def replay_scenario(scenario: Scenario, extract: Extract) -> Scenario:
    """The scenario over the extract's window: from its start, empty, no warm-up."""
    return with_overrides(
        scenario,
        {
            "start_date": extract.window_start.isoformat(),
            "horizon_years": extract.window_days / 365.0,
            "warmup_days": 0,
            "initial_backlog": [],
        },
        "validate-fit",
    )


def _observed_open(stage_visits: pd.DataFrame, ends: np.ndarray) -> np.ndarray:
    queued = stage_visits["queued"].to_numpy()
    finished = np.nan_to_num(stage_visits["finished"].to_numpy(), nan=np.inf)
    return np.array([int(np.sum((queued <= t) & (finished > t))) for t in ends])


def _weekly_counts(times: np.ndarray, n_weeks: int) -> np.ndarray:
    edges = DAYS_PER_WEEK * np.arange(n_weeks + 1)
    return np.histogram(times[np.isfinite(times)], bins=edges)[0].astype(float)


def _sim_durations(cases: pd.DataFrame, stage: str, kind: str, horizon: float) -> Durations:
    rows = cases.loc[cases["stage"] == stage]
    queued = rows["queued_day"].to_numpy(dtype=float)
    allocated = rows["allocated_day"].to_numpy(dtype=float)
    left = rows["left_day"].to_numpy(dtype=float)
    if kind == "wait":
        start, end = queued, allocated
    elif kind == "service":
        keep = np.isfinite(allocated)
        start, end = allocated[keep], left[keep]
    else:
        start, end = queued, left
    done = np.isfinite(end)
    values = np.where(done, end, horizon) - start
    return Durations(np.maximum(values, 0.0), done, np.full(len(values), MINUTE_DAYS))


def validate_fit(
    scenario: Scenario,
    extract: Extract,
    replications: int = 10,
    seed: int | None = None,
    workers: int = 1,
) -> FitValidation:
    """Replay the scenario over the extract's window and compare it with the history."""
    replay = replay_scenario(scenario, extract)
    results = run_replications(
        replay,
        replications=replications,
        seed=seed,
        workers=min(workers, replications),
        record_cases=True,
    )
    n_weeks = results.replications[0].series["arrivals"].shape[0]
    ends = DAYS_PER_WEEK * np.arange(1, n_weeks + 1)
    notes = []
    series: list[SeriesComparison] = []
    refs = extract.referrals
    labels = results.replications[0].labels["arrivals"]
    for source in extract.sources:
        if source not in labels:
            notes.append(Message("validate_report.source_missing", source=source))
            continue
        j = labels.index(source)
        observed = _weekly_counts(
            refs.loc[refs["source"] == source, "received"].to_numpy(), n_weeks
        )
        simulated = np.stack([r.series["arrivals"][:, j] for r in results.replications])
        series.append(SeriesComparison("arrivals", source, observed, simulated))
    all_visits = visits(extract)
    stage_labels = results.replications[0].labels["backlog_waiting"]
    cases = results.cases()
    assert cases is not None
    cases = cases.loc[cases["stage"].notna()]
    durations: list[DurationComparison] = []
    for stage in extract.stages:
        if stage not in stage_labels:
            notes.append(Message("validate_report.stage_missing", stage=stage))
            continue
        j = stage_labels.index(stage)
        rows = all_visits.loc[all_visits["stage"] == stage]
        backlog = np.stack(
            [
                r.series["backlog_waiting"][:, j] + r.series["backlog_in_progress"][:, j]
                for r in results.replications
            ]
        )
        series.append(SeriesComparison("backlog", stage, _observed_open(rows, ends), backlog))
        sim_done = np.stack(
            [
                _weekly_counts(
                    group.loc[group["stage"] == stage, "left_day"].to_numpy(dtype=float), n_weeks
                )
                for _, group in cases.groupby("replication")
            ]
        )
        series.append(
            SeriesComparison(
                "throughput", stage, _weekly_counts(rows["finished"].to_numpy(), n_weeks), sim_done
            )
        )
        role = scenario.stages[stage].role
        kinds = ("wait", "service") if role is not None else ("time in stage",)
        for kind in kinds:
            make = {"wait": wait_durations, "service": service_durations}.get(
                kind, sojourn_durations
            )
            obs = make(rows, extract.window_days)
            sim = _sim_durations(cases, stage, kind, replay.horizon_days)
            durations.append(
                DurationComparison(
                    stage, kind, obs.kaplan_meier(0.95), sim.kaplan_meier(0.95), obs.n, sim.n
                )
            )
    return FitValidation(scenario, replay, results.n, results.seed, series, durations, notes)


KINDS = {"wait": "kind_wait", "service": "kind_service", "time in stage": "kind_sojourn"}
"""Catalogue words (``durations.*``) of each duration kind."""


def summary_rows(v: FitValidation, lang: str = "en") -> list[list[object]]:
    return [s.total_row(lang) for s in v.series]


def duration_rows(v: FitValidation, lang: str = "en") -> list[list[object]]:
    return [
        [
            d.stage,
            text(lang, f"durations.{KINDS[d.kind]}"),
            d.n_observed,
            d.median("observed"),
            d.median("simulated"),
            d.distance,
        ]
        for d in v.durations
    ]


SUMMARY_COLUMNS = ("measure", "key", "observed", "simulated", "mae", "bias", "coverage")
DURATION_COLUMNS = ("stage", "duration", "n", "median_observed", "median_simulated", "distance")


def summary_headers(lang: str = "en") -> list[str]:
    return [text(lang, f"validate_report.col_{c}") for c in SUMMARY_COLUMNS]


def duration_headers(lang: str = "en") -> list[str]:
    return [text(lang, f"validate_report.col_{c}") for c in DURATION_COLUMNS]


def validation_report(v: FitValidation, lang: str = "en") -> str:
    """Plots and tables of the comparison as one offline HTML page, in ``lang``."""

    def w(key: str, /, **fields: object) -> str:
        return text(lang, f"validate_report.{key}", **fields)

    intro = (
        f"<p><strong>{esc(w('verdict', word=render(verdict_word(v.verdict), lang)))}</strong> "
        f"{esc(v.verdict_text(lang))}</p><p>"
        + esc(
            w(
                "intro",
                name=v.scenario.name,
                start=long_date(v.replay.start_date, lang),
                weeks=number(v.replay.horizon_days / 7, 1, lang),
                n=number(v.replications, 0, lang),
                seed=v.seed,
            )
        )
        + "</p>"
        + "".join(line_element("p", n, lang, " class='note'") for n in v.notes)
    )
    sections = [
        (w("summary"), table(summary_headers(lang), summary_rows(v, lang))),
        (
            w("durations"),
            table(duration_headers(lang), duration_rows(v, lang)) + _duration_figures(v, lang),
        ),
    ]
    for measure in ("arrivals", "backlog", "throughput"):
        figures = []
        for s in (s for s in v.series if s.measure == measure):
            weeks = np.arange(1, len(s.observed) + 1)
            low, high = s.band
            fig = go.Figure()
            fig.add_scatter(x=weeks, y=high, line={"width": 0}, showlegend=False, hoverinfo="skip")
            fig.add_scatter(
                x=weeks,
                y=low,
                fill="tonexty",
                line={"width": 0},
                fillcolor="rgba(192,57,43,0.2)",
                name=w("band"),
            )
            fig.add_scatter(x=weeks, y=s.mean, name=w("simulated_mean"), line={"color": "#c0392b"})
            fig.add_scatter(x=weeks, y=s.observed, name=w("observed"), line={"color": "#2c5aa0"})
            fig.update_layout(
                title=w(f"chart_{measure}", key=s.key),
                xaxis_title=w("x_week"),
                yaxis_title=w(f"y_{measure}"),
            )
            figures.append(figure(fig, 300))
        sections.append((w(f"title_{measure}"), "".join(figures)))
    return page(w("title"), intro, sections, lang=lang)


def _duration_figures(v: FitValidation, lang: str = "en") -> str:
    def w(key: str, /, **fields: object) -> str:
        return text(lang, f"validate_report.{key}", **fields)

    parts = []
    for d in v.durations:
        fig = go.Figure()
        for label, km, color in (
            (w("km_observed"), d.observed, "#2c5aa0"),
            (w("km_simulated"), d.simulated, "#c0392b"),
        ):
            if km is not None:
                km = {k: np.concatenate([[0.0 if k == "time" else 1.0], v]) for k, v in km.items()}
                fig.add_scatter(
                    x=km["time"],
                    y=km["survival"],
                    name=label,
                    line={"shape": "hv", "color": color},
                )
        fig.update_layout(
            title=w("chart_duration", stage=d.stage, kind=text(lang, f"durations.{KINDS[d.kind]}")),
            xaxis_title=w("x_days"),
            yaxis_title=w("y_unfinished"),
        )
        parts.append(figure(fig, 280))
    return "".join(parts)
