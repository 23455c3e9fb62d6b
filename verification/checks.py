"""The engine's verification suite: simulated figures against queueing theory and identities.

A reviewer who doubts the staffing numbers should not have to read the engine.
Each check here runs the *unmodified* engine on a scenario whose answer is
known, and reports the known value, the simulated estimate with its 95%
confidence interval and the number of replications behind it, and whether the
two agree. Two kinds of check:

* **statistical**: the answer comes from queueing theory (Erlang C,
  Cobham's priority formula, Pollaczek-Khinchine, a Jackson network) or from
  the scenario's own rates. Steady-state queues are simulated with a warm-up
  left out of the KPIs and independent replications. Many such checks run at
  once, so one of them would miss its 95% interval by chance alone about half
  the time; the pass rule therefore controls the *family-wise* error: a check
  passes when the known value lies in its interval widened to the Bonferroni
  level ``1 - (1 - family_confidence) / k`` over the ``k`` statistical checks
  run. A correct engine then passes the whole suite with probability at least
  ``family_confidence``; a real fault (double service time, half the
  arrivals, a broken queue order) moves estimates far outside any interval.
* **exact**: identities that hold in every replication whatever the random
  numbers (cases are conserved, Little's law in its sample-path form, a seed
  reproduces its numbers in another process). These pass only if every
  replication agrees to rounding.

Quick mode (the default, run by the test suite) uses moderate horizons and few
replications, so its intervals are wide and say so; ``full`` runs long
horizons and more replications for tight intervals.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
import math
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from model.engine.sources import DAYS_PER_YEAR
from model.queueing import erlang_c, mg1_mean_wait, mmc_mean_wait, priority_mm1_waits
from model.replications import (
    Estimate,
    RunResults,
    estimate,
    process_pool,
    run_replications,
)
from model.scenario import (
    PRIORITIES,
    Scenario,
    scenario_from_mapping,
    with_overrides,
)

if TYPE_CHECKING:  # only in annotations: `acusim --help` does not load pandas
    import pandas as pd

DEFAULT_SEED = 1
"""Seed of the verification runs: any integer; fixed so a reviewer gets the same table."""

DEFAULT_FAMILY_CONFIDENCE = 0.95
"""Probability that a correct engine passes every statistical check at once."""

INTERVAL_CONFIDENCE = 0.95
"""Level of the interval shown beside each estimate (the field's convention)."""

EXACT_RELATIVE_TOLERANCE = 1e-9
"""Exact identities may differ by floating-point rounding only (sums over thousands of events)."""

SUBPROCESS_TIMEOUT_SECONDS = 300
"""How long the fresh interpreter of the reproducibility check may take before it counts as
failed (one replication takes well under a second; imports take a few)."""

HOURS_PER_DAY = 24.0
"""A verification server works round the clock, so effort hours / 24 = service days."""


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class VerifySettings:
    """How hard to look: replications and horizons of each kind of check."""

    mode: Literal["quick", "full"]
    queue_replications: int
    queue_horizon_years: float
    queue_warmup_days: float
    baseline_replications: int
    reproducibility_replications: int
    reproducibility_horizon_years: float | None  # None: the scenario's own horizon
    seed: int = DEFAULT_SEED
    family_confidence: float = DEFAULT_FAMILY_CONFIDENCE
    workers: int = 1


QUICK = VerifySettings(
    mode="quick",
    queue_replications=20,
    queue_horizon_years=3,
    queue_warmup_days=180,
    baseline_replications=10,
    reproducibility_replications=3,
    reproducibility_horizon_years=1,
)
"""Fast enough for the test suite (well under a minute on one core): wide but honest
intervals. A warm-up of 180 days is over twice the relaxation time of the slowest queue
checked (M/M/6 at 90%: about 1 / (c mu (1 - sqrt(rho))^2), 64 days)."""

FULL = VerifySettings(
    mode="full",
    queue_replications=50,
    queue_horizon_years=30,
    queue_warmup_days=365,
    baseline_replications=100,
    reproducibility_replications=10,
    reproducibility_horizon_years=None,
)
"""Long horizons (the scenario maximum, 30 years) and more replications: tight intervals."""


def settings_for(full: bool, **changes: Any) -> VerifySettings:
    """Quick or full settings with ``changes`` (seed, workers, family_confidence) applied."""
    return replace(FULL if full else QUICK, **changes)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Measurement:
    """What a check measured, before the pass rule is applied.

    ``values`` holds one simulated figure per replication; ``expected`` is the known value,
    or one per replication for exact identities whose both sides come from the run."""

    group: str
    check_id: str
    title: str
    basis: str
    unit: str
    kind: Literal["statistical", "exact"]
    values: np.ndarray
    expected: float | np.ndarray


@dataclass(frozen=True)
class Check:
    """One row of the verification table."""

    group: str
    check_id: str
    title: str
    basis: str
    unit: str
    kind: Literal["statistical", "exact"]
    expected: float
    estimate: Estimate
    band_low: float
    band_high: float
    passed: bool
    rule: str


@dataclass
class VerifyReport:
    """The checks run, the settings they ran with and whether all passed."""

    settings: VerifySettings
    baseline_name: str
    checks: list[Check] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.passed]

    @property
    def statistical_count(self) -> int:
        return sum(c.kind == "statistical" for c in self.checks)

    def per_check_confidence(self) -> float:
        """The Bonferroni level each statistical check is decided at."""
        return bonferroni_level(self.settings.family_confidence, self.statistical_count)


def bonferroni_level(family_confidence: float, k: int) -> float:
    return 1.0 - (1.0 - family_confidence) / max(k, 1)


def decide(measurements: Sequence[Measurement], family_confidence: float) -> list[Check]:
    """Apply the pass rules: family-wise intervals for statistical checks, rounding for exact."""
    k = sum(m.kind == "statistical" for m in measurements)
    level = bonferroni_level(family_confidence, k)
    checks = []
    for m in measurements:
        values = np.asarray(m.values, dtype=float)
        shown = estimate(values, INTERVAL_CONFIDENCE)
        if m.kind == "statistical":
            expected = float(m.expected)
            band = estimate(values, level)
            passed = (
                shown.n >= 2
                and math.isfinite(band.half_width)
                and band.ci_low <= expected <= band.ci_high
            )
            low, high = band.ci_low, band.ci_high
            rule = (
                f"known value inside the {level:.2%} interval "
                f"(family-wise {family_confidence:.0%} over {k} checks)"
            )
        else:
            per_rep = np.broadcast_to(np.asarray(m.expected, dtype=float), values.shape)
            expected = float(np.mean(per_rep)) if per_rep.size else math.nan
            tolerance = EXACT_RELATIVE_TOLERANCE * np.maximum(1.0, np.abs(per_rep))
            finite = np.isfinite(values) & np.isfinite(per_rep)
            passed = bool(
                values.size > 0 and finite.all() and np.all(np.abs(values - per_rep) <= tolerance)
            )
            low, high = (
                expected - float(np.max(tolerance, initial=0.0)),
                expected + float(np.max(tolerance, initial=0.0)),
            )
            rule = "every replication equal to rounding"
        checks.append(
            Check(
                group=m.group,
                check_id=m.check_id,
                title=m.title,
                basis=m.basis,
                unit=m.unit,
                kind=m.kind,
                expected=expected,
                estimate=shown,
                band_low=low,
                band_high=high,
                passed=passed,
                rule=rule,
            )
        )
    return checks


# --------------------------------------------------------------------------- scenarios

ONE_MIX: dict[str, Any] = {
    "category": {"other": 1.0},
    "apsp_probability": 0.0,
    "priority": {"medium": 1.0},
}
"""Every case alike: attributes play no part in a plain queue."""


def _server_role(servers: float) -> dict[str, Any]:
    """Staff who work round the clock with no abstraction: one FTE = one server of 24 h/day."""
    return {
        "title": "Server",
        "fte": servers,
        "contracted_hours_per_week": 7 * HOURS_PER_DAY,
        "abstraction_rate": 0,
        "casework_share": 1,
    }


def exponential_effort(mean_service_days: float) -> dict[str, Any]:
    return {"dist": "exponential", "mean": HOURS_PER_DAY * mean_service_days}


def network_scenario(
    name: str,
    *,
    arrivals_per_day: float,
    stations: dict[str, dict[str, Any]],
    settings: VerifySettings,
    mix: dict[str, Any] | None = None,
) -> Scenario:
    """A Poisson source feeding a network of stations, validated like any scenario file.

    ``stations`` maps a stage name to ``servers`` (omit for a pure waiting stage),
    ``effort`` (hours), ``discipline``, ``routes`` (next stage or ``done`` -> probability)
    and optional ``delay_days`` (an external delay after the work). The first station is
    where referrals enter."""
    roles: dict[str, Any] = {}
    stages: dict[str, Any] = {}
    for stage_name, spec in stations.items():
        stage: dict[str, Any] = {
            "title": stage_name.replace("_", " ").capitalize(),
            "discipline": spec.get("discipline", "fifo"),
            "routing": {"default": spec.get("routes", {"done": 1.0})},
        }
        if "servers" in spec:
            role = f"{stage_name}_staff"
            roles[role] = _server_role(spec["servers"])
            stage["role"] = role
            stage["effort_hours"] = spec["effort"]
        if "delay_days" in spec:
            stage["external_delays"] = [{"name": "wait", "duration_days": spec["delay_days"]}]
        stages[stage_name] = stage
    data = {
        "name": name,
        "description": "Verification scenario: a queueing system with a known answer.",
        "start_date": "2025-01-01",
        "horizon_years": settings.queue_horizon_years,
        "warmup_days": settings.queue_warmup_days,
        "seed": settings.seed,
        "replications": settings.queue_replications,
        "roles": roles,
        "sources": {
            "poisson": {
                "title": "Poisson arrivals",
                "kind": "rate",
                "rate_per_week": arrivals_per_day * 7,
                "entry_stage": next(iter(stations)),
                "mix": mix or ONE_MIX,
            }
        },
        "stages": stages,
        "outcomes": ["done"],
    }
    return scenario_from_mapping(data, f"verification scenario '{name}'")


def single_queue(
    name: str,
    *,
    servers: float,
    arrivals_per_day: float,
    effort: dict[str, Any],
    settings: VerifySettings,
    discipline: str = "fifo",
    mix: dict[str, Any] | None = None,
) -> Scenario:
    """One stage, one role: an M/G/c queue."""
    return network_scenario(
        name,
        arrivals_per_day=arrivals_per_day,
        stations={"service": {"servers": servers, "effort": effort, "discipline": discipline}},
        settings=settings,
        mix=mix,
    )


# --------------------------------------------------------------------------- running


@dataclass
class _Context:
    settings: VerifySettings
    baseline: Scenario
    executor: Executor | None
    _baseline_run: RunResults | None = None

    def seed_for(self, name: str) -> int:
        """The seed of the verification scenario ``name``: derived from the verify seed and
        the name (never from the position in the run), so ``--only`` changes no other
        check's numbers, and different scenarios get independent streams."""
        return seed_for(self.settings.seed, name)

    def run(
        self,
        scenario: Scenario,
        replications: int,
        record_cases: bool = False,
        seed: int | None = None,
    ) -> RunResults:
        return run_replications(
            scenario,
            replications=replications,
            seed=self.seed_for(scenario.name) if seed is None else seed,
            workers=self.settings.workers,
            record_cases=record_cases,
            executor=self.executor,
        )

    def baseline_run(self) -> RunResults:
        """One recorded run of the baseline shared by the checks that read it."""
        if self._baseline_run is None:
            self._baseline_run = self.run(
                self.conservation_scenario(),
                self.settings.baseline_replications,
                record_cases=True,
                seed=self.settings.seed,
            )
        return self._baseline_run

    def conservation_scenario(self) -> Scenario:
        """The baseline without warm-up, so every case ever created is inside the window."""
        if self.baseline.warmup_days == 0:
            return self.baseline
        return with_overrides(self.baseline, {"warmup_days": 0}, "verify")


def seed_for(seed: int, name: str) -> int:
    """A seed for check ``name`` under the verify seed: SeedSequence(seed) spawned by a
    stable hash of the name, so it depends on nothing else."""
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big")
    return int(np.random.SeedSequence(seed, spawn_key=(key,)).generate_state(1, np.uint32)[0])


def _started_after_warmup(results: RunResults) -> pd.DataFrame:
    """Visits that joined the queue after the warm-up, including those still waiting."""
    cases = results.cases()
    return cases[cases["queued_day"] >= 0].assign(  # case days count from the start date
        wait=lambda v: v["allocated_day"] - v["queued_day"]
    )


MMC_CASES: tuple[tuple[int, float], ...] = ((1, 0.5), (2, 0.75), (6, 0.9))
"""(servers, utilisation) for the Erlang C checks: one server, a few, and a busy pool."""


def _mmc(ctx: _Context) -> list[Measurement]:
    out = []
    mu = 1.0  # one case a day per server
    for servers, rho in MMC_CASES:
        lam = rho * servers * mu
        scenario = single_queue(
            f"mmc_{servers}",
            servers=servers,
            arrivals_per_day=lam,
            effort=exponential_effort(1 / mu),
            settings=ctx.settings,
        )
        results = ctx.run(scenario, ctx.settings.queue_replications, record_cases=True)
        frame = results.kpi_frame()
        visits = _started_after_warmup(results)
        # A case still waiting at the end has waited: counting it keeps P(wait) unbiased.
        waited = visits["allocated_day"].isna() | (visits["wait"] > 0)
        p_wait = waited.groupby(visits["replication"]).mean().to_numpy()
        label = f"M/M/{servers} at {rho:.0%}"
        out += [
            Measurement(
                "mmc",
                f"mmc.c{servers}.mean_wait",
                f"{label}: mean wait",
                f"Wq = C(c, a) / (c mu - lam), c={servers}, lam={lam:g}/day, mu={mu:g}/day",
                "days",
                "statistical",
                frame["wait_mean_days.service"].to_numpy(),
                mmc_mean_wait(lam, mu, servers),
            ),
            Measurement(
                "mmc",
                f"mmc.c{servers}.p_wait",
                f"{label}: P(wait > 0)",
                f"C(c, a), c={servers}, a={lam / mu:g}",
                "share",
                "statistical",
                p_wait,
                erlang_c(servers, lam / mu),
            ),
            Measurement(
                "mmc",
                f"mmc.c{servers}.utilisation",
                f"{label}: utilisation",
                "rho = lam / (c mu)",
                "share",
                "statistical",
                frame["utilisation.service_staff"].to_numpy(),
                rho,
            ),
        ]
    return out


PRIORITY_RATES: dict[str, float] = {"high": 0.15, "medium": 0.25, "low": 0.3}
"""Arrivals a day by class for the priority check (total load 70% on one server)."""


def _priority(ctx: _Context) -> list[Measurement]:
    lams = [PRIORITY_RATES[p] for p in PRIORITIES]
    total = sum(lams)
    mix = {
        "category": {"other": 1.0},
        "apsp_probability": 0.0,
        "priority": {p: PRIORITY_RATES[p] / total for p in PRIORITIES},
    }
    scenario = single_queue(
        "priority_mm1",
        servers=1,
        arrivals_per_day=total,
        effort=exponential_effort(1.0),
        settings=ctx.settings,
        discipline="priority",
        mix=mix,
    )
    results = ctx.run(scenario, ctx.settings.queue_replications, record_cases=True)
    visits = _started_after_warmup(results).dropna(subset=["allocated_day"])
    by_class = visits.groupby(["replication", "priority"])["wait"].mean().unstack()
    expected = priority_mm1_waits(lams, 1.0)
    return [
        Measurement(
            "priority",
            f"priority.{name}.mean_wait",
            f"priority M/M/1 at {total:.0%}: {name}, mean wait",
            f"W_k = W0 / ((1 - s_(k-1)) (1 - s_k)), lam={lams}, mu=1/day, non-preemptive",
            "days",
            "statistical",
            by_class[name].to_numpy() if name in by_class else np.array([]),
            wait,
        )
        for name, wait in zip(PRIORITIES, expected, strict=True)
    ]


MG1_CASES: tuple[tuple[str, float, dict[str, Any]], ...] = (
    ("gamma", 0.75, {"dist": "gamma", "mean": HOURS_PER_DAY, "cv": 0.5}),
    ("fixed", 0.8, {"dist": "fixed", "value": HOURS_PER_DAY}),
)
"""(label, arrivals a day, effort) for Pollaczek-Khinchine: service of one day on average."""


def _mg1(ctx: _Context) -> list[Measurement]:
    out = []
    for label, lam, effort in MG1_CASES:
        scenario = single_queue(
            f"mg1_{label}",
            servers=1,
            arrivals_per_day=lam,
            effort=effort,
            settings=ctx.settings,
        )
        dist = scenario.stages["service"].effort_hours
        mean = dist.mean() / HOURS_PER_DAY
        second = dist.second_moment() / HOURS_PER_DAY**2
        frame = ctx.run(scenario, ctx.settings.queue_replications).kpi_frame()
        out.append(
            Measurement(
                "mg1",
                f"mg1.{label}.mean_wait",
                f"M/G/1, {label} service, at {lam * mean:.0%}: mean wait",
                f"Wq = lam E[S^2] / (2 (1 - rho)), lam={lam:g}/day, E[S]={mean:g}, "
                f"E[S^2]={second:g}",
                "days",
                "statistical",
                frame["wait_mean_days.service"].to_numpy(),
                mg1_mean_wait(lam, mean, second),
            )
        )
    return out


WAIT_PRECISION_ARRIVALS_PER_DAY = 8.0
WAIT_PRECISION_SERVICE_DAYS = 1.0 / 16.0
"""M/M/1 at 50% with many short services (an hour and a half each): many cases in the
horizon, so the quick mode's band on the mean wait is within about 5% of it (measured: 4-5%
at 20 replications of 3 years), narrow enough that a 10% error in a mean wait fails."""


def _wait_precision(ctx: _Context) -> list[Measurement]:
    lam, service = WAIT_PRECISION_ARRIVALS_PER_DAY, WAIT_PRECISION_SERVICE_DAYS
    scenario = single_queue(
        "wait_precision",
        servers=1,
        arrivals_per_day=lam,
        effort=exponential_effort(service),
        settings=ctx.settings,
    )
    frame = ctx.run(scenario, ctx.settings.queue_replications).kpi_frame()
    return [
        Measurement(
            "wait_precision",
            "wait_precision.mean_wait",
            f"M/M/1 at {lam * service:.0%}, {lam * 365:,.0f} cases a year: mean wait",
            f"Wq = rho / (mu - lam), lam={lam:g}/day, mu={1 / service:g}/day; many cases, so "
            "a 10% error in a mean wait falls outside the band",
            "days",
            "statistical",
            frame["wait_mean_days.service"].to_numpy(),
            mmc_mean_wait(lam, 1 / service, 1),
        )
    ]


JACKSON_ARRIVALS_PER_DAY = 1.0
JACKSON_ONWARD = 0.6
"""Share of cases that go on from the first station (the rest close there)."""
JACKSON_STATIONS: dict[str, dict[str, Any]] = {
    "first": {
        "servers": 2,
        "effort": exponential_effort(1.5),
        "routes": {"second": JACKSON_ONWARD, "done": 1 - JACKSON_ONWARD},
    },
    "second": {"servers": 1, "effort": exponential_effort(1.0), "routes": {"third": 1.0}},
    "third": {"servers": 2, "effort": exponential_effort(2.5), "routes": {"waiting": 1.0}},
    "waiting": {"delay_days": {"dist": "exponential", "mean": 3.0}, "routes": {"done": 1.0}},
}
"""Three M/M/c stations in tandem (with a branch after the first) and a pure waiting stage
(an infinite-server node): utilisations 75%, 60%, 75%."""


def jackson_expected_time_in_system() -> float:
    """Mean time in system of ``JACKSON_STATIONS``: visit ratio x mean time at each station."""
    total, visits, lam = 0.0, 1.0, JACKSON_ARRIVALS_PER_DAY
    for spec in JACKSON_STATIONS.values():
        if "servers" in spec:
            service = spec["effort"]["mean"] / HOURS_PER_DAY
            stay = mmc_mean_wait(visits * lam, 1 / service, spec["servers"]) + service
        else:
            stay = spec["delay_days"]["mean"]
        total += visits * stay
        visits *= sum(p for dest, p in spec["routes"].items() if dest != "done")
    return total


def describe_jackson() -> str:
    """The network in one line, from ``JACKSON_STATIONS`` (so the text cannot drift)."""
    parts = []
    for spec in JACKSON_STATIONS.values():
        if "servers" in spec:
            service = spec["effort"]["mean"] / HOURS_PER_DAY
            parts.append(f"M/M/{spec['servers']} ({service:g} d)")
        else:
            parts.append(f"waiting stage ({spec['delay_days']['mean']:g} d)")
        onward = sum(p for dest, p in spec["routes"].items() if dest != "done")
        if 0 < onward < 1:
            parts.append(f"{onward:.0%} on")
    return f"lam={JACKSON_ARRIVALS_PER_DAY:g}/day: " + " -> ".join(parts)


def _jackson(ctx: _Context) -> list[Measurement]:
    scenario = network_scenario(
        "jackson",
        arrivals_per_day=JACKSON_ARRIVALS_PER_DAY,
        stations=JACKSON_STATIONS,
        settings=ctx.settings,
    )
    frame = ctx.run(scenario, ctx.settings.queue_replications).kpi_frame()
    return [
        Measurement(
            "jackson",
            "jackson.time_in_system",
            "Jackson network: mean time in system",
            describe_jackson() + "; sum of visit ratio x (Wq + E[S]) by station (Burke: "
            "each station is an M/M/c queue)",
            "days",
            "statistical",
            frame["sojourn_mean_days"].to_numpy(),
            jackson_expected_time_in_system(),
        ),
        Measurement(
            "jackson",
            "jackson.routing",
            "Jackson network: cases a year routed on",
            f"lam x {JACKSON_ONWARD:g} x {DAYS_PER_YEAR:g} days",
            "per year",
            "statistical",
            frame["entries_per_year.second"].to_numpy(),
            JACKSON_ARRIVALS_PER_DAY * JACKSON_ONWARD * DAYS_PER_YEAR,
        ),
    ]


def expected_arrivals_per_year(scenario: Scenario, source_name: str) -> float:
    """Referrals a year the scenario's rates imply in the reporting window (bursts average 1),
    computed independently of the engine: the rate is rebuilt here from the scenario's
    fields (:func:`independent_rate_per_day`, calendar arithmetic with ``datetime``, not the
    sampler's vectorised function) and integrated numerically with ``scipy.integrate.quad``
    between the dates where it jumps. The sampler holds the rate constant within each day
    (its midpoint), which differs from the exact integral by far less than the noise."""
    from scipy import integrate  # on first use: `acusim --help` does not load scipy

    source = scenario.sources[source_name]
    start = float(scenario.warmup_days)
    end = start + scenario.horizon_days
    inside = [t for t in _rate_breakpoints(scenario, source) if start < t < end]
    cuts = sorted({start, end, *inside})
    total = 0.0
    for a, b in itertools.pairwise(cuts):
        value, _ = integrate.quad(
            lambda t: independent_rate_per_day(scenario, source, t), a, b, limit=200
        )
        total += value
    return total / scenario.horizon_years


def _clock(scenario: Scenario, when: dt.date) -> float:
    """Clock days of a date (the clock starts warm-up days before the start date)."""
    return (when - scenario.start_date).days + float(scenario.warmup_days)


def _date_at(scenario: Scenario, t: float) -> dt.date:
    origin = scenario.start_date - dt.timedelta(days=int(scenario.warmup_days))
    return origin + dt.timedelta(days=math.floor(t))


def _rate_breakpoints(scenario: Scenario, source: Any) -> list[float]:
    """Clock times where the rate may jump: dates of steps and rollouts, month starts."""
    points = [_clock(scenario, step.date) for step in getattr(source, "rollout", [])]
    for m in source.modifiers:
        if m.type == "step":
            points.append(_clock(scenario, m.date))
        elif m.type == "ramp":
            points += [_clock(scenario, m.start), _clock(scenario, m.end)]
        elif m.type == "seasonal":
            first = _date_at(scenario, 0.0).replace(day=1)
            end = scenario.warmup_days + scenario.horizon_days
            month = first
            while _clock(scenario, month) < end:
                points.append(_clock(scenario, month))
                month = (month + dt.timedelta(days=32)).replace(day=1)
    return points


def independent_rate_per_day(scenario: Scenario, source: Any, t: float) -> float:
    """The expected referrals a day of ``source`` at clock time ``t``, from the fields."""
    if source.kind == "monitoring":
        times = [_clock(scenario, scenario.start_date)]
        times += [_clock(scenario, step.date) for step in source.rollout]
        devices = [source.devices_covered, *(step.devices for step in source.rollout)]
        if source.rollout_shape == "linear":
            covered = float(np.interp(t, times, devices))
        else:
            covered = devices[0]
            for when, count in zip(times, devices, strict=True):
                if t >= when:
                    covered = count
        weekly = covered * source.alerts_per_device_per_week
    else:
        weekly = source.rate_per_week
    rate = weekly / 7.0
    for m in source.modifiers:
        if m.type == "step":
            rate *= m.factor if t >= _clock(scenario, m.date) else 1.0
        elif m.type == "ramp":
            a, b = _clock(scenario, m.start), _clock(scenario, m.end)
            share = min(max((t - a) / (b - a), 0.0), 1.0)
            rate *= 1.0 + share * (m.factor - 1.0)
        elif m.type == "logistic":
            k = m.growth_per_year / 365.0
            x = -k * (t - _clock(scenario, m.midpoint))
            rate *= m.from_factor + (m.to_factor - m.from_factor) / (1.0 + math.exp(min(x, 700)))
        elif m.type == "seasonal":
            rate *= m.monthly[_date_at(scenario, t).month - 1]
    return rate


def _arrivals(ctx: _Context) -> list[Measurement]:
    results = ctx.baseline_run()
    scenario = results.scenario
    frame = results.kpi_frame()
    return [
        Measurement(
            "arrivals",
            f"arrivals.{name}",
            f"{scenario.name}: referrals a year, {name}",
            "the scenario's rate integrated over the horizon (rollout, modifiers; bursts mean 1)",
            "per year",
            "statistical",
            frame[f"arrivals_per_year.{name}"].to_numpy(),
            expected_arrivals_per_year(scenario, name),
        )
        for name, source in scenario.sources.items()
        if source.enabled
    ]


def _case_spans(results: RunResults) -> pd.DataFrame:
    """Per replication and case: when it entered and left the model, and how it ended.

    A case enters when received (cases open at the start enter at the start); it leaves at
    the end of the visit routed to a closure outcome, if any."""
    scenario = results.scenario
    cases = results.cases()
    outcomes = set(scenario.outcomes)
    closing = cases["next"].isin(outcomes)
    open_visit = cases["left_day"].isna() & cases["stage"].notna()
    cases = cases.assign(
        closing=closing,
        open_visit=open_visit,
        closed_day=cases["left_day"].where(closing),
    )
    return cases.groupby(["replication", "case_id"]).agg(
        received=("received_day", "first"),
        closings=("closing", "sum"),
        open_visits=("open_visit", "sum"),
        closed_day=("closed_day", "max"),
    )


def _little(ctx: _Context) -> list[Measurement]:
    """L = lam W in its sample-path form over the finite window (Little 1961; Stidham 1974).

    Over [0, T], the time-average number of cases in the unit equals the rate at which
    cases were present (N / T) times their mean time in the unit within the window. The
    left side is the engine's own WIP accumulator; the right side is rebuilt from the case
    records, so the two are computed independently."""
    results = ctx.baseline_run()
    scenario = results.scenario
    start = 0.0  # case records count days from the start date
    end = scenario.horizon_days
    spans = _case_spans(results)
    entered = spans["received"].clip(lower=start)
    left = spans["closed_day"].fillna(end).clip(upper=end)
    inside = (left - entered).clip(lower=0.0)
    area = inside.groupby(level="replication").sum()
    frame = results.kpi_frame()
    lam_w = (area / scenario.horizon_days).reindex(frame.index).to_numpy()
    return [
        Measurement(
            "little",
            "little.baseline",
            f"{scenario.name}: Little's law, L = lam W",
            "time-average WIP (engine) = cases present / T x mean time present (case records)",
            "cases",
            "exact",
            frame["wip_mean"].to_numpy(),
            lam_w,
        )
    ]


def _conservation(ctx: _Context) -> list[Measurement]:
    """Every case created is closed once or still open once; none lost, none duplicated."""
    results = ctx.baseline_run()
    scenario = results.scenario
    frame = results.kpi_frame()
    spans = _case_spans(results)
    years = scenario.horizon_years
    backlog = sum(e.waiting + e.in_progress for e in scenario.initial_backlog)
    cases = results.cases()
    gaps = []
    for r, kpis in frame.iterrows():
        mine = spans.loc[r]
        visits = cases[cases["replication"] == r]
        fates = mine["closings"] + mine["open_visits"]
        gap = 0.0
        gap += abs(kpis["cases_created"] - (backlog + kpis["referrals_total"]))
        gap += abs(kpis["cases_created"] - len(mine))
        gap += float((fates != 1).sum())  # closed twice, open and closed, or vanished
        gap += abs(kpis["cases_closed"] - mine["closings"].sum())
        gap += abs(kpis["cases_open_at_end"] - (mine["open_visits"] > 0).sum())
        # Closures by outcome against the case records (not against the engine's own total,
        # which is the same counter and could not disagree):
        closed_by = visits.loc[visits["next"].isin(scenario.outcomes), "next"].value_counts()
        for o in scenario.outcomes:
            gap += abs(kpis[f"closed.{o}"] - int(closed_by.get(o, 0)))
        per_stage = visits["stage"].value_counts()
        for stage in scenario.stages:
            entries = round(kpis[f"entries_per_year.{stage}"] * years)
            gap += abs(entries - int(per_stage.get(stage, 0)))
        gaps.append(gap)
    return [
        Measurement(
            "conservation",
            "conservation.baseline",
            f"{scenario.name}: conservation of cases",
            "created = open at start + referrals = cases in the records; each case closed once "
            "or open once; closed, open at end, closures by outcome and stage entries match "
            "the case records",
            "discrepancies a replication",
            "exact",
            np.asarray(gaps),
            0.0,
        )
    ]


def _differences(a: dict[str, float], b: dict[str, float]) -> int:
    """How many values differ between two KPI dicts (NaN equals NaN; missing keys differ)."""
    keys = set(a) | set(b)
    return sum(
        1
        for k in keys
        if not (
            k in a
            and k in b
            and (a[k] == b[k] or (isinstance(a[k], float) and math.isnan(a[k]) and b[k] != b[k]))
        )
    )


def _series_differences(a, b) -> int:
    return sum(
        0 if np.array_equal(a.series[name], b.series[name], equal_nan=True) else 1
        for name in set(a.series) | set(b.series)
        if name in a.series and name in b.series
    ) + len(set(a.series) ^ set(b.series))


def replicate_in_fresh_interpreter(scenario: Scenario, seed: int, replication: int) -> dict:
    """KPIs of one replication computed by a new Python process (its own hash salt, imports).

    If anything in the engine depended on process state (Python's salted ``hash``, set order,
    a global random generator), this would disagree with the same replication run here."""
    request = json.dumps(
        {
            "scenario": scenario.model_dump(mode="json", by_alias=True),
            "seed": seed,
            "replication": replication,
        }
    )
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            "from verification.checks import _replicate_stdin; _replicate_stdin()",
        ],
        input=request,
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT_SECONDS,
        check=False,
    )
    if completed.returncode != 0:
        last_line = (completed.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"exit {completed.returncode}: {last_line}")
    return json.loads(completed.stdout)


def _replicate_stdin() -> None:
    """Entry point of :func:`replicate_in_fresh_interpreter`'s child process."""
    from model.engine.unit import run_replication  # here: `acusim` start-up does not load it

    request = json.loads(sys.stdin.read())
    scenario = scenario_from_mapping(request["scenario"], "verify reproducibility")
    result = run_replication(scenario, request["seed"], request["replication"])
    sys.stdout.write(json.dumps(result.kpis))


def _reproducibility(ctx: _Context) -> list[Measurement]:
    settings = ctx.settings
    scenario = ctx.baseline
    if settings.reproducibility_horizon_years is not None:
        scenario = with_overrides(
            scenario, {"horizon_years": settings.reproducibility_horizon_years}, "verify"
        )
    n, seed = settings.reproducibility_replications, settings.seed
    first = run_replications(scenario, replications=n, seed=seed, workers=1)
    # Again: in worker processes if there are any, else once more in this process.
    second = ctx.run(scenario, n, seed=seed)
    other_seed = ctx.run(scenario, n, seed=seed + 1)
    problem = ""
    try:
        fresh = replicate_in_fresh_interpreter(scenario, seed, n - 1)
    except (RuntimeError, subprocess.TimeoutExpired, json.JSONDecodeError) as exc:
        fresh, problem = {}, f" (the fresh interpreter failed: {exc})"
    same, changed = [], []
    for a, b, c in zip(
        first.replications, second.replications, other_seed.replications, strict=True
    ):
        count = _differences(a.kpis, b.kpis) + _series_differences(a, b)
        if a.replication == n - 1:
            count += _differences(a.kpis, fresh)
        same.append(count)
        changed.append(1.0 if _differences(a.kpis, c.kpis) > 0 else 0.0)
    where = "worker processes" if settings.workers > 1 else "this process"
    return [
        Measurement(
            "reproducibility",
            "reproducibility.same_seed",
            f"{scenario.name}: same seed, same numbers",
            f"KPIs and weekly series run twice (again in {where}); one replication also in a "
            f"fresh Python interpreter{problem}",
            "differing values a replication",
            "exact",
            np.asarray(same, dtype=float),
            0.0,
        ),
        Measurement(
            "reproducibility",
            "reproducibility.other_seed",
            f"{scenario.name}: another seed, other numbers",
            f"seed {seed} against seed {seed + 1}: a seed that changed nothing would be ignored",
            "share of replications changed",
            "exact",
            np.asarray(changed),
            1.0,
        ),
    ]


GROUPS: dict[str, tuple[str, Callable[[_Context], list[Measurement]]]] = {
    "mmc": ("M/M/c against Erlang C", _mmc),
    "priority": ("M/M/1 with priority classes against Cobham", _priority),
    "mg1": ("M/G/1 against Pollaczek-Khinchine", _mg1),
    "jackson": ("A Jackson network against the sum of its stations", _jackson),
    "wait_precision": ("A mean wait measured precisely (M/M/1, many cases)", _wait_precision),
    "arrivals": ("Baseline arrivals against the scenario's rates", _arrivals),
    "little": ("Little's law on the baseline", _little),
    "conservation": ("Conservation of cases on the baseline", _conservation),
    "reproducibility": ("Reproducibility of a seed", _reproducibility),
}
"""The checks, in the order they are run and shown; keys select them (``--only``)."""


@contextmanager
def _pool(workers: int) -> Iterator[Executor | None]:
    if workers <= 1:
        yield None
        return
    pool = process_pool(workers)
    try:
        yield pool
    finally:
        pool.shutdown()


def run_checks(
    baseline: Scenario,
    settings: VerifySettings = QUICK,
    groups: Sequence[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> VerifyReport:
    """Run the selected check groups (default: all) and apply the pass rules."""
    chosen = list(GROUPS) if not groups else list(groups)
    unknown = [g for g in chosen if g not in GROUPS]
    if unknown:
        raise ValueError(f"unknown check group(s) {unknown} (choose from {', '.join(GROUPS)})")
    started = time.perf_counter()
    measurements: list[Measurement] = []
    with _pool(settings.workers) as executor:
        ctx = _Context(settings, baseline, executor)
        for name in GROUPS:  # the table's order, whatever the order asked for
            if name not in chosen:
                continue
            title, run = GROUPS[name]
            if progress:
                progress(title)
            measurements += run(ctx)
    report = VerifyReport(settings, baseline.name)
    report.checks = decide(measurements, settings.family_confidence)
    report.seconds = time.perf_counter() - started
    return report
