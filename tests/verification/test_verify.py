"""``acusim verify`` passes on the engine as built and fails on an engine with a planted defect.

A verification suite that cannot fail proves nothing, so each family of
checks is shown to catch a fault that belongs to it: staff working at half
speed (service time doubled), half the referrals lost, closures not counted,
random streams that ignore the seed. Replications run in this process
(``workers=1``) so the monkeypatched defect is the engine that runs.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

import model.engine.kpis
import model.engine.staff
import model.engine.streams
import model.engine.unit
from acusim.main import app
from model.queueing import erlang_c
from model.scenario import Condition, load_scenario, scenario_from_mapping, with_overrides
from tests.conftest import SCENARIOS, as_mapping
from verification.checks import (
    GROUPS,
    JACKSON_STATIONS,
    QUICK,
    Measurement,
    bonferroni_level,
    decide,
    jackson_expected_time_in_system,
    run_checks,
    settings_for,
)
from verification.diagram import describe_condition, mermaid_flowchart

IN_PROCESS = settings_for(False, workers=1)


def _failed(report) -> set[str]:
    return {c.check_id for c in report.failures}


# --------------------------------------------------------------------------- the real engine


def test_quick_verify_passes_every_check(baseline) -> None:
    report = run_checks(baseline, IN_PROCESS)
    assert report.passed, [(c.check_id, c.expected, c.estimate) for c in report.failures]
    assert {c.group for c in report.checks} == set(GROUPS)
    for check in report.checks:
        assert check.estimate.n >= 2, check.check_id
        assert math.isfinite(check.estimate.mean), check.check_id
        if check.kind == "statistical":
            assert check.band_low <= check.estimate.ci_low <= check.estimate.ci_high
            assert check.estimate.ci_high <= check.band_high
    # The table names what the issue asks for.
    ids = {c.check_id for c in report.checks}
    assert {"mmc.c1.mean_wait", "mmc.c6.p_wait", "priority.low.mean_wait"} <= ids
    assert {"mg1.gamma.mean_wait", "jackson.time_in_system", "little.baseline"} <= ids
    assert {"conservation.baseline", "reproducibility.same_seed"} <= ids


# --------------------------------------------------------------------------- planted defects


def test_double_service_time_fails_the_queueing_checks(monkeypatch, baseline) -> None:
    original = model.engine.staff.StaffPool.__init__

    def half_speed(self, env, hours_per_day, on_start, on_finish):
        original(self, env, hours_per_day / 2, on_start, on_finish)

    monkeypatch.setattr(model.engine.staff.StaffPool, "__init__", half_speed)
    report = run_checks(baseline, IN_PROCESS, groups=["mmc", "mg1"])
    assert not report.passed
    failed = _failed(report)
    assert {"mmc.c1.mean_wait", "mmc.c2.mean_wait", "mmc.c6.mean_wait"} <= failed
    assert {"mmc.c1.utilisation", "mmc.c2.utilisation", "mmc.c6.utilisation"} <= failed
    assert {"mg1.gamma.mean_wait", "mg1.fixed.mean_wait"} <= failed


def test_half_the_arrivals_fail_the_arrival_and_queue_checks(monkeypatch, baseline) -> None:
    original = model.engine.unit.sample_arrival_times

    def lose_half(*args, **kwargs):
        return original(*args, **kwargs)[::2]

    monkeypatch.setattr(model.engine.unit, "sample_arrival_times", lose_half)
    report = run_checks(baseline, IN_PROCESS, groups=["mmc", "arrivals"])
    failed = _failed(report)
    assert {"arrivals.ict_monitoring", "arrivals.psd_referrals"} <= failed
    assert {"mmc.c2.mean_wait", "mmc.c6.mean_wait", "mmc.c6.utilisation"} <= failed


def test_uncounted_closures_fail_conservation_and_little(monkeypatch, baseline) -> None:
    original = model.engine.kpis.Recorder.case_closed

    def forget_some(self, case, outcome, now):
        if case.id % 10 != 3:  # every tenth closure goes unrecorded
            original(self, case, outcome, now)

    monkeypatch.setattr(model.engine.kpis.Recorder, "case_closed", forget_some)
    report = run_checks(baseline, IN_PROCESS, groups=["little", "conservation"])
    assert _failed(report) == {"little.baseline", "conservation.baseline"}


def test_streams_that_ignore_the_seed_fail_reproducibility(monkeypatch, baseline) -> None:
    def unseeded(self, name):
        return np.random.default_rng()  # fresh entropy every time: not reproducible

    monkeypatch.setattr(model.engine.streams.Streams, "generator", unseeded)
    report = run_checks(baseline, IN_PROCESS, groups=["reproducibility"])
    assert "reproducibility.same_seed" in _failed(report)


def test_cli_exits_non_zero_and_says_which_checks_failed(monkeypatch, tmp_path: Path) -> None:
    original = model.engine.staff.StaffPool.__init__

    def half_speed(self, env, hours_per_day, on_start, on_finish):
        original(self, env, hours_per_day / 2, on_start, on_finish)

    monkeypatch.setattr(model.engine.staff.StaffPool, "__init__", half_speed)
    page = tmp_path / "verify.html"
    result = CliRunner().invoke(
        app,
        [
            "verify",
            "--only",
            "mg1",
            "--workers",
            "1",
            "--scenario",
            str(SCENARIOS / "baseline.yaml"),
            "--out",
            str(page),
        ],
    )
    assert result.exit_code == 1, result.output
    assert "FAILED" in result.output and "mg1.gamma.mean_wait" in result.output
    text = page.read_text(encoding="utf-8")
    assert "<table>" in text and "FAIL" in text and "2 of 2 checks FAILED" in text


# --------------------------------------------------------------------------- the command


def test_cli_verify_table_and_html_page(tmp_path: Path) -> None:
    page = tmp_path / "sub" / "verify.html"
    result = CliRunner().invoke(
        app,
        [
            "verify",
            "--only",
            "mg1",
            "--only",
            "reproducibility",
            "--workers",
            "1",
            "--scenario",
            str(SCENARIOS / "baseline.yaml"),
            "--out",
            str(page),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "All 4 checks passed." in result.output
    assert "95% CI" in result.output and "pass band" in result.output
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>")
    assert text.count("<td class=pass>") == 4
    assert "M/G/1, gamma service" in text and "E[S^2]" in text
    assert "<script" not in text


def test_cli_rejects_an_unknown_group_and_a_bad_scenario(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["verify", "--only", "erlang"])
    assert result.exit_code == 2
    assert "--only: unknown check group 'erlang'" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(app, ["verify", "--scenario", str(tmp_path / "missing.yaml")])
    assert result.exit_code == 2
    assert "missing.yaml: file not found" in result.output


def test_unknown_group_in_the_api_is_an_error(baseline) -> None:
    with pytest.raises(ValueError, match="unknown check group"):
        run_checks(baseline, QUICK, groups=["nonsense"])


# --------------------------------------------------------------------------- the pass rules


def _measurement(values, expected, kind="statistical") -> Measurement:
    return Measurement("g", "g.x", "x", "basis", "days", kind, np.asarray(values), expected)


def test_statistical_rule_uses_the_family_wise_band() -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(10.0, 1.0, 20)
    mean, sd = values.mean(), values.std(ddof=1)
    inside = decide([_measurement(values, mean + 0.1 * sd)], 0.95)[0]
    assert inside.passed
    assert inside.band_low == pytest.approx(inside.estimate.ci_low)  # one check: the 95% CI
    far = decide([_measurement(values, mean + 3 * sd)], 0.95)[0]
    assert not far.passed
    # Twenty checks at once widen each band to the 99.75% level.
    many = decide([_measurement(values, mean)] * 20, 0.95)
    assert bonferroni_level(0.95, 20) == pytest.approx(0.9975)
    assert many[0].band_high - many[0].band_low > inside.band_high - inside.band_low


def test_statistical_rule_fails_without_an_interval() -> None:
    assert not decide([_measurement([1.0], 1.0)], 0.95)[0].passed
    assert not decide([_measurement([], 1.0)], 0.95)[0].passed
    assert not decide([_measurement([np.nan, np.nan], 1.0)], 0.95)[0].passed


@given(
    values=st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=30),
    bump=st.floats(1e-3, 1e3),
    where=st.integers(0, 29),
)
def test_exact_rule_passes_equal_and_fails_any_real_difference(values, bump, where) -> None:
    expected = np.asarray(values)
    assert decide([_measurement(expected, expected, "exact")], 0.95)[0].passed
    broken = expected.copy()
    broken[where % len(values)] += bump * max(1.0, abs(broken[where % len(values)]))
    assert not decide([_measurement(broken, expected, "exact")], 0.95)[0].passed


def test_exact_checks_do_not_widen_the_statistical_bands() -> None:
    values = np.linspace(0, 1, 10)
    alone = decide([_measurement(values, 0.5)], 0.95)[0]
    with_exact = decide([_measurement(values, 0.5), _measurement([0.0], 0.0, "exact")], 0.95)[0]
    assert alone.band_low == with_exact.band_low


# --------------------------------------------------------------------------- known answers


def test_jackson_expectation_by_hand() -> None:
    """Closed forms: M/M/1 Wq = rho / (mu - lam); M/M/2 Lq = 2 rho^3 / (1 - rho^2)."""
    assert set(JACKSON_STATIONS) == {"first", "second", "third", "waiting"}
    first = 2 * 0.75**3 / (1 - 0.75**2) / 1.0 + 1.5  # lam 1, mean service 1.5 d
    second = 0.6 / (1.0 - 0.6) + 1.0  # lam 0.6, mu 1
    third = 2 * 0.75**3 / (1 - 0.75**2) / 0.6 + 2.5  # lam 0.6, mean service 2.5 d
    assert jackson_expected_time_in_system() == pytest.approx(first + 0.6 * (second + third + 3.0))
    assert erlang_c(1, 0.5) == pytest.approx(0.5)


def test_verification_scenarios_are_valid_scenarios(baseline) -> None:
    """A warm-up in the baseline is removed for the whole-life checks, not rejected."""
    warmed = with_overrides(baseline, {"warmup_days": 30, "horizon_years": 0.5})
    report = run_checks(warmed, settings_for(False, workers=1), groups=["conservation"])
    assert report.passed


# --------------------------------------------------------------------------- the diagram


def test_diagram_shows_every_source_stage_role_outcome_and_route(baseline) -> None:
    text = mermaid_flowchart(baseline)
    assert text.startswith("flowchart LR\n")
    for name in baseline.sources:
        assert f"source_{name}([" in text
    for name, stage in baseline.stages.items():
        assert f"stage_{name}[" in text or f"stage_{name}(" in text
        if stage.role:
            assert f"role_{stage.role} -.- stage_{name}" in text
    for name in baseline.roles:
        assert f"role_{name}{{{{" in text
    for name in baseline.outcomes:
        assert f"outcome_{name}>" in text
    assert 'stage_alert_review -->|"85%"| outcome_false_positive' in text
    assert 'stage_iopc_referral -->|"90.3%"| stage_investigation' in text
    assert 'stage_severity_assessment -.->|"if APSP: 100%"| stage_iopc_referral' in text
    assert "#quot;Bad Apple#quot;" in text  # quotes in titles cannot end a label early
    assert mermaid_flowchart(baseline) == text  # deterministic


def test_diagram_follows_the_scenario(baseline) -> None:
    data = as_mapping(baseline)
    data["stages"]["assessment"]["routing"]["default"] = {
        "no_further_action": 0.5,
        "development": 0.5,
    }
    data["sources"]["vetting"]["enabled"] = False
    changed = scenario_from_mapping(data, "test")
    text = mermaid_flowchart(changed)
    assert 'stage_assessment -->|"50%"| stage_development' in text
    assert "outcome_vetting_review" in text  # still an outcome, just not routed to here
    assert 'stage_assessment -->|"15%"| outcome_vetting_review' not in text
    assert "source_vetting -.-> stage_assessment" in text
    assert "class source_vetting off" in text


def test_every_line_of_the_diagram_is_a_mermaid_statement() -> None:
    """Without a Mermaid parser here: every line is one of the few forms the generator writes,
    and every label's quotes are balanced."""
    forms = [
        r"flowchart LR",
        r"  %% .*",
        r'  subgraph \w+\["[^"]*"\]',
        r"  end",
        r'    \w+(\(\["[^"]*"\]\)|\["[^"]*"\]|\("[^"]*"\)|\{\{"[^"]*"\}\}|>"[^"]*"\])',
        r'  \w+ (-->|-\.->)(\|"[^"]*"\|)? \w+',
        r"  \w+ -\.- \w+",
        r"  classDef off .*",
        r"  class [\w,]+ off",
    ]
    for path in sorted(SCENARIOS.glob("*.yaml")):
        for line in mermaid_flowchart(load_scenario(path)).splitlines():
            assert any(re.fullmatch(form, line) for form in forms), (path.name, line)


def test_conditions_read_as_words() -> None:
    assert describe_condition(None) == "all"
    assert describe_condition(Condition(apsp=True)) == "APSP"
    assert (
        describe_condition(Condition(apsp=False, priority=["high", "medium"]))
        == "not APSP and priority high or medium"
    )
    assert describe_condition(Condition(category=["sexual_misconduct"])) == (
        "category sexual misconduct"
    )


def test_cli_diagram_prints_and_writes(tmp_path: Path, baseline) -> None:
    result = CliRunner().invoke(app, ["diagram", str(SCENARIOS / "baseline.yaml")])
    assert result.exit_code == 0
    assert result.output == mermaid_flowchart(baseline)
    target = tmp_path / "d.md"
    result = CliRunner().invoke(
        app, ["diagram", str(SCENARIOS / "baseline.yaml"), "--markdown", "--out", str(target)]
    )
    assert result.exit_code == 0
    assert target.read_text() == "```mermaid\n" + mermaid_flowchart(baseline) + "```\n"
    result = CliRunner().invoke(app, ["diagram", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2 and "nope.yaml: file not found" in result.output
