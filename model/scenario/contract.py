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
import json
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from model.distributions import Distribution
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


class StrictModel(BaseModel):
    """Base for every scenario model: unknown keys are errors."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
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

    date: dt.date = Field(
        description="Date the change is decided (joins) or takes effect (leavers)."
    )
    change_fte: float = Field(description="FTE added (positive) or removed (negative).")
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


class Role(StrictModel):
    """A skill the unit needs (e.g. DC investigator) and how much of it there is."""

    title: str = Field(description="Name shown to users.")
    fte: float = Field(ge=0, le=500, description="Full-time equivalents at the start date.")
    staffing_plan: list[StaffingChange] = Field(
        default_factory=list, description="Joins and leavers after the start date."
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
        description="Most cases one FTE may hold at once in stages with `holds_caseload`.",
    )
    cost_per_fte_per_year_gbp: float | None = Field(
        default=None, ge=0, description="Annual cost of one FTE including on-costs (GBP)."
    )
    recruitment_lead_time_days: float = Field(
        default=0, ge=0, description="Days from deciding to recruit to a competent post-holder."
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
    date: dt.date = Field(description="Date the step takes effect.")
    factor: float = Field(ge=0, description="Rate multiplier from that date.")


class RampModifier(StrictModel):
    """Move the multiplier linearly from 1 to `factor` between two dates, then hold it."""

    type: Literal["ramp"]
    start: dt.date = Field(description="Date the ramp starts.")
    end: dt.date = Field(description="Date the ramp reaches `factor`.")
    factor: float = Field(ge=0, description="Multiplier reached at `end`.")

    @model_validator(mode="after")
    def _ordered(self) -> RampModifier:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class LogisticModifier(StrictModel):
    """S-shaped growth from `from_factor` to `to_factor` (e.g. growing confidence to report)."""

    type: Literal["logistic"]
    midpoint: dt.date = Field(description="Date growth is half-way.")
    growth_per_year: float = Field(gt=0, description="Logistic steepness k (per year).")
    from_factor: float = Field(default=1.0, ge=0, description="Multiplier long before midpoint.")
    to_factor: float = Field(ge=0, description="Multiplier long after midpoint.")


class SeasonalModifier(StrictModel):
    """A month-of-year profile (12 multipliers, January first; mean about 1)."""

    type: Literal["seasonal"]
    monthly: list[Annotated[float, Field(ge=0)]] = Field(
        min_length=12, max_length=12, description="Multiplier per calendar month."
    )


Modifier = Annotated[
    StepModifier | RampModifier | LogisticModifier | SeasonalModifier,
    Field(discriminator="type"),
]


class RolloutStep(StrictModel):
    """Monitoring coverage reaching `devices` on `date`."""

    date: dt.date = Field(description="Date this coverage is reached.")
    devices: float = Field(ge=0, description="Devices covered from this date.")


class _SourceBase(StrictModel):
    title: str = Field(description="Name shown to users.")
    enabled: bool = Field(default=True, description="False switches the source off.")
    entry_stage: Name = Field(description="The stage its referrals enter first.")
    modifiers: list[Modifier] = Field(
        default_factory=list, description="Multipliers on the rate over time (applied in turn)."
    )
    burst_cv: float = Field(
        default=0.0,
        ge=0,
        le=5,
        description="Over-dispersion: coefficient of variation of a gamma multiplier on the "
        "rate, redrawn every `burst_period_days` (0 = Poisson).",
    )
    burst_period_days: float = Field(
        default=7.0, gt=0, description="How long one burst multiplier lasts (days)."
    )
    mix: AttributeMix = Field(description="Category, APSP and priority mix of its referrals.")


class RateSource(_SourceBase):
    """A referral stream given by a base rate (e.g. confidential reporting)."""

    kind: Literal["rate"]
    rate_per_week: float = Field(ge=0, description="Referrals per week before modifiers.")


class MonitoringSource(_SourceBase):
    """ICT monitoring alerts: devices covered x alerts per device per week."""

    kind: Literal["monitoring"]
    devices_covered: float = Field(ge=0, description="Devices covered at the start date.")
    alerts_per_device_per_week: float = Field(
        ge=0, description="Alerts each covered device raises per week."
    )
    rollout: list[RolloutStep] = Field(
        default_factory=list, description="Coverage changes after the start date."
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
        default_factory=list, description="Exceptions by attribute, checked in order."
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
        default_factory=list, description="Waits after the work, in order, holding no staff."
    )
    routing: Routing = Field(description="Where cases go next.")

    @model_validator(mode="after")
    def _role_and_effort(self) -> Stage:
        if (self.role is None) != (self.effort_hours is None):
            raise ValueError("a stage needs both `role` and `effort_hours`, or neither")
        if self.holds_caseload and self.role is None:
            raise ValueError("`holds_caseload` needs a `role`")
        return self


class BacklogEntry(StrictModel):
    """Cases already open at the start date in one stage."""

    stage: Name = Field(description="The stage they are in.")
    source: Name = Field(description="The source whose mix their attributes are drawn from.")
    waiting: int = Field(default=0, ge=0, description="Cases waiting to be started.")
    in_progress: int = Field(default=0, ge=0, description="Cases started (work or caseload).")
    age_days: Distribution | None = Field(
        default=None,
        description="How long before the start date they were received (default: 0).",
    )


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


# --------------------------------------------------------------------------- scenario


class Scenario(StrictModel):
    """A whole what-if: the force's referral sources, the unit's stages and staff."""

    name: str = Field(description="Short name shown in reports.")
    description: str = Field(default="", description="What the scenario represents.")
    start_date: dt.date = Field(description="First day of the reported period.")
    horizon_years: float = Field(gt=0, le=30, description="Length of the reported period.")
    warmup_days: float = Field(
        default=0,
        ge=0,
        description="Days simulated before the start date and left out of the KPIs "
        "(for steady-state studies; 0 when the initial backlog is today's).",
    )
    seed: int = Field(default=1, ge=0, description="Seed of all random streams.")
    replications: int = Field(default=10, ge=1, le=10_000, description="Default replications.")
    roles: dict[Name, Role] = Field(description="The unit's roles.")
    sources: dict[Name, Source] = Field(description="Referral sources.")
    stages: dict[Name, Stage] = Field(description="The stage network.")
    outcomes: list[Name] = Field(min_length=1, description="Ways a case can be closed.")
    initial_backlog: list[BacklogEntry] = Field(
        default_factory=list, description="Cases open at the start date."
    )
    targets: dict[Name, Target] = Field(default_factory=dict, description="Service targets.")
    reporting: Reporting = Field(default_factory=Reporting, description="Headline KPI stages.")
    staffing_search: StaffingSearch = Field(
        default_factory=StaffingSearch,
        description="Settings of the staffing search (`acusim staff`).",
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
        problems.extend(_unterminated_stages(s))
    return problems


def _unterminated_stages(s: Scenario) -> list[str]:
    """Stages from which no route leads to a closure outcome: cases would loop forever."""
    can_close: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, stage in s.stages.items():
            if name in can_close:
                continue
            tables = [stage.routing.default] + [rule.routes for rule in stage.routing.rules]
            reachable = {d for t in tables for d, p in t.items() if p > 0}
            if reachable & (set(s.outcomes) | can_close):
                can_close.add(name)
                changed = True
    return [
        f"stages.{name}.routing: no route from here ever reaches a closure outcome"
        for name in s.stages
        if name not in can_close
    ]


class ScenarioError(Problems):
    """A scenario file that cannot be used; `lines` holds one message per problem."""


def days_from_start(scenario: Scenario, when: dt.date) -> float:
    """Simulation-clock time (days) of a calendar date; the clock starts at the warm-up."""
    return float((when - scenario.start_date).days) + scenario.warmup_days
