"""The scenario file contract: what a user may change, validated before anything runs.

The public names are re-exported here so callers say ``from model.scenario
import Scenario, load_scenario`` without knowing whether a name belongs to the
models (:mod:`~model.scenario.contract`) or to reading files
(:mod:`~model.scenario.loading`).
"""

from model.scenario.contract import (
    CATEGORIES,
    PRIORITIES,
    AttributeMix,
    BacklogGrowthTarget,
    Condition,
    Limits,
    LogisticModifier,
    LongOpenTarget,
    MonitoringSource,
    Name,
    RampModifier,
    RateSource,
    Role,
    Routing,
    Scenario,
    ScenarioError,
    SeasonalModifier,
    ShareWithinTarget,
    StaffingChange,
    Stage,
    StepModifier,
    StrictModel,
    Turnover,
    days_from_start,
)
from model.scenario.loading import (
    ANY_FILE,
    SHIPPED_ONLY,
    SHIPPED_SCENARIOS_DIR,
    ExtendsFrom,
    load_scenario,
    read_yaml_mapping,
    resolve_extends,
    scenario_from_mapping,
    validation_lines,
    with_overrides,
)
from model.scenario.routing_check import routing_problems
from model.scenario.safe_yaml import parse_yaml_text, read_regular_file, read_yaml_file

__all__ = [
    "ANY_FILE",
    "CATEGORIES",
    "PRIORITIES",
    "SHIPPED_ONLY",
    "SHIPPED_SCENARIOS_DIR",
    "AttributeMix",
    "BacklogGrowthTarget",
    "Condition",
    "ExtendsFrom",
    "Limits",
    "LogisticModifier",
    "LongOpenTarget",
    "MonitoringSource",
    "Name",
    "RampModifier",
    "RateSource",
    "Role",
    "Routing",
    "Scenario",
    "ScenarioError",
    "SeasonalModifier",
    "ShareWithinTarget",
    "StaffingChange",
    "Stage",
    "StepModifier",
    "StrictModel",
    "Turnover",
    "days_from_start",
    "load_scenario",
    "parse_yaml_text",
    "read_regular_file",
    "read_yaml_file",
    "read_yaml_mapping",
    "resolve_extends",
    "routing_problems",
    "scenario_from_mapping",
    "validation_lines",
    "with_overrides",
]
