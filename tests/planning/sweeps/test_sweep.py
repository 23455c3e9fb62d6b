"""Sweep files (designs, validation, hashing), chunk planning, runs and the report."""

from __future__ import annotations

import functools
import itertools
import json
import math
import re
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from acusim.main import app
from model.engine.unit import run_replication
from model.replications import estimate, meets, one_sided_bound
from model.scenario import ScenarioError, load_scenario, with_overrides
from planning.sweeps.design import (
    MAX_VARIANTS,
    LatinHypercubeDesign,
    format_value,
    latin_hypercube,
    load_sweep,
    short_labels,
)
from planning.sweeps.report import (
    STATUS_CONFIDENT,
    STATUS_MET,
    STATUS_MISSED,
    ReportError,
    build_report,
    kpi_chart,
    write_report,
)
from planning.sweeps.run import (
    LocalBackend,
    chunk_size_for,
    plan_chunks,
    run_sweep,
)
from planning.sweeps.store import SweepStore, read_store
from tests.conftest import SCENARIOS

BASELINE = SCENARIOS / "baseline.yaml"
SHORT = {"horizon_years": 0.25}  # a quarter-year keeps every run a few milliseconds


def write_sweep(folder: Path, name: str = "sweep.yaml", **fields: Any) -> Path:
    """A sweep file over the baseline; ``fields`` replace the defaults."""
    data: dict[str, Any] = {
        "name": "test_sweep",
        "base": str(BASELINE),
        "seed": 7,
        "replications": 3,
        "set": dict(SHORT),
        "design": {
            "kind": "grid",
            "axes": {"roles.dc_investigator.fte": [3, 5], "roles.ds.fte": [1, 2]},
        },
    }
    data.update(fields)
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def one_line_error(path: Path) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_sweep(path)
    assert len(caught.value.lines) == 1, caught.value.lines
    return caught.value.lines[0]


# --------------------------------------------------------------------------- shipped files


@pytest.mark.parametrize(("name", "variants"), [("monitoring_growth", 27), ("staffing_grid", 16)])
def test_shipped_sweeps_are_valid_grids_over_the_baseline(name: str, variants: int) -> None:
    sweep = load_sweep(SCENARIOS / "sweeps" / f"{name}.yaml")
    assert sweep.name == name
    assert sweep.design_kind == "grid"
    assert len(sweep.variants) == variants == math.prod(len(a.values) for a in sweep.axes)
    assert sweep.base.name == load_scenario(BASELINE).name
    # "a few minutes on 2 cores": at most a few hundred runs of about 0.1-0.3 s each
    assert sweep.total_runs <= 300
    assert len({v.id for v in sweep.variants}) == variants


def test_monitoring_growth_crosses_coverage_alert_rate_and_investigators() -> None:
    sweep = load_sweep(SCENARIOS / "sweeps" / "monitoring_growth.yaml")
    paths = {axis.path for axis in sweep.axes}
    assert paths == {
        "sources.ict_monitoring.devices_covered",
        "sources.ict_monitoring.alerts_per_device_per_week",
        "roles.dc_investigator.fte",
    }


# --------------------------------------------------------------------------- designs


def test_grid_has_every_combination_once_with_values_applied(tmp_path: Path) -> None:
    axes = {
        "roles.dc_investigator.fte": [3, 4, 6],
        "sources.ict_monitoring.devices_covered": [500, 2000],
        "sources.ict_monitoring.enabled": [True, False],
    }
    sweep = load_sweep(write_sweep(tmp_path, design={"kind": "grid", "axes": axes}))
    combos = {tuple(v.values[p] for p in axes) for v in sweep.variants}
    assert combos == set(itertools.product(*axes.values()))
    assert len(sweep.variants) == 12
    for variant in sweep.variants:
        s = variant.scenario
        assert s.roles["dc_investigator"].fte == variant.values["roles.dc_investigator.fte"]
        source = s.sources["ict_monitoring"]
        assert source.devices_covered == variant.values["sources.ict_monitoring.devices_covered"]
        assert source.enabled is variant.values["sources.ict_monitoring.enabled"]
        assert s.horizon_years == SHORT["horizon_years"]  # `set` applies to every variant
    assert [v.id for v in sweep.variants] == [f"v{i:02d}" for i in range(1, 13)]
    assert sweep.variants[0].label == (
        "dc_investigator.fte=3, ict_monitoring.devices_covered=500, ict_monitoring.enabled=true"
    )


def test_named_variants_keep_their_names_and_an_empty_one_is_the_base(tmp_path: Path) -> None:
    design = {
        "kind": "variants",
        "variants": {"today": {}, "uplift": {"roles.dc_investigator.fte": 6, "roles.ds.fte": 3}},
    }
    sweep = load_sweep(write_sweep(tmp_path, design=design))
    assert [(v.id, v.label) for v in sweep.variants] == [("today", "today"), ("uplift", "uplift")]
    assert sweep.variants[0].scenario.content_hash() == sweep.base.content_hash()
    assert sweep.variants[1].scenario.roles["ds"].fte == 3
    assert {a.path for a in sweep.axes} == {"roles.dc_investigator.fte", "roles.ds.fte"}


@settings(max_examples=40, deadline=None)
@given(
    samples=st.integers(1, 40),
    bounds=st.lists(st.tuples(st.floats(-1e3, 1e3), st.floats(1e-3, 1e3)), min_size=1, max_size=3),
    seed=st.integers(0, 2**32 - 1),
)
def test_latin_hypercube_puts_one_point_in_every_stratum_of_every_axis(
    samples: int, bounds: list[tuple[float, float]], seed: int
) -> None:
    ranges = {f"a.x{i}": {"low": low, "high": low + width} for i, (low, width) in enumerate(bounds)}
    design = LatinHypercubeDesign.model_validate(
        {"kind": "latin_hypercube", "samples": samples, "seed": seed, "ranges": ranges}
    )
    points = latin_hypercube(design)
    assert len(points) == samples
    for path, r in ranges.items():
        values = np.array([p[path] for p in points])
        assert np.all((values >= r["low"]) & (values <= r["high"]))
        strata = np.floor((values - r["low"]) / (r["high"] - r["low"]) * samples).astype(int)
        assert sorted(np.minimum(strata, samples - 1)) == list(range(samples))
    assert latin_hypercube(design) == points  # the design seed fixes the points


def test_latin_hypercube_integer_ranges_use_each_whole_number_equally_often() -> None:
    design = LatinHypercubeDesign.model_validate(
        {
            "kind": "latin_hypercube",
            "samples": 12,
            "seed": 3,
            "ranges": {"roles.ds.fte": {"low": 1, "high": 4, "integer": True}},
        }
    )
    values = [p["roles.ds.fte"] for p in latin_hypercube(design)]
    assert all(isinstance(v, int) for v in values)
    assert sorted(values) == [1] * 3 + [2] * 3 + [3] * 3 + [4] * 3


def test_latin_hypercube_sweep_depends_on_its_design_seed(tmp_path: Path) -> None:
    def design(seed: int) -> dict[str, Any]:
        return {
            "kind": "latin_hypercube",
            "samples": 4,
            "seed": seed,
            "ranges": {"sources.ict_monitoring.alerts_per_device_per_week": {"low": 0, "high": 1}},
        }

    a = load_sweep(write_sweep(tmp_path, "a.yaml", design=design(1)))
    b = load_sweep(write_sweep(tmp_path, "b.yaml", design=design(1)))
    c = load_sweep(write_sweep(tmp_path, "c.yaml", design=design(2)))
    assert a.content_hash == b.content_hash != c.content_hash
    assert [v.values for v in a.variants] != [v.values for v in c.variants]


def test_values_are_formatted_for_labels() -> None:
    assert [format_value(v) for v in (4, np.int64(4), 0.012345, np.float64(2.5), True)] == [
        "4",
        "4",
        "0.01235",
        "2.5",
        "true",
    ]
    assert format_value({"dist": "gamma", "mean": 3}) == '{"dist":"gamma","mean":3}'


def test_short_labels_are_unambiguous() -> None:
    paths = ["roles.ds.fte", "roles.dc_investigator.fte", "a.b.ds.fte", "horizon_years"]
    assert short_labels(paths) == [
        "roles.ds.fte",
        "dc_investigator.fte",
        "b.ds.fte",
        "horizon_years",
    ]


# --------------------------------------------------------------------------- bad files


def test_unknown_axis_path_is_one_line_naming_file_path_and_choices(tmp_path: Path) -> None:
    path = write_sweep(
        tmp_path, design={"kind": "grid", "axes": {"roles.dc_investigatr.fte": [4, 5]}}
    )
    line = one_line_error(path)
    assert line.startswith(f"{path}: design.axes.roles.dc_investigatr.fte: no such field")
    assert "dc_investigator" in line  # the roles that do exist


def test_empty_axis_is_one_line(tmp_path: Path) -> None:
    path = write_sweep(
        tmp_path, design={"kind": "grid", "axes": {"roles.ds.fte": [], "roles.di.fte": [1]}}
    )
    line = one_line_error(path)
    assert line == (
        f"{path}: design.axes: roles.ds.fte: lists no values (an axis needs at least one)"
    )


def test_reversed_latin_hypercube_bounds_are_one_line(tmp_path: Path) -> None:
    path = write_sweep(
        tmp_path,
        design={
            "kind": "latin_hypercube",
            "samples": 5,
            "seed": 1,
            "ranges": {"roles.ds.fte": {"low": 5, "high": 2}},
        },
    )
    line = one_line_error(path)
    assert line.startswith(f"{path}: design.ranges.roles.ds.fte: low (5) must be below high (2)")


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"extra": 1}, r"extra: unknown field .*docs/sweeps\.md"),
        ({"design": {"kind": "lhs"}}, r"design: unknown kind 'lhs'"),
        ({"replications": 0}, r"replications: .*greater than or equal to 1"),
        ({"base": "nowhere.yaml"}, r"base: file not found"),
        ({"set": {"horizon_yeers": 1}}, r"set\.horizon_yeers: no such field"),
        (
            {"design": {"kind": "grid", "axes": {"roles.ds.fte": [2, 2.0]}}},
            r"design\.axes: roles\.ds\.fte: lists 2\.0 twice",
        ),
        (
            {"design": {"kind": "grid", "axes": {"initial_backlog.0.waiting": [1]}}},
            r"design\.axes\.initial_backlog\.0\.waiting: initial_backlog is a list",
        ),
        (
            {"design": {"kind": "variants", "variants": {"a": {"roles.xx.fte": 1}}}},
            r"design\.variants\.a\.roles\.xx\.fte: no such field",
        ),
        (
            {"design": {"kind": "grid", "axes": {f"a{i}": list(range(10)) for i in range(6)}}},
            rf"at most {MAX_VARIANTS:,}",
        ),
    ],
)
def test_bad_sweep_files_give_one_line_each(
    tmp_path: Path, fields: dict[str, Any], expected: str
) -> None:
    path = write_sweep(tmp_path, **fields)
    line = one_line_error(path)
    assert line.startswith(f"{path}: ")
    assert re.search(expected, line), line


def test_a_bad_value_shared_by_many_variants_is_one_line(tmp_path: Path) -> None:
    path = write_sweep(
        tmp_path,
        design={"kind": "grid", "axes": {"roles.ds.fte": [-1, 2], "roles.di.fte": [1, 2, 3]}},
    )
    line = one_line_error(path)
    assert line.startswith(f"{path}: variant v01 (ds.fte=-1, di.fte=1): roles.ds.fte: ")
    assert "(got -1)" in line and line.endswith("(and 2 more variants)")


def test_cli_reports_a_bad_sweep_in_one_line_without_running(tmp_path: Path) -> None:
    path = write_sweep(tmp_path, design={"kind": "grid", "axes": {"roles.nobody.fte": [1]}})
    result = CliRunner().invoke(app, ["sweep", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "design.axes.roles.nobody.fte: no such field" in lines[0]
    assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- hashing


def test_content_hash_ignores_formatting_but_not_meaning(tmp_path: Path) -> None:
    first = write_sweep(tmp_path, "first.yaml")
    text = first.read_text()
    second = tmp_path / "second.yaml"
    second.write_text("# a comment\n" + text.replace("name: test_sweep", "name:   test_sweep"))
    assert load_sweep(first).content_hash == load_sweep(second).content_hash
    reseeded = write_sweep(tmp_path, "reseeded.yaml", seed=8)
    more = write_sweep(tmp_path, "more.yaml", replications=4)
    hashes = {load_sweep(p).content_hash for p in (first, reseeded, more)}
    assert len(hashes) == 3


def test_replications_and_horizon_can_be_overridden_for_a_quick_trial(tmp_path: Path) -> None:
    path = write_sweep(tmp_path)
    quick = load_sweep(path, replications=2, horizon_years=0.1)
    assert quick.replications == 2 and quick.total_runs == 8
    assert {v.scenario.horizon_years for v in quick.variants} == {0.1}
    assert quick.content_hash != load_sweep(path).content_hash


def test_content_hash_changes_when_the_base_scenario_changes(tmp_path: Path) -> None:
    base = tmp_path / "base.yaml"
    base.write_text(BASELINE.read_text())
    path = write_sweep(tmp_path, base="base.yaml")
    before = load_sweep(path).content_hash
    base.write_text(BASELINE.read_text().replace("rate_per_week: 1.5", "rate_per_week: 1.6"))
    assert load_sweep(path).content_hash != before


# --------------------------------------------------------------------------- chunks


@functools.cache
def small_sweep(folder: str) -> Any:
    return load_sweep(write_sweep(Path(folder), replications=7))


@settings(max_examples=60, deadline=None)
@given(data=st.data(), size=st.integers(1, 9))
def test_chunks_cover_every_missing_run_exactly_once(
    tmp_path_factory: pytest.TempPathFactory, data: st.DataObject, size: int
) -> None:
    sweep = small_sweep(str(tmp_path_factory.getbasetemp()))
    every = [(v.id, r) for v in sweep.variants for r in range(sweep.replications)]
    done = set(data.draw(st.lists(st.sampled_from(every), unique=True)))
    chunks = plan_chunks(sweep, done, size)
    planned = [(c.variant_id, r) for c in chunks for r in c.replications]
    assert sorted(planned) == sorted(set(every) - done)
    assert len(planned) == len(set(planned))
    for chunk in chunks:
        assert 1 <= len(chunk.replications) <= size
        assert list(chunk.replications) == list(
            range(chunk.replications[0], chunk.replications[-1] + 1)
        )


@given(pending=st.integers(0, 10**6), workers=st.integers(1, 512), reps=st.integers(1, 1000))
def test_chunk_size_is_between_one_and_a_variants_replications(
    pending: int, workers: int, reps: int
) -> None:
    size = chunk_size_for(pending, workers, reps)
    assert 1 <= size <= reps
    if pending >= workers * 4 * reps:
        assert size == reps  # big sweeps: whole variants per task


# --------------------------------------------------------------------------- runs


def stored_kpis(out: Path) -> pd.DataFrame:
    return read_store(out).kpi_wide()


def run_into(sweep: Any, out: Path, workers: int, chunk_size: int | None = None) -> Any:
    with SweepStore.open(out, sweep) as store, LocalBackend(workers) as backend:
        return run_sweep(sweep, store, backend, chunk_size)


def test_a_run_is_the_variant_scenario_simulated_with_the_sweep_seed(tmp_path: Path) -> None:
    sweep = load_sweep(write_sweep(tmp_path, replications=2))
    outcome = run_into(sweep, tmp_path / "out", workers=1)
    assert outcome.complete and outcome.stored == 8
    wide = stored_kpis(tmp_path / "out")
    base = load_scenario(BASELINE)
    for variant in sweep.variants:
        scenario = with_overrides(base, {**SHORT, **variant.values})
        for r in range(2):
            expected = run_replication(scenario, sweep.seed, r).kpis
            got = wide.loc[(variant.id, r)]
            assert got[list(expected)].to_numpy() == pytest.approx(
                np.array(list(expected.values()), dtype=float), nan_ok=True, rel=0, abs=0
            )


def test_two_worker_processes_store_exactly_what_one_process_does(tmp_path: Path) -> None:
    sweep = load_sweep(write_sweep(tmp_path))
    run_into(sweep, tmp_path / "one", workers=1)
    run_into(sweep, tmp_path / "two", workers=2, chunk_size=2)
    pd.testing.assert_frame_equal(stored_kpis(tmp_path / "one"), stored_kpis(tmp_path / "two"))


# --------------------------------------------------------------------------- report


@pytest.fixture(scope="module")
def grid_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("grid")
    sweep = load_sweep(
        write_sweep(
            folder,
            replications=4,
            design={
                "kind": "grid",
                "axes": {
                    "roles.dc_investigator.fte": [2, 5],
                    "roles.ds.fte": [1, 2],
                    "roles.researcher.fte": [1, 3],  # whole numbers label the panels
                },
            },
        )
    )
    run_into(sweep, folder / "out", workers=1)
    return folder / "out"


def test_report_estimates_equal_the_engines_estimate(grid_results: Path) -> None:
    report = build_report(grid_results)
    wide = report.stored.kpi_wide()
    table = report.estimates.set_index(["variant_id", "kpi"])
    assert len(table) == len(report.variants) * wide.shape[1]
    for (variant_id, kpi), row in table.iterrows():
        expected = estimate(wide.loc[variant_id][kpi])
        assert row["n"] == expected.n
        for field in ("mean", "ci_low", "ci_high", "half_width"):
            assert row[field] == pytest.approx(getattr(expected, field), rel=1e-9, nan_ok=True)


def test_report_target_status_follows_the_one_sided_bound(grid_results: Path) -> None:
    report = build_report(grid_results)
    wide = report.stored.kpi_wide()
    assert len(report.targets) == len(report.variants) * 4  # the baseline's 4 targets
    for row in report.targets.itertuples(index=False):
        values = wide.loc[row.variant_id][f"target.{row.target}"]
        bound = one_sided_bound(values, row.direction)
        if meets(bound, row.direction, row.threshold):
            assert row.status == STATUS_CONFIDENT
        elif meets(float(values.mean()), row.direction, row.threshold):
            assert row.status == STATUS_MET
        else:
            assert row.status == STATUS_MISSED


def test_heat_map_shows_the_kpi_means_across_two_axes_per_panel(grid_results: Path) -> None:
    report = build_report(grid_results)
    fig = kpi_chart(report, "utilisation.ds", x="ds.fte", y="dc_investigator.fte")
    heatmaps = [t for t in fig.data if t.type == "heatmap"]
    assert len(heatmaps) == 2  # one panel per number of researchers
    assert [a.text for a in fig.layout.annotations] == [
        "researcher.fte=1",
        "researcher.fte=3",
    ]
    means = report.estimates[report.estimates.kpi == "utilisation.ds"].set_index("variant_id")
    cells = sorted(float(z) for t in heatmaps for row in t.z for z in row)
    assert cells == pytest.approx(sorted(means["mean"] * 100))
    assert all("±" in text for t in heatmaps for row in t.text for text in row)
    with pytest.raises(ReportError, match="not an axis"):
        kpi_chart(report, "utilisation.ds", x="nope")
    with pytest.raises(ReportError, match="no such KPI"):
        kpi_chart(report, "nope")


def test_report_page_embeds_plotly_and_works_offline(grid_results: Path, tmp_path: Path) -> None:
    report = build_report(grid_results)
    page = tmp_path / "report.html"
    written = write_report(report, page, report.default_kpis(), "pcc_investigations_over_share")
    text = page.read_text()
    assert re.search(r"<script[^>]*\bsrc=", text) is None  # nothing fetched from a network
    assert text.count("Plotly.newPlot") == 2  # the heat map and the targets chart
    assert len(text) > 1_000_000  # plotly.js itself is inline
    assert "All 32 runs stored." in text and "± " in text
    kpis = pd.read_csv(written[1])
    assert {"variant_id", "kpi", "mean", "ci_low", "ci_high", "n", "ds.fte"} <= set(kpis.columns)
    assert set(pd.read_csv(written[2]).verdict) <= {"met", "met (not confidently)", "missed"}


def test_report_of_named_variants_and_latin_hypercube_charts(tmp_path: Path) -> None:
    named = load_sweep(
        write_sweep(
            tmp_path,
            "named.yaml",
            replications=2,
            design={"kind": "variants", "variants": {"a": {}, "b": {"roles.ds.fte": 1}}},
        )
    )
    run_into(named, tmp_path / "named", workers=1)
    fig = kpi_chart(build_report(tmp_path / "named"), "backlog_end_total")
    assert [t.type for t in fig.data] == ["bar"] and list(fig.data[0].x) == ["a", "b"]

    lhs = load_sweep(
        write_sweep(
            tmp_path,
            "lhs.yaml",
            replications=2,
            design={
                "kind": "latin_hypercube",
                "samples": 3,
                "seed": 4,
                "ranges": {
                    "roles.ds.fte": {"low": 1, "high": 3},
                    "roles.di.fte": {"low": 1, "high": 2},
                },
            },
        )
    )
    run_into(lhs, tmp_path / "lhs", workers=1)
    fig = kpi_chart(build_report(tmp_path / "lhs"), "backlog_end_total")
    assert [t.type for t in fig.data] == ["scatter"] and len(fig.data[0].x) == 3


def test_report_command_prints_the_table_and_writes_files(
    grid_results: Path, tmp_path: Path
) -> None:
    page = tmp_path / "page.html"
    result = CliRunner().invoke(
        app,
        ["report", str(grid_results), "--html", str(page), "--kpi", "utilisation.ds"],
    )
    assert result.exit_code == 0, result.output
    assert "utilisation.ds" in result.stdout and "± " in result.stdout
    assert page.is_file() and (tmp_path / "variant_kpis.csv").is_file()

    bad = CliRunner().invoke(app, ["report", str(grid_results), "--kpi", "nope"])
    assert bad.exit_code == 2 and bad.stderr.strip() == (
        "--kpi nope: no such KPI in this sweep (see variant_kpis.csv)"
    )
    missing = CliRunner().invoke(app, ["report", str(tmp_path / "nothing")])
    assert missing.exit_code == 2 and "not a sweep results folder" in missing.stderr


def test_manifest_of_a_finished_sweep(grid_results: Path) -> None:
    manifest = json.loads((grid_results / "manifest.json").read_text())
    assert manifest["sweep"]["runs"] == 32 and manifest["seed"] == 7
    assert manifest["finished_at"] >= manifest["started_at"]


def test_a_stored_scenario_this_version_refuses_is_a_clear_report_error(tmp_path: Path) -> None:
    sweep = load_sweep(
        write_sweep(tmp_path, replications=1, design={"kind": "variants", "variants": {"only": {}}})
    )
    run_into(sweep, tmp_path / "out", workers=1)
    con = duckdb.connect(str(tmp_path / "out" / "results.duckdb"))
    con.execute("""UPDATE variants SET scenario_json = '{"name": "x"}'""")
    con.close()
    with pytest.raises(ReportError) as caught:
        build_report(tmp_path / "out")
    assert len(caught.value.lines) == 1
    assert caught.value.lines[0].startswith(f"{tmp_path / 'out'}: variant only: ")
    assert "stored by acusim" in caught.value.lines[0]
