"""Attribute mixes per source and routing probabilities per stage (multinomial fits).

Both are tables of proportions, so both get the same treatment: the maximum likelihood
estimate (the observed share) with Goodman's simultaneous confidence intervals, and a
likelihood-ratio (G) test before splitting a table by an attribute, so a scenario gains
an APSP routing rule or a per-category APSP rate only where the extract shows one.

Routing is estimated from finished visits: an unfinished visit has no destination yet.
That is unbiased when where a case goes does not depend on how long it takes, as in the
engine (routes are drawn independently of durations); the report states the number of
unfinished visits so a reader can judge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from calibration.estimates import Fitted, g_test, goodman_intervals, wilson_interval
from model.scenario import CATEGORIES, PRIORITIES


@dataclass
class Proportions:
    """A fitted probability table: labels with counts and simultaneous intervals."""

    labels: list[str]
    counts: np.ndarray
    fitted: list[Fitted]
    what: str

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    def probabilities(self) -> dict[str, float]:
        """Observed labels only (a label never seen gets no entry: probability 0)."""
        return {
            label: f.value
            for label, f, c in zip(self.labels, self.fitted, self.counts, strict=True)
            if c > 0
        }


def proportions(
    counts: dict[str, int] | pd.Series,
    confidence: float,
    what: str,
    labels: list[str] | None = None,
) -> Proportions:
    """Shares with Goodman simultaneous intervals over ``labels`` (default: those counted)."""
    counts = dict(counts)
    labels = labels if labels is not None else sorted(counts, key=lambda k: -counts[k])
    values = np.array([counts.get(label, 0) for label in labels], dtype=float)
    p, low, high = goodman_intervals(values, confidence)
    n = int(values.sum())
    fitted = [
        Fitted(float(p[i]), float(low[i]), float(high[i]), n, what, "multinomial, Goodman CI")
        for i in range(len(labels))
    ]
    return Proportions(labels, values, fitted, what)


@dataclass(frozen=True)
class MixStructure:
    """Which splits a source's mix has (fixed when refitting bootstrap samples)."""

    apsp_by_category: bool
    apsp_priority: str | None


@dataclass
class MixFit:
    source: str
    n: int
    category: Proportions
    apsp: Fitted
    apsp_by_category: dict[str, Fitted] | None
    apsp_priority: str | None
    priority: Proportions
    structure: MixStructure
    tests: dict[str, tuple[float, int, float]]
    """Name -> (G statistic, degrees of freedom, p-value)."""


def fit_mix(
    source: str,
    referrals: pd.DataFrame,
    confidence: float,
    alpha: float,
    structure: MixStructure | None = None,
) -> MixFit:
    """Category, APSP and priority mix of one source's referrals."""
    n = len(referrals)
    category = proportions(
        referrals["category"].value_counts(),
        confidence,
        "referrals",
        _ordered(referrals["category"], CATEGORIES),
    )
    apsp_count = int(referrals["apsp"].sum())
    low, high = wilson_interval(apsp_count, n, confidence)
    apsp = Fitted(apsp_count / n, low, high, n, "referrals", "binomial, Wilson CI")
    tests: dict[str, tuple[float, int, float]] = {}

    by_cat_table = pd.crosstab(referrals["category"], referrals["apsp"]).to_numpy()
    tests["apsp_by_category"] = g_test(by_cat_table)
    prio_table = pd.crosstab(referrals["apsp"], referrals["priority"]).to_numpy()
    tests["priority_by_apsp"] = g_test(prio_table)
    if structure is None:
        split = apsp_count > 0 and tests["apsp_by_category"][2] < alpha
        apsp_priorities = set(referrals.loc[referrals["apsp"], "priority"])
        fixed_priority = None
        if len(apsp_priorities) == 1 and tests["priority_by_apsp"][2] < alpha:
            fixed_priority = apsp_priorities.pop()
        structure = MixStructure(split, fixed_priority)

    by_category = None
    if structure.apsp_by_category:
        by_category = {}
        for cat, group in referrals.groupby("category", sort=False):
            k, m = int(group["apsp"].sum()), len(group)
            lo, hi = wilson_interval(k, m, confidence)
            by_category[str(cat)] = Fitted(k / m, lo, hi, m, f"{cat} referrals", "Wilson CI")
    basis = referrals
    if structure.apsp_priority is not None:
        basis = referrals.loc[~referrals["apsp"]]
        if basis.empty:  # every referral is APSP: the mix is never used, keep it valid
            basis = referrals
    what = "non-APSP referrals" if basis is not referrals else "referrals"
    priority = proportions(
        basis["priority"].value_counts(), confidence, what, _ordered(basis["priority"], PRIORITIES)
    )
    return MixFit(
        source=source,
        n=n,
        category=category,
        apsp=apsp,
        apsp_by_category=by_category,
        apsp_priority=structure.apsp_priority,
        priority=priority,
        structure=structure,
        tests=tests,
    )


def _ordered(values: pd.Series, order: tuple[str, ...]) -> list[str]:
    """The labels present, in the scenario format's canonical order."""
    present = set(values)
    return [label for label in order if label in present]


@dataclass(frozen=True)
class RoutingStructure:
    apsp_rule: bool


@dataclass
class RoutingFit:
    stage: str
    finished: int
    unfinished: int
    default: Proportions
    apsp_rule: Proportions | None
    structure: RoutingStructure
    test: tuple[float, int, float]


def fit_routing(
    stage: str,
    visits: pd.DataFrame,
    confidence: float,
    alpha: float,
    structure: RoutingStructure | None = None,
) -> RoutingFit | None:
    """Destinations of a stage's finished visits; ``visits`` carries the referral's apsp.

    None when no visit has finished (nothing to estimate from)."""
    done = visits.loc[visits["outcome"] != ""]
    if done.empty:
        return None
    labels = list(done["outcome"].value_counts().index)
    table = pd.crosstab(done["apsp"], done["outcome"]).reindex(columns=labels, fill_value=0)
    test = g_test(table.to_numpy())
    if structure is None:
        both = done["apsp"].any() and (~done["apsp"]).any()
        structure = RoutingStructure(bool(both and test[2] < alpha))
    rule = None
    base = done
    if structure.apsp_rule:
        apsp = done.loc[done["apsp"]]
        base = done.loc[~done["apsp"]]
        if not apsp.empty:
            rule = proportions(apsp["outcome"].value_counts(), confidence, "finished APSP visits")
        if base.empty:
            base = done
    what = "finished non-APSP visits" if structure.apsp_rule else "finished visits"
    default = proportions(base["outcome"].value_counts(), confidence, what)
    return RoutingFit(
        stage=stage,
        finished=len(done),
        unfinished=len(visits) - len(done),
        default=default,
        apsp_rule=rule,
        structure=structure,
        test=test,
    )
