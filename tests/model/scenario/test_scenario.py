"""The scenario contract: shipped files load, `extends` merges, bad files give one-line errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from model.scenario import ScenarioError, load_scenario, scenario_from_mapping, with_overrides
from tests.conftest import SCENARIOS, as_mapping


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_scenarios_are_valid(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.stages and scenario.sources and scenario.roles


def test_every_real_world_number_in_baseline_has_a_basis() -> None:
    """A number in the baseline carries a comment (its basis, or 'assumption') on its line,
    on a comment line just above, or on a parent line (a commented table header)."""
    structural = {"seed", "warmup_days", "horizon_years", "replications", "description", "title"}
    lines = (SCENARIOS / "baseline.yaml").read_text().splitlines()
    ancestors: list[tuple[int, bool]] = []  # (indent, explained) of the open parent lines
    comment_above = False
    unexplained = []
    for line in lines:
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            comment_above = True
            continue
        indent = len(line) - len(line.lstrip(" -"))
        dash = len(line) - len(line.lstrip(" "))
        while ancestors and ancestors[-1][0] >= (dash if stripped.startswith("-") else indent):
            ancestors.pop()
        explained = "#" in line or comment_above or any(e for _, e in ancestors)
        if stripped.startswith("-"):  # a list item: its first line's comment covers the item
            ancestors.append((dash, explained))
        key, _, value = stripped.lstrip("- ").partition(":")
        value = value.split("#")[0]
        numeric = any(ch.isdigit() for ch in value) and "date" not in key and "midpoint" not in key
        if numeric and key not in structural and not explained:
            unexplained.append(line)
        ancestors.append((indent, explained))
        comment_above = False
    assert unexplained == []


def test_extends_merges_overrides_and_keeps_the_rest(tmp_path: Path) -> None:
    variant = load_scenario(SCENARIOS / "no_monitoring.yaml")
    base = load_scenario(SCENARIOS / "baseline.yaml")
    assert not variant.sources["ict_monitoring"].enabled
    assert variant.sources["confidential_reporting"] == base.sources["confidential_reporting"]
    assert variant.roles == base.roles
    (tmp_path / "b.yaml").write_text(
        "extends: " + str(SCENARIOS / "baseline.yaml") + "\nroles: {ds: {fte: 3}}\n"
    )
    (tmp_path / "c.yaml").write_text("extends: b.yaml\nreporting: {first_action_stage: null}\n")
    chained = load_scenario(tmp_path / "c.yaml")
    assert chained.roles["ds"].fte == 3
    assert chained.roles["ds"].title == base.roles["ds"].title
    assert chained.reporting.first_action_stage is None  # null removes a key: back to default


def _write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "bad.yaml"
    path.write_text(f"extends: {SCENARIOS / 'baseline.yaml'}\n" + textwrap.dedent(body))
    return path


BAD_FILES = {
    "negative rate": (
        "sources: {psd_referrals: {rate_per_week: -2}}",
        "sources.psd_referrals.rate_per_week: Input should be greater than or equal to 0",
    ),
    "negative effort": (
        "stages: {investigation: {effort_hours: {mean: -3}}}",
        "stages.investigation.effort_hours.mean: Input should be greater than 0",
    ),
    "routing does not sum to 1": (
        "stages: {assessment: {routing: {default: {no_further_action: 0.5, development: 0.2}}}}",
        "stages.assessment.routing.default: probabilities must sum to 1",
    ),
    "mix does not sum to 1": (
        "sources: {vetting: {mix: {priority: {high: 0.5, low: 0.1}}}}",
        "sources.vetting.mix.priority: probabilities must sum to 1 (they sum to 0.6)",
    ),
    "unknown role": (
        "stages: {assessment: {role: intel_officer}}",
        "stages.assessment.role: unknown role 'intel_officer'",
    ),
    "unknown key": (
        "sources: {psd_referrals: {rate_per_wek: 2}}",
        "sources.psd_referrals.rate_per_wek: unknown field",
    ),
    "wrong units in the name": (
        "sources: {psd_referrals: {rate_per_month: 6}}",
        "sources.psd_referrals.rate_per_month: unknown field",
    ),
    "units written into the value": (
        "stages: {proceedings: {external_delays: "
        "[{name: h, duration_days: {dist: fixed, value: 3 weeks}}]}}",
        "stages.proceedings.external_delays.0.duration_days.value: must be a number, not text",
    ),
    "unknown distribution": (
        "stages: {investigation: {effort_hours: {dist: gama, mean: 3}}}",
        "stages.investigation.effort_hours: unknown dist 'gama'",
    ),
    "impossible date": ("start_date: 2027-13-45", "start_date: Input should be a valid date"),
    "route to nowhere": (
        "stages: {assessment: {routing: {default: {no_further_action: 0.5, closed: 0.5}}}}",
        "stages.assessment.routing.default.closed: not a stage or an outcome",
    ),
    "probability above one": (
        "sources: {vetting: {mix: {apsp_probability: 1.5}}}",
        "sources.vetting.mix.apsp_probability: Input should be less than or equal to 1",
    ),
    "abstraction of 100%": (
        "roles: {ds: {abstraction_rate: 1.0}}",
        "roles.ds.abstraction_rate: Input should be less than 1",
    ),
    "staff plan below zero": (
        "roles: {di: {staffing_plan: [{date: 2027-06-01, change_fte: -2}]}}",
        "roles.di.staffing_plan.0: FTE would fall below zero",
    ),
    "caseload stage without a cap": (
        "stages: {development: {holds_caseload: true}}",
        "stages.development.holds_caseload: role 'researcher' has no caseload_cap_per_fte",
    ),
    "not a number": ("horizon_years: .nan", "horizon_years: Input should be a finite number"),
}


@pytest.mark.parametrize("case", list(BAD_FILES), ids=list(BAD_FILES))
def test_bad_scenarios_give_one_line_errors(tmp_path: Path, case: str) -> None:
    body, expected = BAD_FILES[case]
    path = _write(tmp_path, body)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    lines = info.value.lines
    assert any(line.startswith(f"{path}: {expected}") for line in lines), lines
    assert all("\n" not in line and line.startswith(str(path)) for line in lines)


def test_unreadable_and_invalid_yaml(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "nope.yaml")
    (tmp_path / "x.yaml").write_text("name: [unclosed\n")
    with pytest.raises(ScenarioError, match=r"x.yaml: line 2: not valid YAML"):
        load_scenario(tmp_path / "x.yaml")
    (tmp_path / "list.yaml").write_text("- a\n- b\n")
    with pytest.raises(ScenarioError, match="must be a mapping"):
        load_scenario(tmp_path / "list.yaml")
    (tmp_path / "loop.yaml").write_text("extends: loop.yaml\n")
    with pytest.raises(ScenarioError, match="circular"):
        load_scenario(tmp_path / "loop.yaml")


def test_cycle_without_exit_is_rejected(baseline) -> None:
    data = as_mapping(baseline)
    data["stages"]["development"]["routing"] = {"default": {"assessment": 1.0}}
    data["stages"]["assessment"]["routing"] = {"default": {"development": 1.0}}
    with pytest.raises(ScenarioError) as info:
        scenario_from_mapping(data, "loop")
    lines = info.value.lines
    assert len(lines) == 2
    assert lines[0].startswith(
        "loop: stages.assessment.routing: no route from here ever reaches a closure outcome"
    )
    assert lines[1].startswith(
        "loop: stages.development.routing: no route from here ever reaches a closure outcome"
    )


def test_overrides_are_revalidated(baseline) -> None:
    assert with_overrides(baseline, {"roles.ds.fte": 5}).roles["ds"].fte == 5
    with pytest.raises(ScenarioError, match=r"roles\.ds\.fte"):
        with_overrides(baseline, {"roles.ds.fte": -1})
    with pytest.raises(ScenarioError, match="no such field"):
        with_overrides(baseline, {"roles.nobody.fte": 1})


def test_content_hash_tracks_meaning_not_formatting(baseline) -> None:
    same = scenario_from_mapping(as_mapping(baseline), "copy")
    assert same.content_hash() == baseline.content_hash()
    assert with_overrides(baseline, {"seed": 2}).content_hash() != baseline.content_hash()


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(
    data=st.dictionaries(
        st.sampled_from(["name", "roles", "stages", "sources", "outcomes", "start_date", "junk"]),
        yaml_values,
        max_size=6,
    )
)
def test_junk_never_escapes_as_anything_but_a_scenario_error(tmp_path_factory, data) -> None:
    path = tmp_path_factory.mktemp("junk") / "junk.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ScenarioError):
        load_scenario(path)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=200))
def test_arbitrary_text_never_crashes_the_loader(tmp_path_factory, text) -> None:
    path = tmp_path_factory.mktemp("text") / "t.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError):
        load_scenario(path)
