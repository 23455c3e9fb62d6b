"""A candidate's verdict as soon as it is settled: a group-sequential test per target.

The search asks one question of each staffing it tries: does it meet every
target with the stated confidence? Most staffings it tries are far from the
answer (a queue that explodes, a target met with room to spare), and a few
replications settle them; only staffings near the boundary need many. So a
candidate is simulated in *looks* - ``first_look_replications`` replications,
then double, and so on up to ``max_replications`` - and after each look every
target gets one of three verdicts:

* **met**: the pessimistic one-sided bound (lower for ``>=``, upper for
  ``<=``) at the look confidence is on the right side of the threshold;
* **missed**: the *optimistic* one-sided bound at the look confidence is on
  the wrong side (even the most favourable reading misses);
* **open**: neither; run the next look;
* **futile** (only where the rule stops for futility: the search's probes):
  open, but from the look a target may be called met on, its mean moved
  ``futility_se`` (0.5) standard errors towards the threshold is still on
  the wrong side. It is not met and the probe stops: a staffing whose own
  estimate misses would need many more replications to be called met, if
  ever. A futility stop can only turn a later "met" into
  "not met", so it never raises the chance of a wrong "met"; it costs power
  (a staffing just on the right side whose early mean misses is passed over,
  so the answer may be a step dearer), measured in the tests and stated in
  docs/staffing.md. Non-binding futility boundaries: Jennison and Turnbull
  (2000), ch. 10.

A target is never called met before the second look (``min_met``): the
t-bound is least reliable on few, skewed values, and a wrong "met" is the
error the guarantee is about. A candidate is feasible once every target is
met; infeasible as soon as one is missed (the search needs no more about
it), or if a target is still open after the last look. The look confidence
is ``1 - (1 - confidence) / K`` for ``K`` looks (Bonferroni over the
looks), so whatever the true mean and however many looks are taken, the
chance of calling a target met when its true value is on the wrong side of
the threshold is at most ``1 - confidence`` (each look's one-sided t-test
has error at most ``(1 - confidence) / K`` for normal means; the union bound
adds them). The same holds for calling a target missed when it is in fact
met. That is the guarantee of a fixed-n test at the stated confidence, kept
under optional stopping; the price is a wider bound at each look, paid back
many times over by the staffings settled at the first looks. Group-sequential
tests with Bonferroni (or any alpha-spending) boundaries: Jennison and
Turnbull (2000), *Group Sequential Methods with Applications to Clinical
Trials*, ch. 1-2; the fully sequential procedures of Kim and Nelson (2001)
and the feasibility checks of Batur and Kim (2010) sharpen this with an
indifference zone, which the targets here do not state (see
docs/staffing.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats

MET, MISSED, OPEN, FUTILE = "met", "missed", "open", "futile"


@dataclass(frozen=True)
class SequentialRule:
    """The looks (replication counts, increasing) and the confidence stated per target."""

    confidence: float
    looks: tuple[int, ...]
    min_met: int = 0
    """Fewest replications at which a target may be called met (missed may come sooner)."""
    futility_from: int | None = None
    """From this many replications on, an open target whose mean, moved ``futility_se``
    standard errors towards the threshold, is still on the wrong side is called ``futile``
    (not met; stop). None: no futility stop. It can only turn a later "met" into "not met",
    so it never raises the chance of a wrong "met" (the guarantee); what it costs is power:
    a staffing just on the right side whose early mean happens to miss is not pursued
    (docs/staffing.md)."""
    futility_se: float = 0.5

    @classmethod
    def doubling(cls, confidence: float, first: int, budget: int) -> SequentialRule:
        """Looks at ``first``, ``2 first``, ``4 first``, ... and ``budget`` last (a doubling
        that would come within a quarter of the budget is skipped: one look fewer, so each
        look's test is less strict, for the same replications)."""
        first = max(2, min(first, budget))
        looks, n = [], first
        while n < budget and (n == first or n * 4 < budget * 3):
            looks.append(n)
            n *= 2
        looks.append(budget)
        return cls(confidence, tuple(looks), looks[1] if len(looks) > 1 else looks[0])

    def with_futility(self, standard_errors: float | None) -> SequentialRule:
        """The same looks, stopping for futility (``standard_errors`` from the mean) from the
        first look at which a target may be met; None: the rule unchanged."""
        if standard_errors is None:
            return self
        return replace(self, futility_from=self.min_met, futility_se=standard_errors)

    @property
    def look_confidence(self) -> float:
        """Confidence of each look's one-sided test: Bonferroni over the looks."""
        return 1 - (1 - self.confidence) / len(self.looks)


def verdict(values: Sequence[float], direction: str, threshold: float, confidence: float) -> str:
    """``met``, ``missed`` or ``open`` from one look at the replications so far."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if x.size < 2:
        return OPEN
    mean = float(x.mean())
    margin = float(stats.t.ppf(confidence, x.size - 1) * x.std(ddof=1) / math.sqrt(x.size))
    if direction == ">=":
        pessimistic, optimistic = mean - margin, mean + margin
        if pessimistic >= threshold:
            return MET
        return MISSED if optimistic < threshold else OPEN
    pessimistic, optimistic = mean + margin, mean - margin
    if pessimistic <= threshold:
        return MET
    return MISSED if optimistic > threshold else OPEN


def verdicts(
    values: Mapping[str, Sequence[float]],
    targets: Mapping[str, tuple[str, float]],
    rule: SequentialRule,
) -> dict[str, str]:
    """Each target's verdict at one look; ``targets`` maps name -> (direction, threshold).
    Before ``rule.min_met`` replications a target is never called met (only missed or open):
    the t-bound is least reliable on few, skewed values, and a wrong "met" is the error the
    guarantee is about. With ``rule.futility_from``, an open target whose mean moved
    ``rule.futility_se`` standard errors towards the threshold is still on the wrong side,
    from that many replications on, is ``futile``."""
    out = {}
    for name, (direction, threshold) in targets.items():
        found = verdict(values[name], direction, threshold, rule.look_confidence)
        x = np.asarray(values[name], dtype=float)
        x = x[np.isfinite(x)]
        n = int(x.size)
        if found == MET and n < rule.min_met:
            found = OPEN
        if found == OPEN and rule.futility_from is not None and n >= rule.futility_from:
            reach = rule.futility_se * float(x.std(ddof=1)) / math.sqrt(n)
            mean = float(x.mean())
            if (mean + reach < threshold) if direction == ">=" else (mean - reach > threshold):
                found = FUTILE
        out[name] = found
    return out


def run_looks(
    values_at: Callable[[int], Mapping[str, Sequence[float]]],
    targets: Mapping[str, tuple[str, float]],
    rule: SequentialRule,
    stop_on_miss: bool = True,
) -> tuple[dict[str, str], int]:
    """Judge look by look: ``values_at(n)`` gives each target's first ``n`` replications
    (``targets`` as in :func:`verdicts`). Stops as soon as every target is met, or
    (``stop_on_miss``) one is missed or futile, or every target is settled, or at the last
    look; returns the verdicts at the look it stopped at and that look's replications.
    The one loop the search (``CandidateRunner.sequential``), its tests and the power
    benchmark (``benchmarks/probe_power.py``) all judge by."""
    for n in rule.looks:
        found = verdicts(values_at(n), targets, rule)
        if all(v == MET for v in found.values()):
            break
        if stop_on_miss and any(v in (MISSED, FUTILE) for v in found.values()):
            break
        if all(v != OPEN for v in found.values()):
            break
    return found, n
