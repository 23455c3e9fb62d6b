"""Waiting and service times fitted with right-censoring for cases still open.

A case still open at the as-of date has not finished, so its duration is only known to
be *longer* than what has elapsed. Dropping open cases keeps the short ones and loses
the long ones, so durations come out too short (and most of all for investigations,
where about half may be open). Each duration is therefore fitted by maximum likelihood
with ``scipy.stats.CensoredData``: a finished visit contributes its density, an open
one its survival function. Exponential, gamma, lognormal and Weibull are fitted and the
one with the smallest AIC is kept; the Kaplan-Meier curve (``scipy.stats.ecdf``) is the
distribution-free check shown beside it.

Durations recorded as zero (same minute, or same day for bare dates) are known only to
be shorter than the recording resolution, so they enter as left-censored at it.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import special, stats

from calibration.estimates import (
    Fitted,
    covariance_from_hessian,
    log_scale_interval,
    numeric_hessian,
)

FAMILIES = ("exponential", "gamma", "lognormal", "weibull")
MAX_CV = 10.0
"""The scenario schema's bound on a gamma or lognormal coefficient of variation."""
MIN_EVENTS_TWO_PARAMETERS = 3
"""Finished (uncensored) durations needed before a two-parameter family is tried: two
points always fit a two-parameter curve exactly."""


@dataclass
class Durations:
    """Observed durations (days) with their censoring; ``resolution`` per value."""

    values: np.ndarray
    finished: np.ndarray
    resolution: np.ndarray

    @property
    def n(self) -> int:
        return len(self.values)

    @property
    def events(self) -> int:
        return int(self.finished.sum())

    def censored_data(self) -> stats.CensoredData:
        below = self.finished & (self.values < self.resolution)
        exact = self.finished & ~below
        return stats.CensoredData(
            uncensored=self.values[exact],
            left=self.resolution[below],
            right=np.maximum(self.values[~self.finished], 1e-9),
        )

    def closed_only(self) -> Durations:
        keep = self.finished
        return Durations(self.values[keep], self.finished[keep], self.resolution[keep])

    def kaplan_meier(self, confidence: float) -> dict[str, np.ndarray] | None:
        """Kaplan-Meier survival with pointwise CI (zero durations at half the resolution)."""
        if self.events == 0:
            return None
        values = np.where(
            self.finished & (self.values < self.resolution), self.resolution / 2, self.values
        )
        data = stats.CensoredData(
            uncensored=values[self.finished], right=np.maximum(values[~self.finished], 1e-9)
        )
        result = stats.ecdf(data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ci = result.sf.confidence_interval(confidence_level=confidence)
        return {
            "time": result.sf.quantiles,
            "survival": result.sf.probabilities,
            "low": np.nan_to_num(ci.low.probabilities, nan=0.0),
            "high": np.nan_to_num(ci.high.probabilities, nan=1.0),
        }


def _frozen(family: str, theta: np.ndarray) -> stats.rv_continuous:
    """The scipy distribution for parameters on the log scale (see ``parameters``)."""
    if family == "exponential":
        return stats.expon(scale=math.exp(theta[0]))
    if family == "gamma":
        mean, cv = math.exp(theta[0]), math.exp(theta[1])
        a = 1.0 / cv**2
        return stats.gamma(a, scale=mean / a)
    if family == "lognormal":
        mean, cv = math.exp(theta[0]), math.exp(theta[1])
        s2 = math.log1p(cv**2)
        return stats.lognorm(math.sqrt(s2), scale=math.exp(math.log(mean) - s2 / 2))
    return stats.weibull_min(math.exp(theta[0]), scale=math.exp(theta[1]))


PARAMETER_NAMES = {
    "exponential": ("mean",),
    "gamma": ("mean", "cv"),
    "lognormal": ("mean", "cv"),
    "weibull": ("shape", "scale"),
}
"""The scenario format's parameters of each family (model.distributions); fitted on the
log scale so their Wald intervals stay positive."""


def _scipy_fit(family: str, data: stats.CensoredData) -> np.ndarray:
    """scipy's censored maximum likelihood fit, as log scenario parameters."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if family == "exponential":
            _, scale = stats.expon.fit(data, floc=0)
            return np.array([math.log(scale)])
        if family == "gamma":
            a, _, scale = stats.gamma.fit(data, floc=0)
            return np.array([math.log(a * scale), -0.5 * math.log(a)])
        if family == "lognormal":
            s, _, scale = stats.lognorm.fit(data, floc=0)
            mean = scale * math.exp(s * s / 2)
            return np.array([math.log(mean), 0.5 * math.log(math.expm1(s * s))])
        c, _, scale = stats.weibull_min.fit(data, floc=0)
        return np.array([math.log(c), math.log(scale)])


def log_likelihood(family: str, theta: np.ndarray, d: Durations) -> float:
    """Censored log-likelihood: density of finished, survival of open, CDF below resolution."""
    dist = _frozen(family, theta)
    below = d.finished & (d.values < d.resolution)
    exact = d.finished & ~below
    with np.errstate(all="ignore"):
        total = (
            dist.logpdf(d.values[exact]).sum()
            + dist.logsf(d.values[~d.finished]).sum()
            + dist.logcdf(d.resolution[below]).sum()
        )
    return float(total) if np.isfinite(total) else -math.inf


@dataclass
class FamilyFit:
    family: str
    theta: np.ndarray
    log_likelihood: float
    aic: float
    parameters: dict[str, Fitted] = field(default_factory=dict)
    mean: Fitted | None = None


@dataclass
class DurationFit:
    """The chosen family with its parameters, the alternatives, and the data summary."""

    label: str
    n: int
    events: int
    chosen: FamilyFit
    alternatives: list[FamilyFit]
    km: dict[str, np.ndarray] | None
    confidence: float
    closed_mean: float
    """Mean of the finished durations alone: what ignoring open cases would give."""

    @property
    def censored(self) -> int:
        return self.n - self.events

    def distribution(self, scale: float = 1.0) -> dict[str, object]:
        """The scenario-format distribution (model.distributions), times ``scale``."""
        return scenario_distribution(self.chosen.family, self.chosen.theta, scale)

    @property
    def mean_days(self) -> float:
        return float(_frozen(self.chosen.family, self.chosen.theta).mean())

    @property
    def cv(self) -> float:
        dist = _frozen(self.chosen.family, self.chosen.theta)
        return float(dist.std() / dist.mean())

    def survival(self, t: np.ndarray) -> np.ndarray:
        return _frozen(self.chosen.family, self.chosen.theta).sf(t)


def scenario_distribution(family: str, theta: np.ndarray, scale: float = 1.0) -> dict[str, object]:
    """{dist: ..., parameters} as the scenario format writes it, scaled by ``scale``.

    Scaling a duration keeps its family and coefficient of variation and multiplies
    its mean (Weibull: its scale), which is how service time becomes effort hours."""
    if family == "exponential":
        return {"dist": "exponential", "mean": math.exp(theta[0]) * scale}
    if family in ("gamma", "lognormal"):
        cv = min(math.exp(theta[1]), MAX_CV)
        return {"dist": family, "mean": math.exp(theta[0]) * scale, "cv": cv}
    return {"dist": "weibull", "shape": math.exp(theta[0]), "scale": math.exp(theta[1]) * scale}


def _mean_of(family: str, theta: np.ndarray) -> float:
    return float(_frozen(family, theta).mean())


def mle(family: str, d: Durations) -> tuple[np.ndarray, float] | None:
    """The censored maximum likelihood fit of one family (log scenario parameters) and its
    log-likelihood; None where scipy fails or the fit is not finite."""
    try:
        theta = _scipy_fit(family, d.censored_data())
    except (ValueError, RuntimeError, FloatingPointError, OverflowError, ZeroDivisionError):
        return None
    if not np.all(np.isfinite(theta)):
        return None
    ll = log_likelihood(family, theta, d)
    if not math.isfinite(ll):
        return None
    return theta, ll


def _family_fit(family: str, d: Durations, confidence: float, what: str) -> FamilyFit | None:
    found = mle(family, d)
    if found is None:
        return None
    theta, ll = found
    fit = FamilyFit(family, theta, ll, 2.0 * len(theta) - 2.0 * ll)
    cov = covariance_from_hessian(numeric_hessian(lambda x: -log_likelihood(family, x, d), theta))
    for i, name in enumerate(PARAMETER_NAMES[family]):
        fit.parameters[name] = log_scale_interval(
            float(theta[i]), float(cov[i, i]), confidence, d.n, what, f"{family}, censored MLE"
        )
    if family in ("exponential", "gamma", "lognormal"):
        fit.mean = fit.parameters["mean"]
    else:  # Weibull mean by the delta method: mean = scale * Gamma(1 + 1/shape)
        k = math.exp(theta[0])
        grad = np.array([-float(special.digamma(1.0 + 1.0 / k)) / k, 1.0])
        var = float(grad @ cov @ grad) if np.all(np.isfinite(cov)) else math.inf
        fit.mean = log_scale_interval(
            math.log(_mean_of(family, theta)), var, confidence, d.n, what, "weibull, censored MLE"
        )
    return fit


class DurationFitError(ValueError):
    """Too little data to fit a duration (no visit finished)."""


def fit_duration(
    label: str,
    d: Durations,
    confidence: float,
    what: str,
    family: str | None = None,
    with_km: bool = True,
) -> DurationFit:
    """Fit every family (or only ``family``, for bootstrap refits) and keep the best AIC."""
    if d.events == 0:
        raise DurationFitError(f"{label}: no visit has finished, so its duration cannot be fitted")
    exact = d.finished & (d.values >= d.resolution)
    if not exact.any():
        return _below_resolution(label, d, confidence, what)
    distinct = len(np.unique(d.values[exact]))
    families = [family] if family else list(FAMILIES)
    if family is None and distinct < MIN_EVENTS_TWO_PARAMETERS:
        families = ["exponential"]
    fits = [f for f in (_family_fit(name, d, confidence, what) for name in families) if f]
    if not fits:
        fits = [f for f in [_family_fit("exponential", d, confidence, what)] if f]
    if not fits:
        raise DurationFitError(f"{label}: no distribution could be fitted to {d.n} durations")
    fits.sort(key=lambda f: f.aic)
    return DurationFit(
        label=label,
        n=d.n,
        events=d.events,
        chosen=fits[0],
        alternatives=fits[1:],
        km=d.kaplan_meier(confidence) if with_km else None,
        confidence=confidence,
        closed_mean=float(d.values[d.finished].mean()),
    )


def _below_resolution(label: str, d: Durations, confidence: float, what: str) -> DurationFit:
    """Every finished duration was recorded as zero: all we know is that it is shorter
    than the recording resolution. Written as an exponential with half the resolution
    as its mean, and the interval (0, resolution); no family can be chosen."""
    resolution = float(np.median(d.resolution[d.finished]))
    mean = resolution / 2.0
    method = "all recorded as zero (below the recording resolution)"
    fitted = Fitted(mean, 0.0, resolution, d.n, what, method)
    family = FamilyFit("exponential", np.array([math.log(mean)]), math.nan, math.nan)
    family.parameters["mean"] = fitted
    family.mean = fitted
    return DurationFit(
        label=label,
        n=d.n,
        events=d.events,
        chosen=family,
        alternatives=[],
        km=None,
        confidence=confidence,
        closed_mean=float(d.values[d.finished].mean()),
    )
