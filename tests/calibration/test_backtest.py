"""`acusim backtest`: fitted on what was known at a cut, the forecast must hold what happened.

A small known scenario with a go-live (a step in complaints) and a staffing uplift after
the cut, simulated by `acusim synth`'s engine, cut before the uplift and forecast on."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml

from calibration.backtest import (
    BACKLOG_SERIES,
    COVERAGE_FLOOR,
    DEFAULT_REPLICATIONS,
    MIN_REPLICATIONS,
    SCHEMA,
    SeriesBand,
    known_at,
    run_backtest,
)
from calibration.calibrate import fit_extract
from calibration.extract import read_extract
from calibration.synth import synthesise
from calibration.writer import render_scenario
from model.scenario import scenario_from_mapping
from tests.calibration.conftest import HOURS_PER_DAY, acusim, roundtrip_mapping

AS_OF = dt.date(2025, 1, 1)
CUT = dt.date(2024, 7, 1)
TRUE_EFFORT = 1.5 * HOURS_PER_DAY


def backtest_mapping() -> dict:
    m = roundtrip_mapping()
    m["start_date"], m["horizon_years"] = "2023-01-01", 2
    m["sources"]["complaints"]["modifiers"][0]["date"] = "2023-09-01"  # the go-live
    m["roles"]["ds"]["fte"] = 1.0
    m["roles"]["ds"]["staffing_plan"] = [{"date": "2024-09-01", "change_fte": 1}]  # uplift
    m["stages"]["assessment"]["effort_hours"] = {"dist": "gamma", "mean": TRUE_EFFORT, "cv": 0.8}
    m["stages"]["investigation"]["external_delays"][0]["duration_days"] = {
        "dist": "lognormal",
        "mean": 120,
        "cv": 0.9,
    }
    return m


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("backtest")
    template = root / "known.yaml"
    template.write_text(yaml.safe_dump(backtest_mapping(), sort_keys=False))
    scenario = scenario_from_mapping(backtest_mapping(), "known")
    synthesise(scenario, 2.0, AS_OF, seed=3).write(root / "extract")
    return root / "extract", template


@pytest.fixture(scope="module")
def extract(files):
    d, _ = files
    return read_extract(d / "referrals.csv", d / "stage_events.csv", d / "staffing.csv", AS_OF)


@pytest.fixture(scope="module")
def backtest(extract):
    template = scenario_from_mapping(backtest_mapping(), "known")
    return run_backtest(extract, CUT, template=template, seed=1)


def test_the_fit_cannot_see_after_the_cut(extract) -> None:
    """Perturb everything after the cut: the cut extract and the fit are unchanged."""
    day = (CUT - extract.window_start).days
    changed = extract.events.copy()
    late = changed["finished"] >= day
    changed.loc[late, "finished"] += 3.0
    changed.loc[changed["started"] >= day, "started"] += 1.0
    refs = extract.referrals.copy()
    refs.loc[refs["received"] >= day, "source"] = "complaints"
    other = dataclasses.replace(extract, referrals=refs, events=changed)
    a, b = known_at(extract, CUT), known_at(other, CUT)
    assert a.referrals.equals(b.referrals) and a.events.equals(b.events)
    assert (a.events["finished"].dropna() < day).all() and a.as_of.date() == CUT
    text_a = render_scenario(fit_extract(a, light=True))[2]
    text_b = render_scenario(fit_extract(b, light=True))[2]
    assert text_a == text_b


def test_the_open_caseload_keeps_who_is_open(extract) -> None:
    """One DS served high-priority (APSP) cases first: those left waiting at the cut are
    low and medium, not a sample of the arrival mix, and the backlog entries say so."""
    before = known_at(extract, CUT)
    scenario = render_scenario(fit_extract(before, light=True))[0]
    ev = before.events.merge(before.referrals, on="referral_id")
    still = ev.loc[ev["finished"].isna()]
    waiting = still.loc[(still["stage"] == "assessment") & still["started"].isna()]
    expected = Counter(zip(waiting["priority"], waiting["apsp"], strict=True))
    assert expected and all(p != "high" and not apsp for p, apsp in expected)
    got: Counter = Counter()
    for e in scenario.initial_backlog:
        if e.stage == "assessment" and e.waiting:
            got[(e.priority, e.apsp)] += e.waiting
    assert got == expected
    investigating = still.loc[(still["stage"] == "investigation") & still["started"].notna()]
    entries = [e for e in scenario.initial_backlog if e.stage == "investigation"]
    assert sum(e.in_progress for e in entries) == len(investigating)
    assert all(len(e.in_service_days or []) == e.in_progress for e in entries)


def test_round_trip_recovers_effort_and_covers_every_backlog(backtest) -> None:
    """Issue #11's proof: effort within 10%, and the 95% band holds what happened in at
    least 90% of the weeks for every backlog series (waiting and in progress, per stage)."""
    effort = backtest.scenario.stages["assessment"].effort_hours.mean()
    assert effort == pytest.approx(TRUE_EFFORT, rel=0.10)
    backlog = [b for b in backtest.bands if b.series in BACKLOG_SERIES]
    assert {b.key for b in backlog} == {"assessment", "investigation"} and len(backlog) == 4
    for band in backlog:
        assert band.coverage >= COVERAGE_FLOOR, (band.label, band.coverage)
    # The band is predictive: each replication ran with its own bootstrap refit.
    assert backtest.replications == DEFAULT_REPLICATIONS and backtest.input_uncertainty
    # The backlog the forecast starts from is the open caseload at the cut, resuming.
    entries = [e for e in backtest.scenario.initial_backlog if e.stage == "investigation"]
    assert entries and all(e.in_service_days for e in entries)


def test_json_follows_the_schema(backtest) -> None:
    payload = backtest.to_json()
    assert payload["schema"] == SCHEMA and payload["cut"] == CUT.isoformat()
    series = {(r["series"], r["key"]) for r in payload["series"]}
    assert ("arrivals", "complaints") in series and ("completions", "assessment") in series
    assert ("backlog_waiting", "assessment") in series
    assert ("backlog_in_progress", "investigation") in series
    ends = sorted({r["week_ending"] for r in payload["series"]})
    assert ends[0] == (CUT + dt.timedelta(days=7)).isoformat()
    gaps = {
        (dt.date.fromisoformat(b) - dt.date.fromisoformat(a)).days
        for a, b in itertools.pairwise(ends)
    }
    assert gaps == {7} and payload["end"] == ends[-1]
    for r in payload["series"]:
        assert r["p2_5"] <= r["mean"] + 1e-9 <= r["p97_5"] + 2e-9
    assert set(payload["coverage"]) == {f"{s}.{k}" for s, k in series}
    assert payload["verdict"] in ("pass", "partial", "fail") and payload["verdict_text"]


def test_cli_backtest_json_and_report(files, tmp_path) -> None:
    d, template = files
    result = acusim(
        "backtest",
        "--referrals",
        str(d / "referrals.csv"),
        "--events",
        str(d / "stage_events.csv"),
        "--staffing",
        str(d / "staffing.csv"),
        "--cut",
        "2024-10-01",
        "--template",
        str(template),
        "-n",
        "3",
        "--no-input-uncertainty",
        "--json",
        "--report",
        str(tmp_path / "bt.html"),
        "--workers",
        "1",
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    payload = json.loads(result.stdout)
    assert payload["schema"] == SCHEMA and payload["cut"] == "2024-10-01"
    # Fewer than a 95% band needs are raised to MIN_REPLICATIONS, with a note saying so.
    assert payload["replications"] == MIN_REPLICATIONS
    assert any(f"needs at least {MIN_REPLICATIONS} replications" in n for n in payload["notes"])
    html = (tmp_path / "bt.html").read_text()
    assert "<script src=" not in html and "Plotly" in html and "band" in html


def test_cut_outside_the_extract_is_one_line(files) -> None:
    d, _ = files
    result = acusim(
        "backtest",
        "--referrals",
        str(d / "referrals.csv"),
        "--events",
        str(d / "stage_events.csv"),
        "--cut",
        "2030-01-01",
    )
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "--cut 2030-01-01" in result.stderr


def test_bands_are_percentiles_for_one_new_realisation(backtest) -> None:
    """The band's ends are the replications ranked 2.5% and 97.5% of the way through R + 1
    (numpy's 'weibull'): a new draw's rank among R replications is uniform on 1..R+1."""
    b = backtest.bands[0]
    assert np.allclose(b.low, np.percentile(b.simulated, 2.5, axis=0, method="weibull"))
    rng = np.random.default_rng(4)
    sims = rng.normal(size=(20000, MIN_REPLICATIONS + 1))  # R replications + the truth
    band = SeriesBand("x", "y", sims[:, -1], sims[:, :-1].T)
    assert abs(band.coverage - 0.95) < 0.01  # numpy's default 'linear': about 0.90
    linear = np.percentile(sims[:, :-1], [2.5, 97.5], axis=1)
    inside = (sims[:, -1] >= linear[0]) & (sims[:, -1] <= linear[1])
    assert inside.mean() < band.coverage - 0.015


def test_validate_fit_gives_a_verdict(extract) -> None:
    from calibration.validate_fit import validate_fit
    from model.scenario import with_overrides

    truth = scenario_from_mapping(backtest_mapping(), "known")
    good = validate_fit(truth, extract, replications=6, seed=2)
    slow = with_overrides(
        truth,
        {"stages.assessment.effort_hours": {"dist": "gamma", "mean": 3 * TRUE_EFFORT, "cv": 0.8}},
    )
    bad = validate_fit(slow, extract, replications=6, seed=2)
    assert bad.verdict == "fail" and "did not reproduce" in bad.verdict_text()
    backlog = [s.coverage for s in good.series if s.measure == "backlog"]
    assert min(backlog) > max(
        s.coverage for s in bad.series if s.measure == "backlog" and s.key == "assessment"
    )
    assert good.verdict == "pass" and "reproduced the history" in good.verdict_text()


def test_calibrate_warns_per_role_when_the_replay_is_at_capacity(files) -> None:
    """One DS for a year of doubled complaints: the history itself was overloaded."""
    from calibration.pipeline import calibrate_extract

    d, _ = files
    template = scenario_from_mapping(backtest_mapping(), "known")
    result = calibrate_extract(
        d / "referrals.csv",
        d / "stage_events.csv",
        d / "staffing.csv",
        AS_OF,
        template=template,
        with_report=False,
    )
    lines = [w for w in result.calibration.warnings if w.startswith("role 'ds'")]
    assert len(lines) == 1 and "utilisation" in lines[0] and "at capacity" in lines[0]
    assert "matched to the observed open caseload" in result.yaml_text
    plain = calibrate_extract(
        d / "referrals.csv", d / "stage_events.csv", None, AS_OF, template=template,
        with_report=False,
    )  # fmt: skip
    assert any("no staffing.csv" in w for w in plain.calibration.warnings)


def test_cli_replications_follow_the_backtest_constants() -> None:
    """`acusim backtest` writes its default and minimum as literals (importing calibration
    when the CLI loads would cost every command a second); they must stay this module's."""
    import typer

    from acusim.main import app

    command = typer.main.get_command(app).commands["backtest"]
    option = next(p for p in command.params if p.name == "replications")
    assert option.default == DEFAULT_REPLICATIONS
    assert f"needs {MIN_REPLICATIONS} or more" in option.help
