"""What a calibration produces and is configured by, shared by the fit, the report, the
writer and the uncertainty bootstrap (so none of them imports another's orchestrator)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from calibration.arrivals import ArrivalFit, ArrivalSettings, ArrivalStructure
from calibration.durations import DurationFit
from calibration.effort import FteHistory, RoleEffort
from calibration.effort_periods import EffortPeriod
from calibration.mixes import MixFit, MixStructure, RoutingFit, RoutingStructure
from calibration.structure import BacklogGroup, EntryStage
from calibration.wording import Message, catalogue
from model.problems import Problems
from model.scenario import Scenario, Stage

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]


class CalibrationError(Problems):
    """Calibration cannot go on; ``lines`` holds one message per problem."""


class CalibrationSettings(BaseModel):
    """Every choice calibration makes that a user may change (``acusim calibrate`` options)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(default="calibrated", description="Name of the calibrated scenario.")
    confidence: float = Field(
        default=0.95, gt=0.5, lt=1, description="Two-sided level of every interval."
    )
    alpha: float = Field(
        default=0.05,
        gt=0,
        lt=0.5,
        description="Significance level of the tests that add a component: negative "
        "binomial over Poisson, an APSP routing rule, APSP rates by category.",
    )
    utilisation: float = Field(
        default=0.85,
        gt=0,
        le=1,
        description="Assumption: share of each role's available casework time spent on the "
        "extract's cases (effort.py). A unit with stable queues works below full capacity; "
        "check it with `acusim validate-fit`.",
    )
    role_utilisation: dict[Name, Annotated[float, Field(gt=0, le=1)]] = Field(
        default_factory=dict, description="`utilisation` for particular roles."
    )
    touch_shares: dict[Name, Annotated[float, Field(gt=0, le=1)]] = Field(
        default_factory=dict,
        description="Assumption: share of a stage's service time that is hands-on work, for "
        "stages whose service includes waiting on others (an IOPC decision). Default: the "
        "template's work share for template stages with external delays, else derived "
        "from `utilisation` (effort.py).",
    )
    change_points: dict[Name, dt.date] = Field(
        default_factory=dict,
        description="Known change dates by source (e.g. a monitoring go-live): a step is "
        "fitted there instead of searched for.",
    )
    detect_change_points: bool = Field(
        default=True, description="Search for a change point in sources without a known date."
    )
    min_segment_days: int = Field(
        default=56,
        ge=7,
        description="A change point found by search leaves at least this many days on each "
        "side (8 weeks: a shorter stretch cannot be told from a burst).",
    )
    seasonal_min_years: float = Field(
        default=2.0,
        ge=1,
        description="Seasonality is tried only when the window covers every month this often.",
    )
    horizon_years: float = Field(
        default=4.0,
        gt=0,
        le=30,
        description="Horizon of the calibrated scenario from the as-of date (4 years: the "
        "Force Management Statement's projection period).",
    )
    stage_roles: dict[Name, Name] = Field(
        default_factory=dict,
        description="Which role works each stage (overrides the template); a stage with no "
        "role is modelled as elapsed time only.",
    )
    contracted_hours_per_week: float = Field(
        default=40.0,
        gt=0,
        le=168,
        description="For roles not in the template: police officers' normal 40-hour week "
        "(Police Regulations).",
    )
    abstraction_rate: float = Field(
        default=0.30,
        ge=0,
        lt=1,
        description="For roles not in the template: Met local policing model (32% assumed, "
        "29% measured).",
    )
    casework_share: float = Field(
        default=0.85,
        gt=0,
        le=1,
        description="For roles not in the template: assumption, as in the baseline scenario "
        "(15% of present time on meetings and administration).",
    )
    seed: int = Field(default=1, ge=0, description="Seed of the calibrated scenario.")

    def arrival_settings(self) -> ArrivalSettings:
        return ArrivalSettings(
            confidence=self.confidence,
            alpha=self.alpha,
            detect_change_points=self.detect_change_points,
            min_segment_days=self.min_segment_days,
            seasonal_min_years=self.seasonal_min_years,
        )

    def utilisation_of(self, role: str) -> float:
        return self.role_utilisation.get(role, self.utilisation)


OPTION_OF_FIELD = {
    "confidence": "--confidence",
    "alpha": "--alpha",
    "utilisation": "--utilisation",
    "role_utilisation": "--utilisation",
    "touch_shares": "--touch-share",
    "change_points": "--change-point",
    "min_segment_days": "--min-segment-days",
    "seasonal_min_years": "--seasonal-min-years",
    "horizon_years": "--horizon-years",
    "stage_roles": "--stage-role",
    "contracted_hours_per_week": "--contracted-hours",
    "abstraction_rate": "--abstraction-rate",
    "casework_share": "--casework-share",
    "name": "--name",
    "seed": "--seed",
}


def _setting_problem(error: dict[str, Any]) -> str:
    """Pydantic's reason as a catalogue message (``settings_errors.<type>``) when the
    catalogue words it exactly as pydantic does, so it can be given in Welsh; any other
    reason as pydantic writes it (English)."""
    key = f"settings_errors.{error['type']}"
    if key in catalogue("en"):
        ctx = {
            k: int(v) if isinstance(v, float) and v.is_integer() else v
            for k, v in (error.get("ctx") or {}).items()
        }
        message = Message(key, **ctx)
        if message == error["msg"]:
            return message
    return error["msg"]


def make_settings(**values: Any) -> CalibrationSettings:
    """Validated settings; a bad value is a CalibrationError naming its option."""
    try:
        return CalibrationSettings(**values)
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            loc = [str(p) for p in error["loc"]]
            option = OPTION_OF_FIELD.get(loc[0], loc[0]) if loc else "settings"
            detail = f" ({'.'.join(loc[1:])})" if len(loc) > 1 else ""
            lines.append(
                Message(
                    "fit_messages.bad_setting",
                    option=option,
                    detail=detail,
                    problem=_setting_problem(error),
                    value=repr(error.get("input")),
                )
            )
        raise CalibrationError(lines) from None


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class FitStructure:
    """The shape of every model, so bootstrap refits change numbers, not structure."""

    arrivals: dict[str, ArrivalStructure]
    mixes: dict[str, MixStructure]
    routing: dict[str, RoutingStructure]
    families: dict[tuple[str, str], str]
    """(stage, 'wait' | 'service' | 'sojourn') -> distribution family."""
    effort_boundaries: dict[str, tuple[float, ...]] = field(default_factory=dict)
    """Stage -> start days of its effort periods after the first (effort_periods.py)."""
    touch_factors: dict[str, tuple[tuple[float, float, float], ...]] = field(default_factory=dict)
    """Role -> (start day, end day, factor) of the periods the history matching moved."""


@dataclass
class RoleSpec:
    """A role in the calibrated scenario: parameters, where they came from, FTE history."""

    name: str
    title: str
    contracted_hours_per_week: float
    abstraction_rate: float
    casework_share: float
    caseload_cap_per_fte: float | None
    cost_per_fte_per_year_gbp: float | None
    recruitment_lead_time_days: float
    parameters_from: str
    """'template' or 'settings'."""
    history: FteHistory
    history_from: str
    """'staffing' or 'template'."""
    changes: list[tuple[dt.date, float]] = field(default_factory=list)
    """(date, FTE from then) rows after the window start, from staffing.csv."""

    @property
    def hours_per_day(self) -> float:
        return (
            self.contracted_hours_per_week * (1 - self.abstraction_rate) * self.casework_share / 7
        )


@dataclass
class StageFit:
    name: str
    role: str | None
    template: Stage | None
    visits: int
    wait: DurationFit | None
    service: DurationFit | None
    sojourn: DurationFit | None
    routing: RoutingFit | None
    case_days: float
    notes: list[str] = field(default_factory=list)
    periods: list[EffortPeriod] = field(default_factory=list)
    """Effort periods where the service time changed materially (empty: one effort)."""
    period_candidates: list[EffortPeriod] = field(default_factory=list)
    """Each candidate period's own service-time fit (shown in the report)."""


@dataclass
class Calibration:
    """Every fit made from one extract, and what the scenario and report are built from."""

    settings: CalibrationSettings
    files: dict[str, str]
    n_referrals: int
    n_events: int
    window_start: dt.date
    as_of: dt.datetime
    window_days: float
    skipped: dict[str, int]
    skipped_problems: list[str]
    warnings: list[str]
    arrivals: dict[str, ArrivalFit]
    mixes: dict[str, MixFit]
    entries: dict[str, EntryStage]
    stages: dict[str, StageFit]
    roles: dict[str, RoleSpec]
    efforts: dict[str, RoleEffort]
    outcomes: list[str]
    backlog: list[BacklogGroup]
    template: Scenario | None
    structure: FitStructure
    role_checks: list[Any] = field(default_factory=list)
    """The replay's check of each role, period by period (``history_match.RoleMatch``): the
    report's table and the warnings in either language (``history_match.warnings``)."""

    @property
    def sources(self) -> list[str]:
        return list(self.arrivals)
