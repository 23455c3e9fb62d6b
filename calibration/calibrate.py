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
import difflib

import pandas as pd

from calibration.arrivals import (
    ArrivalFit,
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
from calibration.effort_periods import (
    boundaries_of,
    candidate_spans,
    change_days,
    stage_periods,
)
from calibration.extract import Extract
from calibration.mixes import (
    MixFit,
    fit_mix,
    fit_routing,
)
from calibration.structure import (
    EntryStage,
    entry_stages,
    open_work,
    outcomes,
    service_durations,
    sojourn_durations,
    visits,
    wait_durations,
)
from calibration.types import (
    Calibration,
    CalibrationError,
    CalibrationSettings,
    FitStructure,
    RoleSpec,
    StageFit,
)
from calibration.wording import Message, Share
from model.engine.sources import DAYS_PER_WEEK
from model.scenario import Role, Scenario


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
            staffing = extract.files.get("staffing")
            problems.append(
                Message(
                    "fit_messages.role_unknown", stages=", ".join(users), role=name, file=staffing
                )
                if staffing
                else Message(
                    "fit_messages.role_unknown_no_file", stages=", ".join(users), role=name
                )
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


def _did_you_mean(name: str, names: list[str], cutoff: float = 0.75) -> Message | str:
    close = difflib.get_close_matches(name, names, n=1, cutoff=cutoff)
    return Message("extract.did_you_mean", name=close[0]) if close else ""


def _check_change_points(extract: Extract, settings: CalibrationSettings) -> None:
    """A known change date must leave ``--min-segment-days`` of data on each side."""
    end = extract.as_of.date()
    margin = dt.timedelta(days=settings.min_segment_days)
    problems = []
    for source, date in settings.change_points.items():
        if not extract.window_start < date < end:
            problems.append(
                Message(
                    "fit_messages.change_outside",
                    source=source,
                    date=date,
                    start=extract.window_start,
                    end=end,
                )
            )
        elif date - extract.window_start < margin or end - date < margin:
            problems.append(
                Message(
                    "fit_messages.change_edge",
                    source=source,
                    date=date,
                    days=settings.min_segment_days,
                    start=extract.window_start,
                    end=end,
                )
            )
    if problems:
        raise CalibrationError(problems)


def _check_stage_names(extract: Extract, settings: CalibrationSettings, template) -> None:
    """A stage name that is a near miss of a known one is a typo, not a new stage."""
    counts = extract.events["stage"].value_counts()
    known = [] if template is None else [s for s in template.stages if s not in counts.index]
    problems = []
    for stage, n in counts.items():
        if stage in settings.stage_roles or (template is not None and stage in template.stages):
            continue
        # like the template's (absent) stage, or a rare spelling of a common stage here
        common = [s for s, m in counts.items() if s != stage and m >= 10 * n]
        near = [s for s in known + common if abs(len(s) - len(str(stage))) <= 1]
        hint = _did_you_mean(str(stage), near, 0.85)
        if hint:
            problems.append(
                Message(
                    "fit_messages.stage_typo",
                    file=extract.files["events"],
                    stage=stage,
                    n=n,
                    hint=hint,
                )
            )
    if problems:
        raise CalibrationError(problems)


def _stage_roles(
    extract: Extract, settings: CalibrationSettings, template: Scenario | None
) -> dict[str, str | None]:
    stages = extract.stages
    unknown = [s for s in settings.stage_roles if s not in stages]
    if unknown:
        raise CalibrationError(
            [
                Message(
                    "fit_messages.stage_role_unknown",
                    stage=s,
                    file=extract.files["events"],
                    stages=", ".join(stages),
                    hint=_did_you_mean(s, stages),
                )
                for s in unknown
            ]
        )
    _check_stage_names(extract, settings, template)
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
    if extract.events.empty:
        raise CalibrationError([Message("fit_messages.no_events", file=extract.files["events"])])
    _check_change_points(extract, settings)
    unknown_sources = [s for s in settings.change_points if s not in extract.sources]
    if unknown_sources:
        raise CalibrationError(
            [
                Message(
                    "fit_messages.change_source_unknown",
                    source=s,
                    file=extract.files["referrals"],
                    sources=", ".join(extract.sources),
                )
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
            problems.append(exc.args[0])
    if problems:
        raise CalibrationError(problems)
    if structure is not None:  # a bootstrap refit keeps the matched periods' factors
        for role, factors in structure.touch_factors.items():
            if role in efforts:
                efforts[role].period_factors = list(factors)

    _effort_periods(extract, settings, stages, roles, arrivals, all_visits, structure)
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
        effort_boundaries={s: boundaries_of(f.periods) for s, f in stages.items() if f.periods},
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


def _effort_periods(
    extract: Extract,
    settings: CalibrationSettings,
    stages: dict[str, StageFit],
    roles: dict[str, RoleSpec],
    arrivals: dict[str, ArrivalFit],
    all_visits: pd.DataFrame,
    structure: FitStructure | None,
) -> None:
    """Each staffed stage's effort periods, where its service time changed materially at a
    staffing change or an arrival change point (``effort_periods.py``)."""
    window = extract.window_days
    spans = candidate_spans(change_days(extract, arrivals.values()), window)
    # estimated change dates: the effort change may lie near them
    found = {
        round(d / DAYS_PER_WEEK) * DAYS_PER_WEEK
        for d in change_days(extract, arrivals.values(), found_only=True)
    }
    movable = frozenset(a for a, _ in spans if a in found)
    for name, fit in stages.items():
        if fit.role is None or fit.service is None:
            continue
        given = None if structure is None else structure.effort_boundaries.get(name, ())
        if given == () or (given is None and len(spans) < 2):
            continue
        fit.periods, fit.period_candidates = stage_periods(
            name,
            all_visits.loc[all_visits["stage"] == name],
            spans,
            extract.window_start,
            window,
            fit.service.chosen.family,
            roles[fit.role].history if fit.role in roles else None,
            settings.confidence,
            settings.alpha,
            given,
            movable,
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
                Message(
                    "fit_messages.touch_unknown",
                    stage=stage,
                    file=extract.files["events"],
                    stages=", ".join(stages),
                    hint=_did_you_mean(stage, list(stages)),
                )
            )
        elif stages[stage].role is None:
            problems.append(Message("fit_messages.touch_no_role", stage=stage))
    if problems:
        raise CalibrationError(problems)
    fixed = {s: (k, Message("fit_messages.basis_given")) for s, k in settings.touch_shares.items()}
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
            fixed[name] = (share, Message("fit_messages.basis_template"))
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
                Message("fit_messages.no_routing", file=extract.files["events"], stage=name)
            )
        timing = fit.service if fit.role is not None else fit.sojourn
        if timing is None and fit.template is None:
            what = "fit_messages.no_service" if fit.role is not None else "fit_messages.no_sojourn"
            problems.append(Message(what, file=extract.files["events"], stage=name))
        elif timing is None:
            fit.notes.append(Message("fit_messages.timing_from_template"))
        if fit.routing is None and fit.template is not None:
            fit.notes.append(Message("fit_messages.routing_from_template"))
    if problems:
        raise CalibrationError(problems)


def _entry_warnings(entries: dict[str, EntryStage]) -> list[str]:
    return [
        Message(
            "fit_messages.entry", source=e.source, share=Share(1 - e.share), n=e.n, stage=e.stage
        )
        for e in entries.values()
        if e.share < 1.0
    ]
