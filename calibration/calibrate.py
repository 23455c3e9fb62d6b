"""Calibration as one call: an extract in, every fit and the scenario they make out.

``fit_extract`` runs the fits (arrivals, mixes, entry stages, routing, durations, effort,
open work) on a checked :class:`~calibration.extract.Extract`; ``calibrate_extract`` is
the in-memory API for the app and scripts: raw CSVs (paths, bytes, uploads or
DataFrames) in, a :class:`CalibrationResult` with the validated scenario, its YAML text
and the HTML report out. Nothing here reads or writes files on its own account.

What the extract cannot say (each role's hours and abstraction, which role works each
stage, caseload caps, targets) comes from an optional *template* scenario, or else from
settings whose defaults carry their basis. The fit's *structure* (which components each
model has, which distribution family) can be fixed, so a bootstrap sample is refitted
with the same shape and only its numbers change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Annotated, Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from calibration.arrivals import (
    ArrivalFit,
    ArrivalSettings,
    ArrivalStructure,
    fit_arrivals,
    refit_with_structure,
)
from calibration.durations import DurationFit, DurationFitError, fit_duration
from calibration.effort import (
    EffortError,
    FteHistory,
    RoleEffort,
    case_days_in_service,
    derive_role_effort,
    template_touch_share,
)
from calibration.extract import Extract, ExtractSource, read_extract
from calibration.mixes import (
    MixFit,
    MixStructure,
    RoutingFit,
    RoutingStructure,
    fit_mix,
    fit_routing,
)
from calibration.structure import (
    BacklogGroup,
    EntryStage,
    entry_stages,
    open_work,
    outcomes,
    service_durations,
    sojourn_durations,
    visits,
    wait_durations,
)
from model.problems import Problems
from model.scenario import Role, Scenario, Stage

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
            lines.append(f"{option}{detail}: {error['msg']} (got {error.get('input')!r})")
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

    @property
    def sources(self) -> list[str]:
        return list(self.arrivals)


def _fte_history(extract: Extract) -> dict[str, tuple[FteHistory, list[tuple[dt.date, float]]]]:
    if extract.staffing is None:
        return {}
    histories = {}
    for role, rows in extract.staffing.groupby("role", sort=False):
        rows = rows.sort_values("from_day")
        history = FteHistory(tuple(rows["from_day"]), tuple(rows["fte"]))
        changes = [
            (d, float(f))
            for d, day, f in zip(rows["from_date"], rows["from_day"], rows["fte"], strict=True)
            if day > 0
        ]
        histories[str(role)] = (history, changes)
    return histories


def _roles(
    extract: Extract,
    settings: CalibrationSettings,
    template: Scenario | None,
    stage_roles: dict[str, str | None],
) -> dict[str, RoleSpec]:
    histories = _fte_history(extract)
    wanted = [r for r in dict.fromkeys(stage_roles.values()) if r is not None]
    wanted += [r for r in histories if r not in wanted]
    problems = []
    roles: dict[str, RoleSpec] = {}
    for name in wanted:
        base: Role | None = template.roles.get(name) if template else None
        if name in histories:
            history, changes = histories[name]
            history_from = "staffing"
        elif base is not None:
            history, changes, history_from = FteHistory((0.0,), (base.fte,)), [], "template"
        else:
            users = [s for s, r in stage_roles.items() if r == name]
            problems.append(
                f"stage(s) {', '.join(users)}: role '{name}' is in neither "
                f"{extract.files.get('staffing') or 'a staffing file'} nor the template"
            )
            continue
        if base is not None:
            roles[name] = RoleSpec(
                name=name,
                title=base.title,
                contracted_hours_per_week=base.contracted_hours_per_week,
                abstraction_rate=base.abstraction_rate,
                casework_share=base.casework_share,
                caseload_cap_per_fte=base.caseload_cap_per_fte,
                cost_per_fte_per_year_gbp=base.cost_per_fte_per_year_gbp,
                recruitment_lead_time_days=base.recruitment_lead_time_days,
                parameters_from="template",
                history=history,
                history_from=history_from,
                changes=changes,
            )
        else:
            roles[name] = RoleSpec(
                name=name,
                title=name.replace("_", " ").capitalize(),
                contracted_hours_per_week=settings.contracted_hours_per_week,
                abstraction_rate=settings.abstraction_rate,
                casework_share=settings.casework_share,
                caseload_cap_per_fte=None,
                cost_per_fte_per_year_gbp=None,
                recruitment_lead_time_days=0.0,
                parameters_from="settings",
                history=history,
                history_from=history_from,
                changes=changes,
            )
    if problems:
        raise CalibrationError(problems)
    return roles


def _stage_roles(
    extract: Extract, settings: CalibrationSettings, template: Scenario | None
) -> dict[str, str | None]:
    stages = extract.stages
    unknown = [s for s in settings.stage_roles if s not in stages]
    if unknown:
        raise CalibrationError(
            [
                f"--stage-role: no stage '{s}' in {extract.files['events']} "
                f"(stages: {', '.join(stages)})"
                for s in unknown
            ]
        )
    result: dict[str, str | None] = {}
    for stage in stages:
        if stage in settings.stage_roles:
            result[stage] = settings.stage_roles[stage]
        elif template is not None and stage in template.stages:
            result[stage] = template.stages[stage].role
        else:
            result[stage] = None
    return result


def _fit_duration_or_none(
    label: str, data, settings: CalibrationSettings, what: str, family: str | None, light: bool
) -> DurationFit | None:
    if data.n == 0 or data.events == 0:
        return None
    try:
        return fit_duration(label, data, settings.confidence, what, family, with_km=not light)
    except DurationFitError:
        return None


def fit_extract(
    extract: Extract,
    settings: CalibrationSettings | None = None,
    template: Scenario | None = None,
    structure: FitStructure | None = None,
    light: bool = False,
) -> Calibration:
    """Fit everything the scenario needs. ``structure`` fixes model shapes (bootstrap);
    ``light`` skips what only the report uses (waiting times, Kaplan-Meier curves)."""
    settings = settings or CalibrationSettings()
    unknown_sources = [s for s in settings.change_points if s not in extract.sources]
    if unknown_sources:
        raise CalibrationError(
            [
                f"--change-point: no source '{s}' in {extract.files['referrals']} "
                f"(sources: {', '.join(extract.sources)})"
                for s in unknown_sources
            ]
        )
    all_visits = visits(extract)
    window = extract.window_days
    refs = extract.referrals

    arrivals: dict[str, ArrivalFit] = {}
    mixes: dict[str, MixFit] = {}
    for source in extract.sources:
        rows = refs.loc[refs["source"] == source]
        if structure is None:
            arrivals[source] = fit_arrivals(
                source,
                rows["received"].to_numpy(),
                extract.window_start,
                window,
                settings.arrival_settings(),
                settings.change_points.get(source),
            )
        else:
            arrivals[source] = _refit_arrivals(source, rows, extract, settings, structure)
        mixes[source] = fit_mix(
            source,
            rows,
            settings.confidence,
            settings.alpha,
            None if structure is None else structure.mixes.get(source),
        )

    entries = entry_stages(extract, all_visits)
    stage_roles = _stage_roles(extract, settings, template)
    roles = _roles(extract, settings, template, stage_roles)
    families = {} if structure is None else structure.families
    stages: dict[str, StageFit] = {}
    for stage in extract.stages:
        rows = all_visits.loc[all_visits["stage"] == stage]
        role = stage_roles[stage]
        wait = None
        if not light:  # waits come from the queues in a scenario: only the report shows them
            wait = _fit_duration_or_none(
                f"{stage} wait",
                wait_durations(rows, window),
                settings,
                "visits",
                families.get((stage, "wait")),
                light,
            )
        service = sojourn = None
        if role is not None:
            service = _fit_duration_or_none(
                f"{stage} service",
                service_durations(rows, window),
                settings,
                "started visits",
                families.get((stage, "service")),
                light,
            )
        else:
            sojourn = _fit_duration_or_none(
                f"{stage} time in stage",
                sojourn_durations(rows, window),
                settings,
                "visits",
                families.get((stage, "sojourn")),
                light,
            )
        routing = fit_routing(
            stage,
            rows,
            settings.confidence,
            settings.alpha,
            None if structure is None else structure.routing.get(stage),
        )
        stages[stage] = StageFit(
            name=stage,
            role=role,
            template=template.stages.get(stage) if template else None,
            visits=len(rows),
            wait=wait,
            service=service,
            sojourn=sojourn,
            routing=routing,
            case_days=case_days_in_service(
                rows["started"].to_numpy(), rows["finished"].to_numpy(), window
            ),
        )
    _check_stages(stages, extract)

    efforts: dict[str, RoleEffort] = {}
    problems = []
    fixed = _fixed_touch_shares(stages, roles, settings, extract)
    for name, spec in roles.items():
        worked = [s for s, fit in stages.items() if fit.role == name and fit.service is not None]
        try:
            efforts[name] = derive_role_effort(
                name,
                worked,
                {s: stages[s].case_days for s in worked},
                spec.history,
                spec.hours_per_day,
                settings.utilisation_of(name),
                window,
                fixed,
            )
        except EffortError as exc:
            problems.append(str(exc))
    if problems:
        raise CalibrationError(problems)

    fitted_structure = structure or FitStructure(
        arrivals={s: f.structure for s, f in arrivals.items()},
        mixes={s: m.structure for s, m in mixes.items()},
        routing={s: f.routing.structure for s, f in stages.items() if f.routing is not None},
        families={
            (s, kind): fit.chosen.family
            for s, f in stages.items()
            for kind, fit in (("wait", f.wait), ("service", f.service), ("sojourn", f.sojourn))
            if fit is not None
        },
    )
    return Calibration(
        settings=settings,
        files=extract.files,
        n_referrals=len(refs),
        n_events=len(extract.events),
        window_start=extract.window_start,
        as_of=extract.as_of,
        window_days=window,
        skipped=extract.skipped,
        skipped_problems=extract.skipped_problems,
        warnings=list(extract.warnings) + _entry_warnings(entries),
        arrivals=arrivals,
        mixes=mixes,
        entries=entries,
        stages=stages,
        roles=roles,
        efforts=efforts,
        outcomes=outcomes(extract),
        backlog=open_work(all_visits, window),
        template=template,
        structure=fitted_structure,
    )


def _fixed_touch_shares(
    stages: dict[str, StageFit],
    roles: dict[str, RoleSpec],
    settings: CalibrationSettings,
    extract: Extract,
) -> dict[str, tuple[float, str]]:
    """Touch shares given by --touch-share, else by the template's work share for
    template stages that have external delays (see effort.py)."""
    problems = []
    for stage in settings.touch_shares:
        if stage not in stages:
            problems.append(
                f"--touch-share: no stage '{stage}' in {extract.files['events']} "
                f"(stages: {', '.join(stages)})"
            )
        elif stages[stage].role is None:
            problems.append(f"--touch-share: stage '{stage}' has no role, so no staff effort")
    if problems:
        raise CalibrationError(problems)
    fixed = {s: (k, "--touch-share") for s, k in settings.touch_shares.items()}
    for name, fit in stages.items():
        template = fit.template
        if name in fixed or fit.role is None or template is None:
            continue
        if template.external_delays and template.effort_hours is not None:
            share = template_touch_share(
                template.effort_hours.mean(),
                roles[fit.role].hours_per_day,
                [(d.probability, d.duration_days.mean()) for d in template.external_delays],
            )
            fixed[name] = (share, "the template's effort time over effort plus delays")
    return fixed


def _refit_arrivals(
    source: str,
    rows: pd.DataFrame,
    extract: Extract,
    settings: CalibrationSettings,
    structure: FitStructure,
) -> ArrivalFit:
    """A bootstrap refit: the same components, fitted again (with intervals)."""
    return refit_with_structure(
        source,
        rows["received"].to_numpy(),
        extract.window_start,
        extract.window_days,
        settings.arrival_settings(),
        structure.arrivals[source],
    )


def _check_stages(stages: dict[str, StageFit], extract: Extract) -> None:
    """Stages the extract cannot describe, unless the template does."""
    problems = []
    for name, fit in stages.items():
        if fit.routing is None and (fit.template is None):
            problems.append(
                f"{extract.files['events']}: stage '{name}': no visit has finished, so where "
                "its cases go next is unknown; give a --template scenario that has this stage"
            )
        timing = fit.service if fit.role is not None else fit.sojourn
        if timing is None and fit.template is None:
            what = "service time" if fit.role is not None else "time in stage"
            problems.append(
                f"{extract.files['events']}: stage '{name}': no visit has finished, so its "
                f"{what} cannot be fitted; give a --template scenario that has this stage"
            )
        elif timing is None:
            fit.notes.append("no visit has finished here: timing taken from the template")
        if fit.routing is None and fit.template is not None:
            fit.notes.append("no visit has finished here: routing taken from the template")
    if problems:
        raise CalibrationError(problems)


def _entry_warnings(entries: dict[str, EntryStage]) -> list[str]:
    return [
        f"source '{e.source}': {1 - e.share:.0%} of its {e.n} referrals first entered a stage "
        f"other than '{e.stage}'; the scenario sends them all to '{e.stage}'"
        for e in entries.values()
        if e.share < 1.0
    ]


# --------------------------------------------------------------------------- public API


@dataclass
class CalibrationResult:
    """What ``calibrate_extract`` returns: the scenario three ways, the report, the fits."""

    calibration: Calibration
    scenario: Scenario
    mapping: dict[str, Any]
    yaml_text: str
    report_html: str
    parameter_sets: list[dict[str, Any]] = field(default_factory=list)
    """Bootstrap override sets (``with_overrides`` paths), if ``bootstrap`` > 0."""
    skipped: dict[str, int] = field(default_factory=dict)
    """Bad rows left out per file (only with ``skip_bad_rows``), to be reported."""


def calibrate_extract(
    referrals: ExtractSource,
    events: ExtractSource,
    staffing: ExtractSource | None = None,
    as_of: str | dt.date | dt.datetime | None = None,
    *,
    settings: CalibrationSettings | None = None,
    template: Scenario | None = None,
    bootstrap: int = 0,
    skip_bad_rows: bool = False,
    max_problems: int = 50,
    workers: int = 1,
    with_report: bool = True,
) -> CalibrationResult:
    """Extract in (paths, bytes, file objects or DataFrames), scenario and report out.

    The one pipeline behind ``acusim calibrate`` and the app's Calibrate page.
    ``workers``: processes for the bootstrap; ``with_report=False`` skips building the
    HTML report (``report_html`` is then empty).

    Raises :class:`~calibration.extract.ExtractError` for bad input and
    :class:`CalibrationError` for an extract that cannot make a scenario; both carry
    ``lines``, one message per problem. Nothing is written to disk."""
    from calibration.report import calibration_report
    from calibration.uncertainty import bootstrap_parameter_sets
    from calibration.writer import render_scenario

    extract = read_extract(
        referrals,
        events,
        staffing,
        as_of,
        skip_bad_rows=skip_bad_rows,
        max_problems=max_problems,
    )
    calibration = fit_extract(extract, settings, template)
    scenario, mapping, text = render_scenario(calibration)
    sets: list[dict[str, Any]] = []
    spread = None
    if bootstrap > 0:
        sets, spread = bootstrap_parameter_sets(
            extract,
            calibration,
            bootstrap,
            seed=calibration.settings.seed,
            workers=max(1, min(workers, bootstrap)),
        )
    html = calibration_report(calibration, text, spread) if with_report else ""
    return CalibrationResult(
        calibration, scenario, mapping, text, html, sets, dict(extract.skipped)
    )


__all__ = [
    "Calibration",
    "CalibrationError",
    "CalibrationResult",
    "CalibrationSettings",
    "calibrate_extract",
    "fit_extract",
    "make_settings",
]
