"""The scenario file contract: the pydantic models every scenario is validated against.

Everything a user can change lives here and is validated before anything
runs. Unknown keys are errors, so a typo (``rate_per_wek``) cannot pass
silently. Units are part of field names (``_days``, ``_hours``,
``_per_week``); the simulation clock is in days from the start date (less
any warm-up). Real-world numbers are never defaults: the scenario file states
them, with their basis in a comment.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import json
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from model.distributions import Distribution, NumbersOnly
from model.problems import Problems

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]

CATEGORIES: tuple[str, ...] = (
    "infiltration",
    "disclosure_of_information",
    "perverting_the_course_of_justice",
    "sexual_misconduct",
    "controlled_drugs",
    "theft_and_fraud",
    "misuse_of_force_systems",
    "abuse_of_authority",
    "inappropriate_association",
    "vulnerability",
    "assisting_an_offender",
    "other",
)
"""The 12 national corruption categories (College of Policing APP), in snake_case."""

PRIORITIES: tuple[str, ...] = ("high", "medium", "low")
"""Queue order for the ``priority`` discipline: high before medium before low."""

Category = Literal[
    "infiltration",
    "disclosure_of_information",
    "perverting_the_course_of_justice",
    "sexual_misconduct",
    "controlled_drugs",
    "theft_and_fraud",
    "misuse_of_force_systems",
    "abuse_of_authority",
    "inappropriate_association",
    "vulnerability",
    "assisting_an_offender",
    "other",
]
Priority = Literal["high", "medium", "low"]
Probability = Annotated[float, Field(ge=0, le=1)]

PROBABILITY_TOLERANCE = 1e-6
"""How far a set of probabilities may sum from 1 (rounding in hand-written files)."""


FIRST_YEAR, LAST_YEAR = 1990, 2100
"""Dates a scenario may name. Basis: the oldest case extracts a force keeps go back to the
1990s; planning beyond 2100 is meaningless, and year 9999 overflows date arithmetic."""


def _sane_year(value: dt.date) -> dt.date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"year {value.year} is outside {FIRST_YEAR}-{LAST_YEAR}")
    return value


Date = Annotated[dt.date, AfterValidator(_sane_year)]
"""A calendar date between :data:`FIRST_YEAR` and :data:`LAST_YEAR`."""

MAX_RATE_PER_WEEK = 20_000.0
"""Most referrals (or alerts) per week from one source. Basis: the largest English force
(the Met) records a few thousand counter-corruption referrals a year; 20,000 a week is
about 200x that, and still within the run-size limit for a one-year horizon."""

MAX_DEVICES = 1_000_000
"""Most devices covered by monitoring. Basis: about 350,000 people work in policing in
England and Wales; even two devices each for every force is under 1,000,000."""

MAX_FACTOR = 1_000.0
"""Largest rate multiplier of a modifier. Basis: the largest plausible change in referral
volumes (e.g. a new monitoring system) is tens of times; x1000 is far beyond it."""

MAX_BACKLOG_CASES = 100_000
"""Most cases open at the start in one backlog entry. Basis: a large force's ACU holds a
few hundred to a few thousand open cases."""


class StrictModel(NumbersOnly):
    """Base for every scenario model: unknown keys are errors, and numeric fields take numbers
    only (``"3"`` and ``true`` are errors, not 3 and 1)."""

    # defer_build: the validators are built on first use, not at import (start-up time:
    # a scenario's validation builds its whole tree once; see docs/performance.md).
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False, defer_build=True
    )


def _check_sums_to_one(probabilities: dict[str, float]) -> None:
    total = sum(probabilities.values())
    if not probabilities:
        raise ValueError("must list at least one entry")
    if abs(total - 1.0) > PROBABILITY_TOLERANCE:
        raise ValueError(f"probabilities must sum to 1 (they sum to {total:.6g})")


# --------------------------------------------------------------------------- staff


class StaffingChange(StrictModel):
    """A change in a role's FTE on a date: a join (positive) or a leaver (negative)."""

    date: Date = Field(description="Date the change is decided (joins) or takes effect (leavers).")
    change_fte: float = Field(
        ge=-500,
        le=500,
        description="FTE added (positive) or removed (negative); at most 500 either way "
        "(the role's FTE is capped at 500).",
    )
    after_recruitment_lead_time: bool = Field(
        default=False,
        description="If true, a join takes effect after the role's recruitment lead time "
        "(advertising, vetting, training) counted from `date`.",
    )
    note: str = Field(default="", description="Why (e.g. 'uplift approved in budget').")

    @model_validator(mode="after")
    def _non_zero(self) -> StaffingChange:
        if self.change_fte == 0:
            raise ValueError("change_fte must not be zero")
        return self


DAYS_PER_MONTH = 365.0 / 12.0
"""Length of a month in the ramp-up of new post-holders (days)."""


class RampUpStep(StrictModel):
    """One step of a new post-holder's first months: a reduced caseload and work rate."""

    months: float = Field(gt=0, le=60, description="How long this step lasts (months).")
    effort_share: float = Field(
        gt=0,
        le=1,
        description="Share of a fully capable post-holder's casework rate (learning the job).",
    )
    caseload_share: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="Share of a full caseload (places under `caseload_cap_per_fte`) the new "
        "post-holder carries (default: `effort_share`).",
    )
    training_abstraction: float = Field(
        default=0.0,
        ge=0,
        lt=1,
        description="Extra share of the new post-holder's casework time lost to courses in this "
        "step, on top of the role's `abstraction_rate` (the work rate is `effort_share` x (1 - "
        "this)).",
    )

    @property
    def rate_share(self) -> float:
        """Share of a full post-holder's casework rate delivered in this step."""
        return self.effort_share * (1.0 - self.training_abstraction)

    @property
    def places_share(self) -> float:
        """Share of a full caseload carried in this step."""
        return self.effort_share if self.caseload_share is None else self.caseload_share


class Turnover(StrictModel):
    """People leave, rotate and are replaced; new post-holders learn (model.engine.workforce).

    With a turnover block the role's `fte` (and its staffing plan) is the **establishment**,
    the posts funded; the people in post move in and out of them over time."""

    leaving_rate_per_year: float = Field(
        ge=0,
        le=5,
        description="Share of post-holders leaving the unit a year for any reason (resignation, "
        "retirement, transfer, promotion): each leaves after an exponential time with this rate.",
    )
    fixed_tenure_years: float | None = Field(
        default=None,
        gt=0,
        le=40,
        description="If set, a post-holder still in post after this long is rotated out "
        "(tenure policy for specialist posts); today's post-holders are part-way through theirs.",
    )
    replaced: bool = Field(
        default=True,
        description="Whether a leaver's post is filled again (false: it stays vacant).",
    )
    replacement_lead_time_days: float | None = Field(
        default=None,
        ge=0,
        le=3650,
        description="Days a post stays vacant before the replacement starts (default: the role's "
        "`recruitment_lead_time_days`; shorter for an internal transfer).",
    )
    ramp_up: list[RampUpStep] = Field(
        default_factory=list,
        description="A new post-holder's first months, in order; fully capable after the last "
        "step (empty: fully capable at once).",
    )

    @property
    def ramp_up_days(self) -> float:
        """Days from a new post-holder's start until they are fully capable."""
        return sum(step.months for step in self.ramp_up) * DAYS_PER_MONTH


class Role(StrictModel):
    """A skill the unit needs (e.g. DC investigator) and how much of it there is."""

    title: str = Field(description="Name shown to users.")
    fte: float = Field(ge=0, le=500, description="Full-time equivalents at the start date.")
    staffing_plan: list[StaffingChange] = Field(
        default_factory=list,
        max_length=1_000,
        description="Joins and leavers after the start date (at most 1,000).",
    )
    contracted_hours_per_week: float = Field(
        gt=0, le=168, description="Contracted hours per FTE per week."
    )
    abstraction_rate: float = Field(
        ge=0,
        lt=1,
        description="Share of contracted time lost to leave, sickness, training and court.",
    )
    casework_share: float = Field(
        gt=0,
        le=1,
        description="Share of the remaining (present) time spent on casework rather than "
        "meetings, supervision and administration.",
    )
    caseload_cap_per_fte: float | None = Field(
        default=None,
        gt=0,
        le=10_000,
        description="Most cases one FTE may hold at once in stages with `holds_caseload` "
        "(at most 10,000: an investigator holds tens).",
    )
    cost_per_fte_per_year_gbp: float | None = Field(
        default=None, ge=0, description="Annual cost of one FTE including on-costs (GBP)."
    )
    recruitment_lead_time_days: float = Field(
        default=0,
        ge=0,
        le=3_650,
        description="Days from deciding to recruit to a competent post-holder (at most ten years).",
    )
    turnover: Turnover | None = Field(
        default=None,
        description="Leaving, rotation, replacement and ramp-up of post-holders (none: posts "
        "stay filled by fully capable people, and `fte` is the FTE in post).",
    )

    @property
    def casework_hours_per_day(self) -> float:
        """Hours of casework one FTE delivers per calendar day, averaged over the year."""
        return (
            self.contracted_hours_per_week
            * (1.0 - self.abstraction_rate)
            * self.casework_share
            / 7.0
        )


# --------------------------------------------------------------------------- sources


class Condition(StrictModel):
    """Matches cases by attribute; an absent field matches everything."""

    category: list[Category] | None = Field(default=None, description="Any of these categories.")
    apsp: bool | None = Field(default=None, description="APSP flag equals this.")
    priority: list[Priority] | None = Field(default=None, description="Any of these priorities.")
    source: list[Name] | None = Field(default=None, description="Any of these sources.")


class AttributeMix(StrictModel):
    """How a source's referrals divide by category, APSP flag and priority."""

    category: dict[Category, Probability] = Field(
        description="Probability of each national corruption category (sums to 1)."
    )
    apsp_probability: Probability = Field(
        description="Probability a referral is abuse of position for a sexual purpose."
    )
    apsp_probability_by_category: dict[Category, Probability] = Field(
        default_factory=dict,
        description="Overrides `apsp_probability` for the categories listed.",
    )
    priority: dict[Priority, Probability] = Field(
        description="Probability of each priority (sums to 1)."
    )
    apsp_priority: Priority | None = Field(
        default=None, description="If set, APSP referrals always get this priority."
    )

    @field_validator("category", "priority")
    @classmethod
    def _sums(cls, value: dict[str, float]) -> dict[str, float]:
        _check_sums_to_one(value)
        return value


class StepModifier(StrictModel):
    """Multiply the rate by `factor` from `date` on (e.g. a go-live)."""

    type: Literal["step"]
    date: Date = Field(description="Date the step takes effect.")
    factor: float = Field(ge=0, le=MAX_FACTOR, description="Rate multiplier from that date.")


class RampModifier(StrictModel):
    """Move the multiplier linearly from 1 to `factor` between two dates, then hold it."""

    type: Literal["ramp"]
    start: Date = Field(description="Date the ramp starts.")
    end: Date = Field(description="Date the ramp reaches `factor`.")
    factor: float = Field(ge=0, le=MAX_FACTOR, description="Multiplier reached at `end`.")

    @model_validator(mode="after")
    def _ordered(self) -> RampModifier:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class LogisticModifier(StrictModel):
    """S-shaped growth from `from_factor` to `to_factor` (e.g. growing confidence to report)."""

    type: Literal["logistic"]
    midpoint: Date = Field(description="Date growth is half-way.")
    growth_per_year: float = Field(
        gt=0,
        le=365,
        description="Logistic steepness k (per year; at most 365, a step within days).",
    )
    from_factor: float = Field(
        default=1.0, ge=0, le=MAX_FACTOR, description="Multiplier long before midpoint."
    )
    to_factor: float = Field(ge=0, le=MAX_FACTOR, description="Multiplier long after midpoint.")


class SeasonalModifier(StrictModel):
    """A month-of-year profile (12 multipliers, January first; mean about 1)."""

    type: Literal["seasonal"]
    monthly: list[Annotated[float, Field(ge=0, le=MAX_FACTOR)]] = Field(
        min_length=12, max_length=12, description="Multiplier per calendar month."
    )


Modifier = Annotated[
    StepModifier | RampModifier | LogisticModifier | SeasonalModifier,
    Field(discriminator="type"),
]


class RolloutStep(StrictModel):
    """Monitoring coverage reaching `devices` on `date`."""

    date: Date = Field(description="Date this coverage is reached.")
    devices: float = Field(
        ge=0, le=MAX_DEVICES, description="Devices covered from this date (see MAX_DEVICES)."
    )


class _SourceBase(StrictModel):
    title: str = Field(description="Name shown to users.")
    enabled: bool = Field(default=True, description="False switches the source off.")
    entry_stage: Name = Field(description="The stage its referrals enter first.")
    modifiers: list[Modifier] = Field(
        default_factory=list,
        max_length=100,
        description="Multipliers on the rate over time (applied in turn; at most 100).",
    )
    burst_cv: float = Field(
        default=0.0,
        ge=0,
        le=5,
        description="Over-dispersion: coefficient of variation of a gamma multiplier on the "
        "rate, redrawn every `burst_period_days` (0 = Poisson).",
    )
    burst_period_days: float = Field(
        default=7.0,
        ge=1,
        le=3_650,
        description="How long one burst multiplier lasts (days; at least 1: arrivals are drawn "
        "per day, so a shorter period changes nothing but the number of draws).",
    )
    mix: AttributeMix = Field(description="Category, APSP and priority mix of its referrals.")


class RateSource(_SourceBase):
    """A referral stream given by a base rate (e.g. confidential reporting)."""

    kind: Literal["rate"]
    rate_per_week: float = Field(
        ge=0,
        le=MAX_RATE_PER_WEEK,
        description="Referrals per week before modifiers (see MAX_RATE_PER_WEEK).",
    )


class MonitoringSource(_SourceBase):
    """ICT monitoring alerts: devices covered x alerts per device per week."""

    kind: Literal["monitoring"]
    devices_covered: float = Field(
        ge=0, le=MAX_DEVICES, description="Devices covered at the start date."
    )
    alerts_per_device_per_week: float = Field(
        ge=0,
        le=100,
        description="Alerts each covered device raises per week (at most 100: monitoring "
        "that alerted more would be switched off).",
    )
    rollout: list[RolloutStep] = Field(
        default_factory=list,
        max_length=1_000,
        description="Coverage changes after the start date.",
    )
    rollout_shape: Literal["step", "linear"] = Field(
        default="step",
        description="`step`: coverage jumps on each date; `linear`: it grows evenly "
        "between consecutive dates.",
    )

    @model_validator(mode="after")
    def _rollout_sorted(self) -> MonitoringSource:
        dates = [step.date for step in self.rollout]
        if dates != sorted(dates):
            raise ValueError("rollout dates must be in order")
        return self


Source = Annotated[RateSource | MonitoringSource, Field(discriminator="kind")]


# --------------------------------------------------------------------------- stages


class ExternalDelay(StrictModel):
    """Elapsed time that holds no staff (IOPC decision, forensics, hearing date)."""

    name: Name = Field(description="What the case waits for.")
    probability: Probability = Field(default=1.0, description="Share of cases that wait for it.")
    when: Condition | None = Field(default=None, description="Only cases matching this wait.")
    duration_days: Distribution = Field(description="How long the wait lasts (days).")


MAX_EFFORT_CHANGES = 100
"""Most effort changes of one stage. Basis: assumption; a stage's effort changes with a
go-live, a new way of working or an uplift, a few times in a decade, not a hundred."""


class EffortChange(StrictModel):
    """A stage's effort (and optionally its external delays) from a date on.

    A go-live that brings a different kind of case, or a new way of working; dated like a
    staffing change (``Role.staffing_plan``)."""

    date: Date = Field(
        description="Date the new effort applies from: a visit whose effort is drawn on or "
        "after it (when it asks the role for work: on entering a stage without caseload, when "
        "its caseload slot is granted otherwise) takes it. A date before the start date applies "
        "from the start."
    )
    effort_hours: Distribution = Field(
        description="Staff time one case needs from the date (hours of casework)."
    )
    external_delays: list[ExternalDelay] | None = Field(
        default=None,
        max_length=50,
        description="The stage's external delays for visits from the date (how the service "
        "time splits into work and waiting on others, its touch share, may change too); "
        "default: the stage's own `external_delays` are kept.",
    )
    note: str = Field(default="", description="Why (e.g. 'mobile monitoring go-live').")


class RoutingRule(StrictModel):
    """Routes for the cases matching `when` (the first matching rule wins)."""

    when: Condition = Field(description="Which cases the rule applies to.")
    routes: dict[Name, Probability] = Field(
        description="Next stage or closure outcome -> probability (sums to 1)."
    )

    @field_validator("routes")
    @classmethod
    def _sums(cls, value: dict[str, float]) -> dict[str, float]:
        _check_sums_to_one(value)
        return value


class Routing(StrictModel):
    """Where a case goes when it leaves a stage."""

    default: dict[Name, Probability] = Field(
        description="Next stage or closure outcome -> probability (sums to 1)."
    )
    rules: list[RoutingRule] = Field(
        default_factory=list,
        max_length=200,
        description="Exceptions by attribute, checked in order.",
    )

    @field_validator("default")
    @classmethod
    def _sums(cls, value: dict[str, float]) -> dict[str, float]:
        _check_sums_to_one(value)
        return value


class Stage(StrictModel):
    """One queue of the unit: who works it, how long it takes, where cases go next."""

    title: str = Field(description="Name shown to users.")
    role: Name | None = Field(
        default=None, description="The role that works it (none: a pure waiting stage)."
    )
    effort_hours: Distribution | None = Field(
        default=None, description="Staff time one case needs (hours of casework)."
    )
    holds_caseload: bool = Field(
        default=False,
        description="A case holds one of the role's caseload slots for its whole time in the "
        "stage (allocated to someone's caseload) while effort is drawn as staff time.",
    )
    discipline: Literal["priority", "fifo"] = Field(
        default="priority",
        description="`priority`: high before medium before low, first come first served "
        "within a priority; `fifo`: first come first served.",
    )
    precedence: int = Field(
        default=0,
        description="Where several stages share a role: lower numbers are worked first.",
    )
    external_delays: list[ExternalDelay] = Field(
        default_factory=list,
        max_length=50,
        description="Waits after the work, in order, holding no staff.",
    )
    routing: Routing = Field(description="Where cases go next.")
    effort_changes: list[EffortChange] = Field(
        default_factory=list,
        max_length=MAX_EFFORT_CHANGES,
        description="Changes of `effort_hours` (and optionally `external_delays`) from given "
        "dates, in date order (see MAX_EFFORT_CHANGES); before the first, `effort_hours` and "
        "`external_delays` apply (docs/model.md, 'Effort that changes over time').",
    )

    @model_validator(mode="after")
    def _role_and_effort(self) -> Stage:
        if (self.role is None) != (self.effort_hours is None):
            raise ValueError("a stage needs both `role` and `effort_hours`, or neither")
        if self.holds_caseload and self.role is None:
            raise ValueError("`holds_caseload` needs a `role`")
        if self.effort_changes and self.role is None:
            raise ValueError("`effort_changes` needs a `role` (a stage nobody works has no effort)")
        dates = [change.date for change in self.effort_changes]
        if any(b <= a for a, b in itertools.pairwise(dates)):
            raise ValueError("`effort_changes` dates must be in order, each after the one before")
        return self

    def at(self, when: dt.date) -> Stage:
        """The stage as it is on ``when``: the effort (and delays) of the last change on or
        before it; the stage itself when none applies (no copy)."""
        current = None
        for change in self.effort_changes:
            if change.date <= when:
                current = change
        if current is None:
            return self
        delays = (
            self.external_delays if current.external_delays is None else current.external_delays
        )
        return self.model_copy(
            update={
                "effort_hours": current.effort_hours,
                "external_delays": delays,
                "effort_changes": [],
            }
        )


class BacklogEntry(StrictModel):
    """Cases already open when the simulation starts, in one stage: on the start date, or
    at the start of the warm-up when there is one (docs/model.md, 4.1)."""

    stage: Name = Field(description="The stage they are in.")
    source: Name = Field(description="The source whose mix their attributes are drawn from.")
    waiting: int = Field(
        default=0,
        ge=0,
        le=MAX_BACKLOG_CASES,
        description="Cases waiting to be started (see MAX_BACKLOG_CASES).",
    )
    in_progress: int = Field(
        default=0,
        ge=0,
        le=MAX_BACKLOG_CASES,
        description="Cases started (work or caseload).",
    )
    age_days: Distribution | None = Field(
        default=None,
        description="How long before the simulation starts (the start date, or the start "
        "of the warm-up) they were received (default: 0).",
    )
    in_service_days: list[Annotated[float, Field(ge=0)]] | None = Field(
        default=None,
        description="Days each in-progress case has already spent in service (since it was "
        "started) at the start date, one per in-progress case. Given, they resume: their "
        "remaining work and delays are drawn conditional on the stay exceeding that time "
        "(model/engine/resume.py). Not given: a uniform share of a fresh effort remains "
        "and the delays run in full (default).",
    )
    category: Category | None = Field(
        default=None,
        description="If set, every case of the entry has this category (default: drawn "
        "from the source's mix). The cases open at a date are not a sample of the mix: a "
        "priority queue has served its high-priority cases first.",
    )
    apsp: bool | None = Field(
        default=None,
        description="If set, every case of the entry has (true) or has not (false) the "
        "APSP flag (default: drawn from the source's mix).",
    )
    priority: Priority | None = Field(
        default=None,
        description="If set, every case of the entry has this priority (default: drawn "
        "from the source's mix).",
    )

    @model_validator(mode="after")
    def _one_age_per_case(self) -> BacklogEntry:
        if self.in_service_days is not None and len(self.in_service_days) != self.in_progress:
            raise ValueError(
                f"`in_service_days` has {len(self.in_service_days)} values for "
                f"{self.in_progress} in-progress cases: give one per case"
            )
        return self


# --------------------------------------------------------------------------- targets


class ShareWithinTarget(StrictModel):
    """At least `min_share` of cases reach `stage` within `within_days` of referral."""

    kind: Literal["share_within"]
    description: str = Field(default="", description="Plain-words statement of the target.")
    stage: Name = Field(description="The stage whose start (allocation) is timed.")
    within_days: float = Field(gt=0, description="Days from referral received to the start.")
    min_share: Probability = Field(description="Share that must meet it.")
    when: Condition | None = Field(default=None, description="Only cases matching this count.")

    direction: Literal[">="] = ">="

    @property
    def threshold(self) -> float:
        return self.min_share


class LongOpenTarget(StrictModel):
    """At most `max_share` of cases in `stage` take (or are open) longer than `over_days`."""

    kind: Literal["long_open_share"]
    description: str = Field(default="", description="Plain-words statement of the target.")
    stage: Name = Field(description="The stage (e.g. investigation).")
    over_days: float = Field(gt=0, description="Days in the stage that count as too long.")
    max_share: Probability = Field(description="Largest acceptable share.")

    direction: Literal["<="] = "<="

    @property
    def threshold(self) -> float:
        return self.max_share


class BacklogGrowthTarget(StrictModel):
    """The backlog at the end is at most (1 + `max_growth`) x the backlog a year earlier."""

    kind: Literal["backlog_growth"]
    description: str = Field(default="", description="Plain-words statement of the target.")
    stages: list[Name] | None = Field(default=None, description="Stages counted (default: all).")
    count: Literal["open", "waiting"] = Field(
        default="open",
        description="`open`: cases waiting or in progress; `waiting`: only cases waiting for "
        "staff (the queue), so growth of work in progress that follows rising demand is not "
        "counted as a backlog.",
    )
    min_base_cases: float = Field(
        default=1.0,
        gt=0,
        description="Growth is measured against at least this many cases, so a near-empty "
        "queue going from 1 case to 3 does not count as tripling.",
    )
    max_growth: float = Field(ge=-1, description="Largest acceptable growth over the final year.")

    direction: Literal["<="] = "<="

    @property
    def threshold(self) -> float:
        return self.max_growth


Target = Annotated[
    ShareWithinTarget | LongOpenTarget | BacklogGrowthTarget, Field(discriminator="kind")
]


class Reporting(StrictModel):
    """Which stages the headline KPIs refer to."""

    investigation_stage: Name | None = Field(
        default=None, description="Stage whose long-running cases must be reported to the PCC."
    )
    pcc_report_after_days: float = Field(
        default=365,
        gt=0,
        description="Days after which an open investigation must be reported to the PCC "
        "(Police (Conduct) Regulations 2020: 12 months).",
    )
    first_action_stage: Name | None = Field(
        default=None,
        description="Stage whose start counts as the first action on high-priority and APSP "
        "referrals.",
    )
    overload_growth_share: float = Field(
        default=0.02,
        gt=0,
        lt=1,
        description="A stage is reported as overloaded when its queue grows over the second "
        "half of the run by more than this share of the cases entering it (judged on the "
        "one-sided 95% bound across replications; docs/model.md, 'Overload'). Assumption: a "
        "queue that keeps 1 in 50 of its cases for good is not settling.",
    )


# --------------------------------------------------------------------------- staffing search


class RoleSearch(StrictModel):
    """Limits of the staffing search for one role (each overrides the section's default)."""

    fte_step: float | None = Field(
        default=None,
        gt=0,
        le=50,
        description="FTE added or removed in one move (default: the section's `fte_step`).",
    )
    min_fte: float | None = Field(
        default=None,
        ge=0,
        le=500,
        description="Fewest FTE the search may recommend (default: the smallest step above the "
        "busiest year's offered load, below which the role's queue grows without limit).",
    )
    max_fte: float | None = Field(
        default=None,
        ge=0,
        le=500,
        description="Most FTE the search may try (default: `max_fte_multiple` x the larger of "
        "today's FTE and the analytic estimate).",
    )

    @model_validator(mode="after")
    def _ordered(self) -> RoleSearch:
        if self.min_fte is not None and self.max_fte is not None and self.min_fte > self.max_fte:
            raise ValueError(f"min_fte ({self.min_fte:g}) is above max_fte ({self.max_fte:g})")
        return self


class StaffingSearch(StrictModel):
    """How `acusim staff` looks for the cheapest staffing that meets every target."""

    confidence: float = Field(
        default=0.95,
        gt=0.5,
        lt=1,
        description="Confidence with which each target must be met: the one-sided bound of its "
        "KPI across replications must be on the right side of the threshold.",
    )
    fte_step: float = Field(
        default=1.0,
        gt=0,
        le=50,
        description="FTE added or removed in one move (1 = whole posts; 0.5 allows half posts).",
    )
    max_fte_multiple: float = Field(
        default=3.0,
        gt=1,
        le=100,
        description="Default ceiling of each role: this multiple of the larger of today's FTE "
        "and the analytic estimate.",
    )
    roles: dict[Name, RoleSearch] = Field(
        default_factory=dict, description="Per-role step, floor and ceiling."
    )
    precision: float = Field(
        default=0.05,
        gt=0,
        lt=1,
        description="Largest CI half-width of each target KPI, as a fraction of its value (or "
        "of its threshold where that is larger): the goal the answer's precision is reported "
        "against; with `acusim staff --precision` the confirmation runs until it is reached "
        "(the sequential method of Hoad, Robinson and Davies 2010).",
    )
    initial_replications: int = Field(
        default=3,
        ge=3,
        le=1000,
        description="Replications before the precision is first checked (Hoad et al. 2010: 3).",
    )
    look_ahead: int = Field(
        default=5,
        ge=0,
        le=100,
        description="Further replications over which the precision must hold before it is "
        "accepted (Hoad et al. 2010: 5; scaled up in proportion beyond 100 replications).",
    )
    max_replications: int = Field(
        default=100,
        ge=3,
        le=10_000,
        description="Most replications per evaluated staffing; targets whose precision is not "
        "reached by then are reported.",
    )
    confirmation_rounds: int = Field(
        default=3,
        ge=1,
        le=20,
        description="Fresh-seed re-runs allowed to confirm the answer; a failed confirmation "
        "adds staff under the new seed and confirms again.",
    )
    square_root_beta: float = Field(
        default=1.0,
        ge=0,
        le=5,
        description="Safety factor of square-root staffing (FTE = load + beta x sqrt(load)) for "
        "roles without a waiting-time target; about 0.5-2 is usual.",
    )
    exact_evaluations: int = Field(
        default=60,
        ge=1,
        le=100_000,
        description="Most staffings the best-first step may evaluate to prove the cheapest "
        "answer where roles interact; beyond it the answer comes from greedy repair, pruning "
        "and exchanges.",
    )
    tradeoff_steps: int = Field(
        default=3,
        ge=1,
        le=20,
        description="Steps of the binding role either side of the answer at which the "
        "trade-off curve is drawn.",
    )
    first_look_replications: int = Field(
        default=6,
        ge=3,
        le=1000,
        description="Replications of a candidate staffing before its verdict is first checked "
        "by the sequential test; later looks double it up to max_replications (assumption: a "
        "tuning choice, not a real-world number; see docs/staffing.md).",
    )
    target_period_weeks: int = Field(
        default=13,
        ge=1,
        le=520,
        description="Each target is also measured in periods of this many weeks (13: "
        "quarters), to tell when it first fails (`target_period.<name>.<k>` KPIs).",
    )
    futility_standard_errors: float | None = Field(
        default=0.5,
        ge=0,
        le=10,
        description="A staffing the search tries stops as not met (futility) as soon as, from "
        "the look at which a target may first be called met, the target's mean even moved "
        "this many standard errors towards the threshold is still on the wrong side of it. "
        "It never makes a wrong 'met' more likely; it may pass over a staffing just on the "
        "right side, so the answer can be a step dearer (0.5: about 3 in 100 such staffings "
        "in the tests; 0: stop as soon as the mean misses; null: never stop for futility). A "
        "tuning choice, not a real-world number; see docs/staffing.md.",
    )
    floor_probe_max_replications: int | None = Field(
        default=48,
        ge=3,
        le=10_000,
        description="Most replications of a staffing the search tries only to bound one role's "
        "floor (that role varied, every other role at its ceiling); one still unsettled then "
        "counts as not met, so the floor is a step higher. Every staffing that could be the "
        "answer, and its confirmation, still gets up to max_replications, so this never makes "
        "a wrong 'met' more likely; it bounds what a floor probe within noise of a threshold "
        "costs, and may make the answer a step dearer (docs/staffing.md; null: floor probes get "
        "max_replications too). A tuning choice, not a real-world number: 48 is the fourth "
        "look of 6, 12, 24, 48.",
    )
    report_replications: int | None = Field(
        default=None,
        ge=3,
        le=10_000,
        description="Most replications of each neighbour of the answer in the step-down and "
        "trade-off tables (each gets as many as settle its verdicts, up to this); default: "
        "the scenario's replications. The answer and today's staffing always get the "
        "confirmation's replications (a tuning choice, not a real-world number).",
    )

    @model_validator(mode="after")
    def _budget(self) -> StaffingSearch:
        if self.first_look_replications > self.max_replications:
            raise ValueError(
                f"first_look_replications ({self.first_look_replications}) is above "
                f"max_replications ({self.max_replications})"
            )
        if self.initial_replications > self.max_replications:
            raise ValueError(
                f"initial_replications ({self.initial_replications}) is above "
                f"max_replications ({self.max_replications})"
            )
        return self


# --------------------------------------------------------------------------- limits


class Limits(StrictModel):
    """How large a run may be: refused before it starts rather than after hours or gigabytes.

    The defaults are generous for any force's ACU (the shipped baseline is about a hundredth
    of each); raise them knowingly for a study that needs more (docs/limits.md)."""

    max_cases_per_replication: int = Field(
        default=2_000_000,
        ge=1,
        le=100_000_000,
        description="Most cases one replication may be expected to simulate (referrals over "
        "warm-up and horizon plus the initial backlog). Basis: a few hundred bytes of memory "
        "and some microseconds per case; 2,000,000 keeps one replication within about a GB.",
    )
    max_stage_visits_per_replication: int = Field(
        default=10_000_000,
        ge=1,
        le=1_000_000_000,
        description="Most stage visits (each a few simulation events) one replication may be "
        "expected to simulate. Basis: about 10-20 seconds of simulation per million visits.",
    )
    max_expected_visits_per_case: float = Field(
        default=100,
        ge=1,
        le=10_000,
        description="Most stage visits a case may be expected to make, from the routing "
        "(a loop that rarely exits is a mistake). Basis: a case in the shipped network makes "
        "about 2-4 visits.",
    )
    max_visits_per_case: int = Field(
        default=10_000,
        ge=1,
        le=10_000_000,
        description="A run stops with an error if any case visits stages this many times "
        "(catches any loop the routing check cannot see).",
    )


# --------------------------------------------------------------------------- scenario


DISPLAY_ONLY: tuple[str, ...] = ("title", "title_cy", "description_cy")
"""Scenario fields that only name or describe it for people: left out of the content hash,
so adding a Welsh title changes no result's identity."""


class Scenario(StrictModel):
    """A whole what-if: the force's referral sources, the unit's stages and staff."""

    name: str = Field(description="Short name shown in reports.")
    description: str = Field(default="", description="What the scenario represents.")
    start_date: Date = Field(description="First day of the reported period.")
    horizon_years: float = Field(gt=0, le=30, description="Length of the reported period.")
    warmup_days: float = Field(
        default=0,
        ge=0,
        le=3_650,
        description="Days simulated before the start date and left out of the KPIs "
        "(for steady-state studies; 0 when the initial backlog is today's). At most ten "
        "years: the longest cases (investigations of a year or two) are long settled by then.",
    )
    seed: int = Field(
        default=1,
        ge=0,
        le=2**63 - 1,
        description="Seed of all random streams (below 2^63: results stores keep it as a "
        "64-bit integer).",
    )
    replications: int = Field(default=10, ge=1, le=10_000, description="Default replications.")
    roles: dict[Name, Role] = Field(max_length=100, description="The unit's roles.")
    sources: dict[Name, Source] = Field(max_length=100, description="Referral sources.")
    stages: dict[Name, Stage] = Field(
        max_length=200, description="The stage network (at most 200 stages)."
    )
    outcomes: list[Name] = Field(
        min_length=1, max_length=200, description="Ways a case can be closed."
    )
    initial_backlog: list[BacklogEntry] = Field(
        default_factory=list,
        max_length=1_000,
        description="Cases open when the simulation starts: on the start date, or at the "
        "start of the warm-up if there is one.",
    )
    targets: dict[Name, Target] = Field(default_factory=dict, description="Service targets.")
    reporting: Reporting = Field(default_factory=Reporting, description="Headline KPI stages.")
    staffing_search: StaffingSearch = Field(
        default_factory=StaffingSearch,
        description="Settings of the staffing search (`acusim staff`).",
    )
    limits: Limits = Field(
        default_factory=lambda: Limits(),
        description="How large a run may be before it is refused (see docs/limits.md).",
    )
    title: str = Field(
        default="",
        max_length=200,
        description="Title shown to users in English (the app, reports); default: `name`.",
    )
    title_cy: str = Field(
        default="",
        max_length=200,
        description="Title in Welsh; default: the English title.",
    )
    description_cy: str = Field(
        default="",
        max_length=5000,
        description="`description` in Welsh; default: the English description.",
    )

    @property
    def horizon_days(self) -> float:
        return self.horizon_years * 365.0

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        problems = list(_reference_problems(self))
        if problems:
            raise ValueError("\n".join(problems))  # one line each (see validation_lines)
        return self

    def content_hash(self) -> str:
        """A hash of what the scenario means (not its formatting): results carry it."""
        data = self.model_dump(mode="json", by_alias=True)
        if self.staffing_search == StaffingSearch():
            del data["staffing_search"]  # default settings: hashes stay as before the section
        else:  # a setting added later, left at its default: hashes stay as before it
            probe = StaffingSearch.model_fields["floor_probe_max_replications"].default
            if self.staffing_search.floor_probe_max_replications == probe:
                del data["staffing_search"]["floor_probe_max_replications"]
        if self.limits == Limits():
            del data["limits"]  # likewise for the limits
        for words in DISPLAY_ONLY:  # titles in other languages do not change what runs
            data.pop(words, None)
        for role in data["roles"].values():
            if role.get("turnover") is None:
                role.pop("turnover", None)  # no turnover: hashes stay as before the section
        for entry in data["initial_backlog"]:
            for fixed in ("category", "apsp", "priority"):
                if entry.get(fixed) is None:
                    entry.pop(fixed, None)  # attributes from the mix: hashes stay as before
        for stage in data["stages"].values():
            if not stage.get("effort_changes"):
                stage.pop("effort_changes", None)  # no effort changes: hashes stay as before
        canonical = json.dumps(data, sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _reference_problems(s: Scenario) -> list[str]:
    """Cross-references a field validator cannot see: names that must exist elsewhere."""
    problems: list[str] = []
    stage_names = set(s.stages)
    destinations = stage_names | set(s.outcomes)
    overlap = stage_names & set(s.outcomes)
    if overlap:
        problems.append(f"outcomes: {sorted(overlap)} are also stage names")
    for name, source in s.sources.items():
        if source.entry_stage not in stage_names:
            problems.append(f"sources.{name}.entry_stage: unknown stage '{source.entry_stage}'")
    for name, stage in s.stages.items():
        if stage.role is not None and stage.role not in s.roles:
            problems.append(f"stages.{name}.role: unknown role '{stage.role}'")
        elif stage.holds_caseload and s.roles[stage.role].caseload_cap_per_fte is None:
            problems.append(
                f"stages.{name}.holds_caseload: role '{stage.role}' has no caseload_cap_per_fte"
            )
        tables = [("routing.default", stage.routing.default)] + [
            (f"routing.rules.{i}.routes", rule.routes) for i, rule in enumerate(stage.routing.rules)
        ]
        for where, routes in tables:
            for dest in routes:
                if dest not in destinations:
                    problems.append(
                        f"stages.{name}.{where}.{dest}: not a stage or an outcome "
                        f"(stages: {', '.join(sorted(stage_names))}; "
                        f"outcomes: {', '.join(s.outcomes)})"
                    )
    for i, entry in enumerate(s.initial_backlog):
        if entry.stage not in stage_names:
            problems.append(f"initial_backlog.{i}.stage: unknown stage '{entry.stage}'")
        if entry.source not in s.sources:
            problems.append(f"initial_backlog.{i}.source: unknown source '{entry.source}'")
    for name, target in s.targets.items():
        stages = [target.stage] if hasattr(target, "stage") else (target.stages or [])
        for stage in stages:
            if stage not in stage_names:
                problems.append(f"targets.{name}: unknown stage '{stage}'")
    for field in ("investigation_stage", "first_action_stage"):
        stage = getattr(s.reporting, field)
        if stage is not None and stage not in stage_names:
            problems.append(f"reporting.{field}: unknown stage '{stage}'")
    for name in s.staffing_search.roles:
        if name not in s.roles:
            problems.append(f"staffing_search.roles.{name}: unknown role '{name}'")
    for name, role in s.roles.items():
        fte = role.fte
        for i, change in enumerate(sorted(role.staffing_plan, key=lambda c: c.date)):
            fte += change.change_fte
            if fte < -PROBABILITY_TOLERANCE:
                problems.append(
                    f"roles.{name}.staffing_plan.{i}: FTE would fall below zero ({fte:g})"
                )
    if not problems:
        from model.scenario.routing_check import routing_problems  # needs the whole scenario

        problems.extend(routing_problems(s))
    return problems


class ScenarioError(Problems):
    """A scenario file that cannot be used; `lines` holds one message per problem."""


def days_from_start(scenario: Scenario, when: dt.date) -> float:
    """Simulation-clock time (days) of a calendar date: days from the start of the
    *simulation* (the start of the warm-up; the start date when there is none).

    The engine's clock only. Every output counts days from the start date instead (clock
    less ``warmup_days``; docs/outputs.md, "Days and dates"), and dates in outputs are
    calendar dates, so this function never reaches a user."""
    return float((when - scenario.start_date).days) + scenario.warmup_days
