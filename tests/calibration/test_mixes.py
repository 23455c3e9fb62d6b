"""Multinomial fits: shares with simultaneous intervals, and splits only where tested."""

from __future__ import annotations

import numpy as np
import pandas as pd

from calibration.estimates import g_test, goodman_intervals
from calibration.mixes import fit_mix, fit_routing


def test_goodman_intervals_cover_all_shares_at_once() -> None:
    truth = np.array([0.5, 0.3, 0.15, 0.05])
    rng = np.random.default_rng(0)
    covered = 0
    for _ in range(200):
        counts = rng.multinomial(300, truth)
        _, low, high = goodman_intervals(counts, 0.95)
        covered += bool(np.all((low <= truth) & (truth <= high)))
    assert covered >= 185  # simultaneous: all four inside in at least ~95% of samples


def test_g_test_sees_a_difference_and_ignores_none() -> None:
    assert g_test(np.array([[50, 50], [90, 10]]))[2] < 1e-6
    assert g_test(np.array([[50, 50], [52, 48]]))[2] > 0.5
    assert g_test(np.array([[5, 0], [0, 0]])) == (0.0, 0, 1.0)


def referrals(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    category = rng.choice(
        ["abuse_of_authority", "sexual_misconduct", "other"], n, p=[0.5, 0.3, 0.2]
    )
    apsp = (category == "sexual_misconduct") & (rng.random(n) < 0.4)
    priority = np.where(apsp, "high", rng.choice(["high", "medium", "low"], n, p=[0.2, 0.5, 0.3]))
    return pd.DataFrame({"category": category, "apsp": apsp, "priority": priority})


def test_mix_recovers_shares_and_apsp_structure() -> None:
    fit = fit_mix("s", referrals(2000, 1), 0.99, 0.05)
    shares = dict(zip(fit.category.labels, fit.category.fitted, strict=True))
    assert shares["abuse_of_authority"].contains(0.5) and shares["other"].contains(0.2)
    assert fit.category.labels == ["sexual_misconduct", "abuse_of_authority", "other"]  # canonical
    assert fit.apsp_by_category is not None
    assert fit.apsp_by_category["sexual_misconduct"].contains(0.4)
    assert fit.apsp_by_category["other"].value == 0.0
    assert fit.apsp_priority == "high"
    prio = dict(zip(fit.priority.labels, fit.priority.fitted, strict=True))
    assert prio["medium"].contains(0.5) and fit.priority.what == "non-APSP referrals"


def test_no_apsp_means_no_split() -> None:
    frame = referrals(500, 2).assign(apsp=False)
    fit = fit_mix("s", frame, 0.95, 0.05)
    assert fit.apsp.value == 0.0 and fit.apsp_by_category is None and fit.apsp_priority is None


def test_routing_adds_an_apsp_rule_only_when_apsp_routes_differently() -> None:
    rng = np.random.default_rng(4)
    n = 1500
    apsp = rng.random(n) < 0.1
    outcome = np.where(
        apsp, "investigation", rng.choice(["no_further_action", "investigation"], n, p=[0.6, 0.4])
    )
    outcome[:50] = ""  # still open
    visits = pd.DataFrame({"apsp": apsp, "outcome": outcome})
    fit = fit_routing("assessment", visits, 0.99, 0.05)
    assert fit is not None and fit.finished == n - 50 and fit.unfinished == 50
    assert fit.apsp_rule is not None and fit.apsp_rule.probabilities() == {"investigation": 1.0}
    default = dict(zip(fit.default.labels, fit.default.fitted, strict=True))
    assert default["no_further_action"].contains(0.6)

    same = visits.assign(outcome=rng.choice(["a", "b"], n, p=[0.7, 0.3]))
    assert fit_routing("x", same, 0.95, 0.05).apsp_rule is None
    assert fit_routing("x", visits.assign(outcome=""), 0.95, 0.05) is None
