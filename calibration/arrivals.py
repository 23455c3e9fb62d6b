"""Referral rates per source: level, trend, a change point, seasonality, over-dispersion.

The fitted model is exactly the one the engine simulates (``model.engine.sources``), so the
fitted numbers can be written straight into a scenario:

    rate(day d) = base x ramp(d) x step(d) x seasonal(month of d)

* ``ramp``: a linear trend from 1 at the window start to ``F`` at the as-of date (the
  scenario's ``ramp`` modifier; held after the as-of date: a fitted trend is not
  extrapolated, a planner adds growth on purpose);
* ``step``: a change of level by a factor from a date (a monitoring go-live, a new
  reporting line), either given by the user or found by scanning every day;
* ``seasonal``: 12 monthly multipliers with mean 1, tried only when the window holds
  enough years for each month to be seen more than once: either a smooth annual cycle
  (one harmonic: 2 parameters, so a few years of data can show it) or 12 free months
  (11 parameters, for profiles a cycle cannot follow);
* counts per week are Poisson, or negative binomial (the engine's ``burst_cv`` with
  weekly bursts) when a likelihood-ratio test says the weeks vary more than Poisson.

Which of trend, step and seasonality to keep is decided by BIC (a change point found by
scanning pays for its date as a parameter), so a step is not "found" in noise. The
change date's interval is the set of dates whose profile likelihood is within the
chi-squared cut-off (quasi-likelihood: scaled by the weekly over-dispersion).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize, special, stats

from calibration.estimates import (
    Fitted,
    covariance_from_hessian,
    delta_variance,
    hessian_from_gradient,
    log_scale_interval,
)
from calibration.wording import Message

DAYS_PER_WEEK = 7.0
DAYS_PER_YEAR = 365.0
_BOUNDS = {"base": (-30.0, 12.0), "trend": (-8.0, 8.0), "step": (-25.0, 25.0), "season": (-8, 8)}
"""Log-scale bounds that keep the optimiser finite; a fit at a bound is reported as such."""


@dataclass(frozen=True)
class ArrivalSettings:
    """Choices of the arrival fit (all exposed as ``acusim calibrate`` options)."""

    confidence: float = 0.95
    alpha: float = 0.05
    """Significance level of the Poisson vs negative binomial likelihood-ratio test."""
    detect_change_points: bool = True
    min_segment_days: int = 56
    """A change point leaves at least this many days on each side (8 weeks: shorter
    stretches cannot be told apart from a burst)."""
    seasonal_min_years: float = 2.0
    """Monthly seasonality is tried only if the window covers each month this often."""


@dataclass(frozen=True)
class ArrivalStructure:
    """Which components a source's model has: fixed when refitting bootstrap samples."""

    trend: bool
    step_day: int | None
    season: str | None
    """None, 'harmonic' (a smooth annual cycle) or 'monthly' (12 free months)."""
    negbin: bool


@dataclass
class ChangePoint:
    day: int
    date: dt.date
    low_date: dt.date
    high_date: dt.date
    factor: Fitted
    known: bool
    before: int
    after: int


@dataclass
class ArrivalFit:
    """One source's fitted rate model, with what the report needs to show it."""

    source: str
    n: int
    window_weeks: float
    structure: ArrivalStructure
    base_per_week: Fitted
    current_per_week: Fitted
    trend_factor: Fitted | None
    change: ChangePoint | None
    seasonal: list[Fitted] | None
    burst_cv: Fitted | None
    dispersion_test: tuple[float, float]
    """(likelihood-ratio statistic, p-value) for negative binomial vs Poisson."""
    candidates: list[dict[str, object]]
    weekly_observed: np.ndarray
    weekly_expected: np.ndarray
    notes: list[str] = field(default_factory=list)


class _Design:
    """The day grid of the window and the model's log-mean with its Jacobian."""

    def __init__(self, window_start: dt.date, window_days: float) -> None:
        self.n_days = max(1, math.ceil(window_days - 1e-9))
        self.exposure = np.ones(self.n_days)
        self.exposure[-1] = window_days - (self.n_days - 1)
        self.mid = np.arange(self.n_days) + self.exposure / 2.0
        self.ramp_days = max(1.0, math.floor(window_days))
        self.ramp_x = np.minimum(self.mid / self.ramp_days, 1.0)
        origin = np.datetime64(window_start, "D")
        dates = origin + np.arange(self.n_days).astype("timedelta64[D]")
        self.month = dates.astype("datetime64[M]").astype(int) % 12
        angle = 2.0 * math.pi * np.arange(12) / 12.0
        self.harmonic = np.column_stack([np.cos(angle), np.sin(angle)])  # month x 2
        self.week = np.arange(self.n_days) // 7
        self.n_weeks = int(self.week[-1]) + 1
        self.week_starts = np.arange(self.n_weeks) * 7
        self.week_exposure = np.add.reduceat(self.exposure, self.week_starts)
        self.log_exposure = np.log(self.exposure)
        self.window_start = window_start

    def names(self, s: ArrivalStructure) -> list[str]:
        names = ["base"]
        if s.trend:
            names.append("trend")
        if s.step_day is not None:
            names.append("step")
        if s.season == "monthly":
            names.extend(f"season{m}" for m in range(1, 12))
        elif s.season == "harmonic":
            names.extend(["season_cos", "season_sin"])
        return names

    def season_logs(self, theta: np.ndarray, s: ArrivalStructure) -> np.ndarray:
        """Log multiplier of each calendar month (January first), before normalising."""
        if s.season == "monthly":
            return np.concatenate([[0.0], theta[-11:]])
        if s.season == "harmonic":
            return self.harmonic @ theta[-2:]
        return np.zeros(12)

    def season_jacobian(self, s: ArrivalStructure) -> np.ndarray:
        """d(log month multiplier)/d(season parameters): month x parameters."""
        if s.season == "monthly":
            return np.vstack([np.zeros(11), np.eye(11)])
        if s.season == "harmonic":
            return self.harmonic
        return np.zeros((12, 0))

    def log_mu(self, theta: np.ndarray, s: ArrivalStructure) -> tuple[np.ndarray, np.ndarray]:
        """Daily log expected counts and their Jacobian (days x parameters)."""
        columns = [np.ones(self.n_days)]
        value = theta[0] + self.log_exposure
        i = 1
        if s.trend:
            factor = math.exp(theta[i])
            ramp = 1.0 + (factor - 1.0) * self.ramp_x
            value = value + np.log(ramp)
            columns.append(factor * self.ramp_x / ramp)
            i += 1
        if s.step_day is not None:
            after = (np.arange(self.n_days) >= s.step_day).astype(float)
            value = value + theta[i] * after
            columns.append(after)
            i += 1
        if s.season is not None:
            value = value + self.season_logs(theta, s)[self.month]
            jac = self.season_jacobian(s)[self.month]
            columns.extend(jac.T)
        return value, np.column_stack(columns)

    def fixed_part(self, theta: np.ndarray, s: ArrivalStructure) -> np.ndarray:
        """Daily multipliers other than base and step (exposure x ramp x season)."""
        no_step = ArrivalStructure(s.trend, None, s.season, s.negbin)
        reduced = np.delete(theta, 2 if s.trend else 1) if s.step_day is not None else theta
        value, _ = self.log_mu(reduced, no_step)
        return np.exp(value - reduced[0])


def _weekly_nll(
    params: np.ndarray,
    design: _Design,
    s: ArrivalStructure,
    y_week: np.ndarray,
    gradient: bool = True,
) -> tuple[float, np.ndarray] | float:
    """Negative log-likelihood of weekly counts (Poisson or negative binomial)."""
    theta = params[:-1] if s.negbin else params
    log_mu_d, jac = design.log_mu(theta, s)
    mu_d = np.exp(log_mu_d)
    mu = np.add.reduceat(mu_d, design.week_starts)
    dmu = np.add.reduceat(mu_d[:, None] * jac, design.week_starts, axis=0)
    mu = np.maximum(mu, 1e-300)
    if not s.negbin:
        nll = float(np.sum(mu - y_week * np.log(mu) + special.gammaln(y_week + 1.0)))
        if not gradient:
            return nll
        return nll, dmu.T @ (1.0 - y_week / mu)
    r = math.exp(-params[-1])
    ll = (
        special.gammaln(y_week + r)
        - special.gammaln(r)
        - special.gammaln(y_week + 1.0)
        + r * np.log(r / (r + mu))
        + y_week * np.log(mu / (r + mu))
    )
    nll = -float(np.sum(ll))
    if not gradient:
        return nll
    dl_dmu = y_week / mu - (y_week + r) / (r + mu)
    dl_dr = (
        special.digamma(y_week + r)
        - special.digamma(r)
        + np.log(r / (r + mu))
        + 1.0
        - (y_week + r) / (r + mu)
    )
    grad_theta = -(dmu.T @ dl_dmu)
    grad_alpha = float(np.sum(dl_dr)) * r  # d r / d log(alpha) = -r; minus for the NLL
    return nll, np.append(grad_theta, grad_alpha)


def _bounds(names: list[str], negbin: bool) -> list[tuple[float, float]]:
    bounds = [
        _BOUNDS[n.rstrip("0123456789").removesuffix("_cos").removesuffix("_sin")] for n in names
    ]
    return bounds + ([(-12.0, 4.0)] if negbin else [])


class _Fitter:
    """Maximum likelihood fits of one source's counts, cached and warm-started.

    Candidate models are nested (a seasonal model is the plain one plus month terms), so
    each fit starts from the closest model already fitted: this is what keeps the full
    model search to a few seconds."""

    def __init__(self, design: _Design, y_week: np.ndarray) -> None:
        self.design = design
        self.y_week = y_week
        self.cache: dict[ArrivalStructure, tuple[np.ndarray, float]] = {}

    def named(self, s: ArrivalStructure, params: np.ndarray) -> dict[str, float]:
        names = self.design.names(s) + (["log_alpha"] if s.negbin else [])
        return dict(zip(names, params.tolist(), strict=True))

    def _warm(self, s: ArrivalStructure) -> dict[str, float]:
        wanted = set(self.design.names(s)) | {"log_alpha"}
        best: dict[str, float] = {}
        for other, (params, _) in self.cache.items():
            values = self.named(other, params)
            overlap = len(wanted & set(values))
            if overlap > len(wanted & set(best)) or (overlap and not best):
                best = values
        return best

    def _start(self, s: ArrivalStructure, warm: dict[str, float]) -> np.ndarray:
        design = self.design
        names = design.names(s)
        total = max(float(self.y_week.sum()), 0.5)
        x0 = np.zeros(len(names) + (1 if s.negbin else 0))
        x0[0] = warm.get("base", math.log(total / design.exposure.sum()))
        for i, name in enumerate(names[1:], start=1):
            x0[i] = warm.get(name, 0.0)
        if s.season == "monthly" and "season1" not in warm and "season_cos" in warm:
            logs = design.harmonic @ np.array([warm["season_cos"], warm["season_sin"]])
            x0[len(names) - 11 : len(names)] = logs[1:] - logs[0]
            x0[0] += logs[0]
        if s.negbin:
            x0[-1] = warm.get("log_alpha", math.log(0.1))
        return x0

    def fit(self, s: ArrivalStructure) -> tuple[np.ndarray, float]:
        """Maximum likelihood parameters (theta, plus log alpha if negative binomial)."""
        if s not in self.cache:
            bounds = _bounds(self.design.names(s), s.negbin)
            args = (self.design, s, self.y_week)
            # SLSQP is several times faster than L-BFGS-B on these small problems; if it
            # stops short (a line-search failure), L-BFGS-B finishes from where it got to.
            result = optimize.minimize(
                _weekly_nll,
                self._start(s, self._warm(s)),
                args=args,
                jac=True,
                method="SLSQP",
                bounds=bounds,
            )
            if not result.success or not np.isfinite(result.fun):
                start = result.x if np.all(np.isfinite(result.x)) else self._start(s, {})
                result = optimize.minimize(
                    _weekly_nll, start, args=args, jac=True, method="L-BFGS-B", bounds=bounds
                )
            self.cache[s] = (result.x, float(result.fun))
        return self.cache[s]


def _scan(y_day: np.ndarray, fixed: np.ndarray, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Profile Poisson log-likelihood of a step at each day in [lo, hi) (closed form).

    With the other multipliers fixed, the levels before and after the step have
    closed-form MLEs (count / exposure), so every candidate day costs two cumsums."""
    n_cum = np.concatenate([[0.0], np.cumsum(y_day)])
    a_cum = np.concatenate([[0.0], np.cumsum(fixed)])
    days = np.arange(lo, hi)
    n1, a1 = n_cum[days], a_cum[days]
    n2, a2 = n_cum[-1] - n1, a_cum[-1] - a1
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(n1 > 0, n1 * np.log(n1 / a1), 0.0)
        t2 = np.where(n2 > 0, n2 * np.log(n2 / a2), 0.0)
    return days, t1 + t2 - n_cum[-1]


def _place_step(
    fitter: _Fitter, s: ArrivalStructure, y_day: np.ndarray, lo: int, hi: int
) -> tuple[ArrivalStructure, np.ndarray, float]:
    """Find the step day by alternating a closed-form scan with a full fit."""
    design = fitter.design
    base = ArrivalStructure(s.trend, None, s.season, s.negbin)
    theta, _ = fitter.fit(base)
    fixed = design.fixed_part(theta[: len(design.names(base))], base)
    day = None
    for _ in range(6):
        days, profile = _scan(y_day, fixed, lo, hi)
        best = int(days[int(np.argmax(profile))])
        if best == day:
            break
        day = best
        current = ArrivalStructure(s.trend, day, s.season, s.negbin)
        params, _ = fitter.fit(current)
        fixed = design.fixed_part(params[: len(design.names(current))], current)
    current = ArrivalStructure(s.trend, day, s.season, s.negbin)
    params, nll = fitter.fit(current)
    return current, params, nll


def _counts(design: _Design, received: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    edges = np.concatenate([[0.0], np.cumsum(design.exposure)])
    y_day = np.histogram(received, bins=edges)[0].astype(float)
    return y_day, np.add.reduceat(y_day, design.week_starts)


def fit_arrivals(
    source: str,
    received: np.ndarray,
    window_start: dt.date,
    window_days: float,
    settings: ArrivalSettings,
    known_change: dt.date | None = None,
) -> ArrivalFit:
    """Fit one source's rate model, choosing its components (see the module docstring)."""
    design = _Design(window_start, window_days)
    y_day, y_week = _counts(design, np.asarray(received, dtype=float))
    known_day = None if known_change is None else (known_change - window_start).days
    notes: list[str] = []
    if known_day is not None and not (0 < known_day < design.n_days):
        notes.append(
            Message(
                "fit_messages.change_ignored",
                date=known_change,
                start=window_start,
                end=window_start + dt.timedelta(days=design.n_days),
            )
        )
        known_day = None
    lo = settings.min_segment_days
    hi = design.n_days - settings.min_segment_days + 1
    detect = known_day is None and settings.detect_change_points and hi > lo
    season_ok = window_days / DAYS_PER_YEAR >= settings.seasonal_min_years
    step_options: list[str] = ["known"] if known_day is not None else ["none"]
    if detect:
        step_options.append("scan")

    seasons: tuple[str | None, ...] = (None, "harmonic", "monthly") if season_ok else (None,)
    found_days: set[int] = set()

    fitter = _Fitter(design, y_week)

    def fit_candidate(trend: bool, step: str, season: str | None, negbin: bool):
        if step != "scan":
            day = known_day if step == "known" else None
            structure = ArrivalStructure(trend, day, season, negbin)
            return (structure, *fitter.fit(structure))
        structure, params, nll = _place_step(
            fitter, ArrivalStructure(trend, None, season, negbin), y_day, lo, hi
        )
        found_days.add(int(structure.step_day))  # type: ignore[arg-type]
        # The alternating scan can settle on a local optimum: also try the days other
        # candidate models found, and keep the best.
        for day in found_days - {structure.step_day}:
            other = ArrivalStructure(trend, day, season, negbin)
            other_params, other_nll = fitter.fit(other)
            if other_nll < nll:
                structure, params, nll = other, other_params, other_nll
        return structure, params, nll

    # Over-dispersion: a likelihood-ratio test on the richest model (boundary: half chi2).
    richest = (True, step_options[-1], seasons[-1])
    _, _, nll_p = fit_candidate(*richest, negbin=False)
    _, _, nll_nb = fit_candidate(*richest, negbin=True)
    lr = max(0.0, 2.0 * (nll_p - nll_nb))
    p_value = 0.5 * float(stats.chi2.sf(lr, 1)) if lr > 0 else 1.0
    negbin = p_value < settings.alpha

    combos = list(itertools.product((False, True), step_options, seasons))
    fits = {combo: fit_candidate(*combo, negbin) for combo in combos}
    if "scan" in step_options:  # second pass: every scan model sees every day found
        fits.update({c: fit_candidate(*c, negbin) for c in combos if c[1] == "scan"})
    candidates = []
    best = None
    n_obs = design.n_weeks
    for (trend, step, season), (structure, params, nll) in fits.items():
        k = len(params) + (1 if step == "scan" else 0)
        bic = 2.0 * nll + k * math.log(n_obs)
        row = {
            "trend": trend,
            "change_point": {"none": "no", "known": "given", "scan": "found"}[step],
            "seasonal": season or "no",
            "log_likelihood": -nll,
            "parameters": k,
            "bic": bic,
            "chosen": False,
        }
        candidates.append(row)
        if best is None or bic < best[0]:
            best = (bic, structure, params, row)
    assert best is not None
    _, structure, params, row = best
    row["chosen"] = True
    return _summarise(
        source,
        design,
        structure,
        params,
        y_day,
        y_week,
        settings,
        known_day,
        notes,
        candidates,
        (lr, p_value),
    )


def refit_with_structure(
    source: str,
    received: np.ndarray,
    window_start: dt.date,
    window_days: float,
    settings: ArrivalSettings,
    structure: ArrivalStructure,
) -> ArrivalFit:
    """Refit with fixed components (bootstrap samples): no selection, no date search."""
    design = _Design(window_start, window_days)
    y_day, y_week = _counts(design, np.asarray(received, dtype=float))
    params, _ = _Fitter(design, y_week).fit(structure)
    return _summarise(
        source,
        design,
        structure,
        params,
        y_day,
        y_week,
        settings,
        structure.step_day,
        [],
        [],
        (math.nan, math.nan),
    )


def _summarise(
    source: str,
    design: _Design,
    s: ArrivalStructure,
    params: np.ndarray,
    y_day: np.ndarray,
    y_week: np.ndarray,
    settings: ArrivalSettings,
    known_day: int | None,
    notes: list[str],
    candidates: list[dict[str, object]],
    dispersion: tuple[float, float],
) -> ArrivalFit:
    """Point estimates, Wald intervals (log scale, delta method) and the change date CI."""
    conf = settings.confidence
    n = int(y_day.sum())
    names = design.names(s)
    hess = hessian_from_gradient(lambda x: _weekly_nll(x, design, s, y_week)[1], params)
    cov = covariance_from_hessian(hess)
    theta = params[: len(names)]
    season = np.exp(design.season_logs(theta, s))
    share = season / season.sum()
    season_jac = design.season_jacobian(s)  # month x season parameters
    n_season = season_jac.shape[1]
    season_cols = slice(len(names) - n_season, len(names))
    method = "negative binomial" if s.negbin else "Poisson"

    # Base rate (season-averaged, per week) at the window start, before any step.
    grad = np.zeros(len(params))
    grad[0] = 1.0
    if n_season:
        grad[season_cols] = share @ season_jac
    log_base = theta[0] + math.log(season.mean() * DAYS_PER_WEEK)
    base = log_scale_interval(
        log_base, delta_variance(grad, cov), conf, n, "referrals", f"{method}, per week"
    )
    # Rate at the as-of date: base x trend factor x step factor.
    grad_now = grad.copy()
    log_now = log_base
    trend = change = None
    if s.trend:
        i = names.index("trend")
        trend = log_scale_interval(theta[i], cov[i, i], conf, n, "referrals", "linear trend")
        grad_now[i] = 1.0
        log_now += theta[i]
    if s.step_day is not None:
        i = names.index("step")
        factor = log_scale_interval(theta[i], cov[i, i], conf, n, "referrals", "step")
        grad_now[i] = 1.0
        log_now += theta[i]
        change = _change_point(
            design, s, params, y_day, y_week, settings, known_day is not None, factor
        )
    current = log_scale_interval(
        log_now, delta_variance(grad_now, cov), conf, n, "referrals", f"{method}, per week"
    )
    seasonal = None
    if n_season:
        seasonal = []
        for m in range(12):
            g = np.zeros(len(params))
            g[season_cols] = season_jac[m] - share @ season_jac
            log_value = math.log(season[m] / season.mean())
            seasonal.append(
                log_scale_interval(log_value, delta_variance(g, cov), conf, n, "referrals", "")
            )
    burst = None
    if s.negbin:
        log_alpha = params[-1]
        a = log_scale_interval(
            log_alpha / 2.0, cov[-1, -1] / 4.0, conf, design.n_weeks, "weeks", ""
        )
        burst = Fitted(a.value, a.low, a.high, design.n_weeks, "weeks", "negative binomial")
    expected = np.add.reduceat(np.exp(design.log_mu(theta, s)[0]), design.week_starts)

    fit = ArrivalFit(
        source=source,
        n=n,
        window_weeks=float(design.exposure.sum() / DAYS_PER_WEEK),
        structure=s,
        base_per_week=base,
        current_per_week=current,
        trend_factor=trend,
        change=change,
        seasonal=seasonal,
        burst_cv=burst,
        dispersion_test=dispersion,
        candidates=candidates,
        weekly_observed=y_week,
        weekly_expected=expected,
        notes=notes,
    )
    _continuity(fit, conf)
    return fit


def _change_point(
    design: _Design,
    s: ArrivalStructure,
    params: np.ndarray,
    y_day: np.ndarray,
    y_week: np.ndarray,
    settings: ArrivalSettings,
    known: bool,
    factor: Fitted,
) -> ChangePoint:
    """The step's date with a profile-likelihood interval (scaled for over-dispersion)."""
    day = int(s.step_day)  # type: ignore[arg-type]
    names = design.names(s)
    fixed = design.fixed_part(params[: len(names)], s)
    lo = settings.min_segment_days
    hi = design.n_days - settings.min_segment_days + 1
    low = high = day
    if not known and hi > lo:
        theta = params[: len(names)]
        mu = np.add.reduceat(np.exp(design.log_mu(theta, s)[0]), design.week_starts)
        dof = max(1, design.n_weeks - len(params))
        phi = max(1.0, float(np.sum((y_week - mu) ** 2 / np.maximum(mu, 1e-12))) / dof)
        days, profile = _scan(y_day, fixed, lo, hi)
        cut = stats.chi2.ppf(settings.confidence, 1) * phi / 2.0
        inside = days[profile >= profile.max() - cut]
        low, high = int(inside.min()), int(inside.max())
        low, high = min(low, day), max(high, day)
    start = design.window_start
    return ChangePoint(
        day=day,
        date=start + dt.timedelta(days=day),
        low_date=start + dt.timedelta(days=low),
        high_date=start + dt.timedelta(days=high),
        factor=factor,
        known=known,
        before=int(y_day[:day].sum()),
        after=int(y_day[day:].sum()),
    )


def _continuity(fit: ArrivalFit, confidence: float) -> None:
    """A source with no referrals before (or after) its step.

    The scenario format multiplies a base rate by a step factor, so a source that
    starts at a date (zero before) cannot be written with a zero base rate. Half a
    referral over the weeks before the step (a continuity correction) stands for "none
    seen"; the interval is the exact Poisson one for zero events."""
    change = fit.change
    if change is None:
        return
    if change.before == 0:
        weeks = change.day / DAYS_PER_WEEK
        upper = -math.log((1.0 - confidence) / 2.0) / weeks
        base = Fitted(
            0.5 / weeks,
            0.0,
            upper,
            0,
            f"referrals in the {weeks:.1f} weeks before {change.date}",
            "none seen: 0.5 over the period (continuity correction) so the step can start it",
        )
        after_rate = fit.current_per_week
        factor_value = after_rate.value / base.value
        change.factor = Fitted(
            factor_value, math.nan, math.nan, change.after, "referrals after", "source starts here"
        )
        fit.base_per_week = base
        fit.notes.append(Message("fit_messages.source_starts", date=change.date))
    if change.after == 0:
        change.factor = Fitted(0.0, 0.0, math.nan, 0, "referrals after", "source stops here")
        fit.notes.append(Message("fit_messages.source_stops", date=change.date))
