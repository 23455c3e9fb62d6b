"""docs/scenario-reference.md is generated from the models and must be current."""

from model.scenario.reference import render
from tests.conftest import ROOT


def test_scenario_reference_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "scenario-reference.md").read_text()
    assert committed == render(), "run `make docs` and commit docs/scenario-reference.md"


def test_every_field_is_documented() -> None:
    rows = [line for line in render().splitlines() if line.startswith("| `")]
    assert len(rows) > 80
    undocumented = [row for row in rows if not row.rstrip(" |").rsplit("|", 1)[-1].strip()]
    assert undocumented == []
