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
    load_scenario,
    read_yaml_mapping,
    resolve_extends,
    scenario_from_mapping,
    validation_lines,
    with_overrides,
)

__all__ = [
    "CATEGORIES",
    "PRIORITIES",
    "AttributeMix",
    "BacklogGrowthTarget",
    "Condition",
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
    "read_yaml_mapping",
    "resolve_extends",
    "scenario_from_mapping",
    "validation_lines",
    "with_overrides",
]
