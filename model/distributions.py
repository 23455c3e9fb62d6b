"""Effort and delay distributions as they appear in scenario files.

Each distribution is a small pydantic model tagged by ``dist`` so a scenario
can say ``{dist: gamma, mean: 80, cv: 0.8}``. Gamma and lognormal are given
by mean and coefficient of variation because that is how planners think about
effort ("about 80 hours, give or take 80%"); the shape parameters are derived.
``mean()`` is exact so the analytic staffing estimate can use it.
"""

from __future__ import annotations

import math
import types
import typing
from abc import abstractmethod
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    model_validator,
)

MAX_DURATION = 100_000.0
"""Largest mean, scale or value of a duration or effort (hours or days). Basis: 100,000 days
is 274 years, 100,000 hours about 57 working years; no casework comes close, and durations
beyond this overflow nothing but make every case outlive the horizon."""


def _numeric_shape(annotation: Any) -> str | None:
    """'number', 'list' or 'dict' where a field holds numbers (or lists/dicts of them)."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _numeric_shape(typing.get_args(annotation)[0])
    if annotation in (float, int):
        return "number"
    if origin in (typing.Union, types.UnionType):
        shapes = {_numeric_shape(a) for a in typing.get_args(annotation)} - {None}
        return shapes.pop() if len(shapes) == 1 else None
    if origin is list and _numeric_shape(typing.get_args(annotation)[0]) == "number":
        return "list"
    if origin is dict and _numeric_shape(typing.get_args(annotation)[1]) == "number":
        return "dict"
    return None


def _not_a_number(value: Any) -> str | None:
    if isinstance(value, bool):
        return f"must be a number, not {str(value).lower()}"
    if isinstance(value, str | bytes):
        return f"must be a number, not text ({str(value)[:40]!r})"
    return None


class NumbersOnly(BaseModel):
    """Numeric fields take numbers only: pydantic would turn ``"3"`` and ``true`` into 3 and
    1; here they are errors naming the field. An integer is still accepted for a float field
    (YAML ``3``). (A model-level check: a field validator cannot sit on the union tags.)"""

    @model_validator(mode="before")
    @classmethod
    def _numbers_only(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        problems = []
        for name, field in cls.model_fields.items():
            shape = _numeric_shape(field.annotation)
            if shape is None:
                continue
            key = field.alias if field.alias in data else name
            if key not in data:
                continue
            value = data[key]
            if shape == "number":
                items = [(key, value)]
            elif shape == "list" and isinstance(value, list):
                items = [(f"{key}.{i}", v) for i, v in enumerate(value)]
            elif shape == "dict" and isinstance(value, dict):
                items = [(f"{key}.{k}", v) for k, v in value.items()]
            else:
                continue
            problems += [f"{where}: {why}" for where, v in items if (why := _not_a_number(v))]
        if problems:
            raise ValueError("\n".join(problems[:50]))
        return data


def remaining_by_tail_inversion(
    frozen: Any, mean: float, rng: np.random.Generator, ages: np.ndarray
) -> np.ndarray:
    """``X - a`` given ``X > a`` for a family with a scipy form (``frozen``), one draw per
    age ``a``: exact inversion of the survival function on the tail (``X = S^-1(U S(a))``,
    one uniform per age, so a draw is a pure function of its uniform). Where ``S(a)``
    underflows (an age beyond any modelled duration) the tail is continued at the hazard
    at ``a`` (an exponential remainder), the best the fitted family can say there."""
    ages = np.maximum(np.asarray(ages, dtype=float), 0.0)
    u = rng.random(ages.shape)
    log_tail = frozen.logsf(ages)
    target = np.log(np.maximum(u, np.finfo(float).tiny)) + log_tail
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        x = frozen.isf(np.exp(target))
        hazard = np.exp(frozen.logpdf(ages) - log_tail)
    fallback = ~np.isfinite(x) | (x < ages) | (np.exp(target) <= 0)
    if fallback.any():
        rate = np.where(np.isfinite(hazard) & (hazard > 0), hazard, 1.0 / mean)
        x = np.where(fallback, ages - np.log(np.maximum(u, 1e-300)) / rate, x)
    return np.maximum(x - ages, 0.0)


class _Dist(NumbersOnly):
    # defer_build: the validators are built on first use, not at import (start-up time:
    # a scenario's validation builds its whole tree once; see docs/performance.md).
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False, defer_build=True
    )

    @abstractmethod
    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """See subclasses."""

    @abstractmethod
    def mean(self) -> float:
        """See subclasses."""

    @abstractmethod
    def second_moment(self) -> float:
        """See subclasses."""

    @abstractmethod
    def sample_remaining(self, rng: np.random.Generator, ages: np.ndarray) -> np.ndarray:
        """``X - a`` given ``X > a``, one draw per age ``a``: the time still to run. A case
        already open for ``a`` days does not start its duration afresh; it spends what
        remains of a duration known to exceed ``a``. Families with a closed form give it;
        the others invert their survival function (:func:`remaining_by_tail_inversion`)."""


class Exponential(_Dist):
    """Memoryless durations: the M in M/M/c."""

    dist: Literal["exponential"]
    mean_value: float = Field(
        alias="mean", gt=0, le=MAX_DURATION, description="Mean (in the field's unit)."
    )

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.exponential(self.mean_value, size)

    def mean(self) -> float:
        return self.mean_value

    def second_moment(self) -> float:
        return 2.0 * self.mean_value**2

    def sample_remaining(self, rng: np.random.Generator, ages: np.ndarray) -> np.ndarray:
        """Memoryless: the time still to run does not depend on the age."""
        ages = np.asarray(ages, dtype=float)
        u = rng.random(ages.shape)
        return -self.mean_value * np.log1p(-u)


class Gamma(_Dist):
    """Right-skewed work content, given by mean and coefficient of variation."""

    dist: Literal["gamma"]
    mean_value: float = Field(
        alias="mean", gt=0, le=MAX_DURATION, description="Mean (in the field's unit)."
    )
    cv: float = Field(gt=0, le=10, description="Coefficient of variation (sd / mean).")

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        shape = 1.0 / self.cv**2
        return rng.gamma(shape, self.mean_value / shape, size)

    def mean(self) -> float:
        return self.mean_value

    def second_moment(self) -> float:
        return self.mean_value**2 * (1.0 + self.cv**2)

    def _scipy(self):
        from scipy import stats

        shape = 1.0 / self.cv**2
        return stats.gamma(shape, scale=self.mean_value / shape)

    def sample_remaining(self, rng: np.random.Generator, ages: np.ndarray) -> np.ndarray:
        return remaining_by_tail_inversion(self._scipy(), self.mean_value, rng, ages)


class LogNormal(_Dist):
    """Long-tailed durations (investigations, hearing dates), by mean and cv."""

    dist: Literal["lognormal"]
    mean_value: float = Field(
        alias="mean", gt=0, le=MAX_DURATION, description="Mean (in the field's unit)."
    )
    cv: float = Field(gt=0, le=10, description="Coefficient of variation (sd / mean).")

    def _params(self) -> tuple[float, float]:
        sigma2 = math.log1p(self.cv**2)
        return math.log(self.mean_value) - sigma2 / 2.0, math.sqrt(sigma2)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        mu, sigma = self._params()
        return rng.lognormal(mu, sigma, size)

    def mean(self) -> float:
        return self.mean_value

    def second_moment(self) -> float:
        return self.mean_value**2 * (1.0 + self.cv**2)

    def _scipy(self):
        from scipy import stats

        mu, sigma = self._params()
        return stats.lognorm(sigma, scale=math.exp(mu))

    def sample_remaining(self, rng: np.random.Generator, ages: np.ndarray) -> np.ndarray:
        return remaining_by_tail_inversion(self._scipy(), self.mean_value, rng, ages)


class Weibull(_Dist):
    """Durations fitted by calibration (shape < 1: decreasing hazard)."""

    dist: Literal["weibull"]
    shape: float = Field(
        ge=0.1,
        le=100,
        description="Shape parameter k (0.1-100: below 0.1 the mean is Gamma(1 + 1/k) x "
        "scale, over 10^6 x scale, and overflows soon after; fitted case durations have "
        "k of about 0.5-3).",
    )
    scale: float = Field(
        gt=0, le=MAX_DURATION, description="Scale parameter (in the field's unit)."
    )

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return self.scale * rng.weibull(self.shape, size)

    def mean(self) -> float:
        return self.scale * math.gamma(1.0 + 1.0 / self.shape)

    def second_moment(self) -> float:
        return self.scale**2 * math.gamma(1.0 + 2.0 / self.shape)

    def sample_remaining(self, rng: np.random.Generator, ages: np.ndarray) -> np.ndarray:
        """Closed form: ``S(x) = exp(-(x/scale)^k)``, so ``X = scale (z^k - ln U)^(1/k)``."""
        ages = np.maximum(np.asarray(ages, dtype=float), 0.0)
        u = rng.random(ages.shape)
        z = (ages / self.scale) ** self.shape - np.log1p(-u)
        return np.maximum(self.scale * z ** (1.0 / self.shape) - ages, 0.0)


class Triangular(_Dist):
    """Expert judgement: least, most likely and most (e.g. 5-20 minutes an alert)."""

    dist: Literal["triangular"]
    min: float = Field(ge=0, le=MAX_DURATION, description="Least value.")
    mode: float = Field(ge=0, le=MAX_DURATION, description="Most likely value.")
    max: float = Field(gt=0, le=MAX_DURATION, description="Largest value.")

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not (self.min <= self.mode <= self.max) or self.min == self.max:
            raise ValueError("needs min <= mode <= max and min < max")
        return self

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.triangular(self.min, self.mode, self.max, size)

    def mean(self) -> float:
        return (self.min + self.mode + self.max) / 3.0

    def second_moment(self) -> float:
        a, c, b = self.min, self.mode, self.max
        variance = (a * a + b * b + c * c - a * b - a * c - b * c) / 18.0
        return variance + self.mean() ** 2

    def _scipy(self):
        from scipy import stats

        width = self.max - self.min
        return stats.triang((self.mode - self.min) / width, loc=self.min, scale=width)

    def sample_remaining(self, rng: np.random.Generator, ages: np.ndarray) -> np.ndarray:
        """Inverse survival on the tail; an age at or past ``max`` has nothing left."""
        ages = np.asarray(ages, dtype=float)
        past = ages >= self.max
        remaining = remaining_by_tail_inversion(
            self._scipy(), self.mean(), rng, np.where(past, self.min, ages)
        )
        return np.where(past, 0.0, remaining)


class Fixed(_Dist):
    """A deterministic value (the D in M/D/1)."""

    dist: Literal["fixed"]
    value: float = Field(ge=0, le=MAX_DURATION, description="The value (in the field's unit).")

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return np.full(size, self.value, dtype=float)

    def mean(self) -> float:
        return self.value

    def second_moment(self) -> float:
        return self.value**2

    def sample_remaining(self, rng: np.random.Generator, ages: np.ndarray) -> np.ndarray:
        """What is left of the one value (nothing once the age reaches it)."""
        ages = np.asarray(ages, dtype=float)
        rng.random(ages.shape)  # one uniform per age, as every family
        return np.maximum(self.value - ages, 0.0)


class Empirical(_Dist):
    """Resample observed values (optionally weighted), e.g. from a case extract."""

    dist: Literal["empirical"]
    values: list[Annotated[float, Field(ge=0, le=MAX_DURATION)]] = Field(
        min_length=1,
        max_length=100_000,
        description="Observed values to resample (at most 100,000: a force's whole case "
        "history is a few tens of thousands of cases).",
    )
    weights: list[Annotated[float, Field(ge=0, le=1e9)]] | None = Field(
        default=None,
        description="Relative weights, one per value (default: equal; each at most 10^9, so "
        "their sum cannot overflow).",
    )

    @model_validator(mode="after")
    def _weights_match(self) -> Empirical:
        if self.weights is not None:
            if len(self.weights) != len(self.values):
                raise ValueError("weights must have one entry per value")
            if sum(self.weights) <= 0:
                raise ValueError("weights must not all be zero")
        return self

    def _p(self) -> np.ndarray:
        w = np.ones(len(self.values)) if self.weights is None else np.asarray(self.weights, float)
        return w / w.sum()

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values, float), size=size, p=self._p())

    def mean(self) -> float:
        return float(np.dot(self._p(), self.values))

    def second_moment(self) -> float:
        return float(np.dot(self._p(), np.square(self.values)))

    def sample_remaining(self, rng: np.random.Generator, ages: np.ndarray) -> np.ndarray:
        """Resample from the values above each age (weights renormalised); none: nothing left."""
        ages = np.asarray(ages, dtype=float)
        u = rng.random(ages.shape)
        order = np.argsort(self.values, kind="stable")
        values = np.asarray(self.values, float)[order]
        p = self._p()[order]
        # cumulative weight of the values strictly above each age, from the top
        above = np.cumsum(p[::-1])[::-1]
        first = np.searchsorted(values, ages, side="right")
        out = np.zeros(ages.shape)
        for i, (start, a, ui) in enumerate(
            zip(first.ravel(), ages.ravel(), u.ravel(), strict=True)
        ):
            if start >= len(values) or above[start] <= 0:
                continue
            cumulative = np.cumsum(p[start:])
            k = int(np.searchsorted(cumulative, ui * cumulative[-1], side="right"))
            out.flat[i] = values[start + min(k, len(cumulative) - 1)] - a
        return out


Distribution = Annotated[
    Exponential | Gamma | LogNormal | Weibull | Triangular | Fixed | Empirical,
    Field(discriminator="dist"),
]

DISTRIBUTION_NAMES = (
    "exponential",
    "gamma",
    "lognormal",
    "weibull",
    "triangular",
    "fixed",
    "empirical",
)
