"""Effort from the data: match each role's touch share to the backlog its history shows.

``effort.py`` seeds each stage's touch share from an assumed utilisation. That is an
assumption, and a bad one where demand stepped up or staffing changed within the window
(the average hides a saturated period). With ``staffing.csv`` we know the staff actually
in post over time, so the effort can be *estimated*: replay the fitted scenario over the
extract's own window (from empty, with its real staffing history and change points,
exactly as ``validate-fit`` does) and choose, per role, the multiplier ``f`` on its
stages' touch shares that makes the replay's open caseload (waiting + in progress, over
the role's stages, averaged over the weeks) equal the observed one.

The simulated caseload grows with the effort, so ``f`` is found by bisection on
``log f`` with **common random numbers** (the same seed and replications at every step,
so the comparison between two values of ``f`` is not drowned in noise). Roles are
matched one after another in the order of their first stage. Each stage's service time
stays as fitted: raising the work share lowers the ``other_elapsed_time`` delay by the
same amount, so the time in service is unchanged and only who is busy changes.

Then every *period* (the spans between staffing changes and arrival change points) is
matched separately where it needs to be: a period whose replay misses the observed
caseload beyond chance gets its own factor (``_match_periods``; the stage's service time
per period is ``effort_periods.py``'s). Last, each period is checked: a role whose replay
misses the observed caseload of a period by more than ``MISS_TOLERANCE``, or whose
replayed utilisation reaches 1 in a period, gets one warning line (words from
``calibration/text``).
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from calibration.effort_periods import MATERIAL_CHANGE, change_days, period_weeks
from calibration.extract import Extract
from calibration.types import Calibration
from calibration.wording import Message, Num, Share
from model.engine.sources import DAYS_PER_WEEK
from model.replications import run_replications
from model.scenario import Scenario, scenario_from_mapping

OTHER_TIME = "other_elapsed_time"
REPLICATIONS = 4
"""Replications per replay: the search needs the mean level, not the band."""
ROUNDS = 7
"""Bisection steps on log f at most (a half-bracket of log 4 shrinks to under 1.1%)."""
TOLERANCE_CASES, TOLERANCE_SHARE = 0.5, 0.03
"""The search stops when the replay's mean caseload is within max(0.5 cases, 3%)."""
LOW, HIGH = 0.25, 4.0
MISS_TOLERANCE = 0.25
"""A period's replayed mean caseload further than this from the observed one is a miss."""


@dataclass
class RoleMatch:
    role: str
    stages: list[str]
    seed_touch: dict[str, float]
    factor: float
    observed: float
    simulated: float
    at_bound: str | None = None
    """'low' or 'high': the search stopped at a bound (``warnings`` says which in words)."""
    period_factors: list[tuple[float, float, float]] = field(default_factory=list)
    """(start day, end day, factor) of the periods matched on their own (``_match_periods``)."""
    periods: list[dict[str, Any]] = field(default_factory=list)

    @property
    def touch(self) -> dict[str, float]:
        return {s: min(1.0, t * self.factor) for s, t in self.seed_touch.items()}


def _scaled(dist: dict[str, Any], factor: float) -> dict[str, Any]:
    dist = dict(dist)
    kind = dist["dist"]
    if kind in ("exponential", "gamma", "lognormal"):
        dist["mean"] = dist["mean"] * factor
    elif kind == "weibull":
        dist["scale"] = dist["scale"] * factor
    elif kind == "fixed":
        dist["value"] = dist["value"] * factor
    elif kind == "triangular":
        for key in ("min", "mode", "max"):
            dist[key] = dist[key] * factor
    elif kind == "empirical":
        dist["values"] = [v * factor for v in dist["values"]]
    return dist


def with_touch(scenario: Scenario, seed_touch: dict[str, float], factor: float) -> Scenario:
    """The scenario with the stages' touch shares multiplied by ``factor`` (at most 1)."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    for stage, t in seed_touch.items():
        spec = data["stages"][stage]
        # the stage's own effort and every period's (effort_changes) move together
        for part in [spec, *spec.get("effort_changes", [])]:
            _retouch(part, t, min(1.0, t * factor))
    return scenario_from_mapping(data, "history-match")


def _retouch(spec: dict[str, Any], t: float, new: float) -> None:
    """Effort times new / t; the rest of the service time times (1 - new) / (1 - t)."""
    spec["effort_hours"] = _scaled(spec["effort_hours"], new / t)
    if "external_delays" not in spec:
        return  # an effort change that keeps the stage's delays
    delays = []
    for d in spec["external_delays"]:
        if d["name"] == OTHER_TIME and t < 1.0:
            rest = (1.0 - new) / (1.0 - t)
            if rest <= 1e-6:
                continue
            d = {**d, "duration_days": _scaled(d["duration_days"], rest)}
        delays.append(d)
    spec["external_delays"] = delays


def replay(scenario: Scenario, extract: Extract, weeks: int | None = None) -> Scenario:
    """The scenario from the window start, empty, over the window's whole weeks (or the
    first ``weeks`` of them)."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_none=True)
    if weeks is None:
        weeks = math.floor(extract.window_days / DAYS_PER_WEEK)
    data.update(
        start_date=extract.window_start.isoformat(),
        horizon_years=weeks * DAYS_PER_WEEK / 365.0,
        warmup_days=0,
        initial_backlog=[],
    )
    return scenario_from_mapping(data, "history-match")


def observed_open(extract: Extract, stages: list[str], ends: np.ndarray) -> np.ndarray:
    ev = extract.events.loc[extract.events["stage"].isin(stages)]
    queued = ev["queued"].to_numpy(dtype=float)
    finished = np.nan_to_num(ev["finished"].to_numpy(dtype=float), nan=np.inf)
    return ((queued[None, :] <= ends[:, None]) & (finished[None, :] > ends[:, None])).sum(1)


def _simulate(scenario: Scenario, seed: int) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Mean weekly open caseload per stage and utilisation per role (CRN: fixed seed)."""
    results = run_replications(scenario, replications=REPLICATIONS, seed=seed)
    first = results.replications[0]
    stages = first.labels["backlog_waiting"]
    roles = first.labels["utilisation"]
    open_ = np.mean(
        [
            r.series["backlog_waiting"] + r.series["backlog_in_progress"]
            for r in results.replications
        ],
        axis=0,
    )
    util = np.mean([r.series["utilisation"] for r in results.replications], axis=0)
    return (
        {s: open_[:, j] for j, s in enumerate(stages)},
        {r: util[:, j] for j, r in enumerate(roles)},
    )


def periods(extract: Extract, cal: Calibration, n_weeks: int) -> list[tuple[int, int]]:
    """Week ranges between staffing changes and arrival change points (short ones merged)."""
    return period_weeks(change_days(extract, cal.arrivals.values()), n_weeks)


def match_history(
    scenario: Scenario, extract: Extract, cal: Calibration, seed: int, search: bool = True
) -> tuple[Scenario, list[RoleMatch]]:
    """The scenario with each staffed role's touch shares matched to its observed caseload.

    ``search=False`` only replays and checks each period (the factors stay 1)."""
    base = replay(scenario, extract)
    n_weeks = round(base.horizon_days / DAYS_PER_WEEK)
    ends = DAYS_PER_WEEK * np.arange(1, n_weeks + 1)
    spans = periods(extract, cal, n_weeks)
    matches: list[RoleMatch] = []
    observed: dict[str, np.ndarray] = {}  # each role's observed weekly open caseload
    current = scenario
    order = sorted(
        cal.efforts,
        key=lambda r: min((list(cal.stages).index(s) for s in cal.efforts[r].touch), default=0),
    )
    for role in order:
        effort = cal.efforts[role]
        touch = {s: t for s, t in effort.touch.items() if t > 0}
        if not touch:
            continue
        stages = list(touch)
        observed[role] = observed_open(extract, stages, ends).astype(float)
        target = float(observed[role].mean())

        def gap(
            f: float, current: Scenario = current, touch=touch, stages=stages, target=target
        ) -> float:
            sim, _ = _simulate(replay(with_touch(current, touch, f), extract), seed)
            return float(sum(sim[s] for s in stages).mean()) - target

        high = min(HIGH, 1.0 / max(touch.values()))
        tol = max(TOLERANCE_CASES, TOLERANCE_SHARE * target)
        first = gap(1.0) if search else 0.0
        f, bound = _search(gap, first, high, tol)
        current = with_touch(current, touch, f)
        matches.append(RoleMatch(role, stages, touch, f, target, math.nan, bound))
    if search:
        current = _match_periods(current, extract, cal, matches, spans, ends, observed, seed)
    sim, util = _simulate(replay(current, extract), seed)
    for m in matches:
        simulated = sum(sim[s] for s in m.stages)
        m.simulated = float(simulated.mean())
        for a, b in spans:
            m.periods.append(
                {
                    "from": extract.window_start + dt.timedelta(days=7 * a),
                    "to": extract.window_start + dt.timedelta(days=7 * b),
                    "observed": float(observed[m.role][a:b].mean()),
                    "simulated": float(simulated[a:b].mean()),
                    "utilisation": _nanmean(util[m.role][a:b]) if m.role in util else math.nan,
                    "factor": next(
                        (g for s, _, g in m.period_factors if s == DAYS_PER_WEEK * a), 1.0
                    ),
                }
            )
    return current, matches


def _search(gap, first: float, high: float, tol: float) -> tuple[float, str | None]:
    """The factor whose replay matches (``gap`` = simulated - observed caseload, rising with
    the factor), by bracketing on log f from 1 and bisecting; with the bound it stopped at."""
    if abs(first) <= tol:
        return 1.0, None
    if first > 0:
        lo, hi = math.log(LOW), 0.0
        if gap(LOW) > 0:
            return LOW, "low"  # too long even at a quarter effort
    else:
        lo, hi = 0.0, math.log(max(high, 1.0))
        outer = gap(math.exp(hi)) if hi > 0 else first
        if outer < 0:
            return math.exp(hi), "high"  # too short even with all service time as work
    for _ in range(ROUNDS):
        mid = (lo + hi) / 2
        value = gap(math.exp(mid))
        if abs(value) <= tol:
            return math.exp(mid), None
        if value > 0:
            hi = mid
        else:
            lo = mid
    return math.exp((lo + hi) / 2), None


CHECK_REPLICATIONS = 8
"""Replications of the check that decides whether a period is matched on its own."""


def _beyond_chance(
    scenario: Scenario,
    extract: Extract,
    stages: list[str],
    a: int,
    b: int,
    target: float,
    seed: int,
) -> bool:
    """Whether the observed mean caseload of weeks [a, b) misses the replay by more than
    ``MISS_TOLERANCE`` *and* lies outside the replay's 95% prediction interval for one
    realisation (t on ``CHECK_REPLICATIONS`` replications): the history is one realisation,
    and a busy queue's caseload wanders far from its mean by chance alone, so matching every
    miss would fit noise."""
    results = run_replications(
        replay(scenario, extract, weeks=b), replications=CHECK_REPLICATIONS, seed=seed
    )
    labels = results.replications[0].labels["backlog_waiting"]
    columns = [labels.index(s) for s in stages]
    means = np.array(
        [
            (r.series["backlog_waiting"] + r.series["backlog_in_progress"])[a:b, columns]
            .sum(axis=1)
            .mean()
            for r in results.replications
        ]
    )
    n = len(means)
    half = stats.t.ppf(0.975, n - 1) * means.std(ddof=1) * math.sqrt(1 + 1 / n)
    miss = abs(target - means.mean())
    return miss > MISS_TOLERANCE * max(target, 1.0) and miss > half


def _matched(cal: Calibration, matches: list[RoleMatch]) -> Calibration:
    """A copy of the calibration with the matched touch shares (to render periods from)."""
    out = copy.copy(cal)
    out.efforts = dict(cal.efforts)
    for m in matches:
        effort = cal.efforts[m.role]
        out.efforts[m.role] = dataclasses.replace(
            effort, touch={**effort.touch, **m.touch}, period_factors=[]
        )
    return out


def _match_periods(
    current: Scenario,
    extract: Extract,
    cal: Calibration,
    matches: list[RoleMatch],
    spans: list[tuple[int, int]],
    ends: np.ndarray,
    observed: dict[str, np.ndarray],
    seed: int,
) -> Scenario:
    """History matching per period: where one touch share per role leaves a period's replay
    more than ``MISS_TOLERANCE`` from the observed caseload, that period gets its own factor
    on the role's touch shares, found as the whole window's was (the replay stops at the
    period's end; earlier periods as already matched). A factor is kept only when it brings
    the period within tolerance without reaching a bound and moves the touch share by more
    than ``MATERIAL_CHANGE``; otherwise the role keeps one value there and the check warns."""
    from calibration.writer import scenario_mapping  # the writer renders the schedule

    matched = _matched(cal, matches)
    n_weeks = len(ends)

    def render() -> Scenario:
        mapping, _, _ = scenario_mapping(matched)
        return scenario_from_mapping(mapping, "history-match")

    moved = False
    for m in matches:
        effort = matched.efforts[m.role]
        high = min(HIGH, 1.0 / max(effort.touch[s] for s in m.stages))
        kept: list[tuple[float, float, float]] = []
        for a, b in spans:
            target = float(observed[m.role][a:b].mean())
            start = DAYS_PER_WEEK * a
            end = extract.window_days if b == n_weeks else DAYS_PER_WEEK * b

            def gap(
                g: float,
                a=a,
                b=b,
                start=start,
                end=end,
                target=target,
                m=m,
                kept=kept,
                effort=effort,
            ):
                effort.period_factors = [*kept, (start, end, g)]
                sim, _ = _simulate(replay(render(), extract, weeks=b), seed)
                return float(sum(sim[s] for s in m.stages)[a:b].mean()) - target

            first = gap(1.0)  # cheap test first (4 replications, common random numbers)
            if abs(first) <= MISS_TOLERANCE * max(target, 1.0):
                continue
            effort.period_factors = list(kept)
            if not _beyond_chance(render(), extract, m.stages, a, b, target, seed):
                continue
            tol = max(TOLERANCE_CASES, TOLERANCE_SHARE * target)
            g, bound = _search(gap, first, high, tol)
            if bound is None and abs(math.log(g)) > math.log1p(MATERIAL_CHANGE):
                kept.append((start, end, g))
                moved = True
        effort.period_factors = list(kept)
        if kept:  # the role's one factor was matched with these periods in: match it again
            kept = _rematch_rest(m, effort, kept, observed[m.role], extract, render, seed)
        m.period_factors = kept
    return render() if moved else current


def _rematch_rest(
    m: RoleMatch,
    effort: Any,
    kept: list[tuple[float, float, float]],
    observed: np.ndarray,
    extract: Extract,
    render: Any,
    seed: int,
) -> list[tuple[float, float, float]]:
    """The role's one factor, matched again on the weeks *outside* the periods that got
    their own (those were part of the first match and pulled it their way); the periods'
    own touch shares stay as matched. Updates ``m.factor`` and returns the periods' factors
    relative to the new one."""
    own = np.zeros(len(observed), dtype=bool)
    for start, end, _ in kept:
        own[round(start / DAYS_PER_WEEK) : math.ceil(end / DAYS_PER_WEEK)] = True
    if own.all():
        return kept
    target = float(observed[~own].mean())
    base = dict(effort.touch)

    def gap(h: float) -> float:
        effort.touch = {s: min(1.0, t * h) for s, t in base.items()}
        effort.period_factors = [(a, b, g / h) for a, b, g in kept]
        sim, _ = _simulate(replay(render(), extract), seed)
        return float(sum(sim[s] for s in m.stages)[~own].mean()) - target

    tol = max(TOLERANCE_CASES, TOLERANCE_SHARE * target)
    high = min(HIGH, 1.0 / max(base[s] for s in m.stages))
    h, _ = _search(gap, gap(1.0), high, tol)
    effort.touch = {s: min(1.0, t * h) for s, t in base.items()}
    effort.period_factors = [(a, b, g / h) for a, b, g in kept]
    m.factor *= h
    return list(effort.period_factors)


def warnings(matches: list[RoleMatch]) -> list[Message]:
    """One line per role whose replay is overloaded or misses a period's caseload, as
    catalogue messages so a Welsh page can render them in Welsh."""
    lines = []
    for m in matches:
        busy = [p for p in m.periods if p["utilisation"] >= 0.995]
        missed = [
            p
            for p in m.periods
            if abs(p["simulated"] - p["observed"]) > MISS_TOLERANCE * max(p["observed"], 1.0)
        ]
        parts = []
        if busy:
            p = busy[0]
            parts.append(
                Message(
                    "fit_messages.busy", share=Share(p["utilisation"]), start=p["from"], end=p["to"]
                )
            )
        if missed:
            p = max(missed, key=lambda p: abs(p["simulated"] - p["observed"]))
            parts.append(
                Message(
                    "fit_messages.missed",
                    start=p["from"],
                    end=p["to"],
                    simulated=Num(p["simulated"], 1),
                    observed=Num(p["observed"], 1),
                )
            )
        if m.at_bound:
            parts.append(Message(f"fit_messages.bound_{m.at_bound}"))
        if parts:
            lines.append(Message("fit_messages.role_warning", role=m.role, parts=parts))
    return lines


def _nanmean(values: np.ndarray) -> float:
    values = values[np.isfinite(values)]
    return float(values.mean()) if len(values) else math.nan


def refit_with_matches(
    extract: Extract,
    cal: Calibration,
    matches: list[RoleMatch],
    template: Scenario | None,
) -> Calibration:
    """Fit again with the matched touch shares fixed, so the file's comments say so."""
    from calibration.calibrate import fit_extract

    shares = dict(cal.settings.touch_shares)
    for m in matches:
        shares.update(m.touch)
    settings = cal.settings.model_copy(update={"touch_shares": shares})
    refit = fit_extract(extract, settings, template)
    factors = {m.role: tuple(m.period_factors) for m in matches if m.period_factors}
    refit.structure = dataclasses.replace(refit.structure, touch_factors=factors)
    for m in matches:
        effort = refit.efforts[m.role]
        effort.period_factors = list(m.period_factors)
        for stage in m.stages:
            effort.basis[stage] = Message(
                "fit_messages.basis_matched",
                factor=f"{m.factor:.3f}",
                seed=f"{m.seed_touch[stage]:.3f}",
                simulated=f"{m.simulated:.1f}",
                observed=f"{m.observed:.1f}",
            )
    refit.warnings.extend(warnings(matches))
    refit.role_checks = matches
    return refit
