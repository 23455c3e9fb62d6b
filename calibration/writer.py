"""The calibrated scenario: a valid scenario file in which every fitted value says where
it came from (estimate, confidence interval, sample size, method) in a comment.

The scenario starts at the as-of date (a planning scenario starts from today's open
caseload) but keeps the past: change points, the trend's ramp and the staffing history
are written with their real dates, which the engine applies from the start, so the same
file replayed from the window start (``acusim validate-fit``) reproduces the extract's
period. The file is validated with the engine's own schema before anyone sees it, and
only fitted values, counts and names of sources, stages, roles and outcomes are
written: no referral ids, no extra columns.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import yaml

from calibration.commented_yaml import Path, dump
from calibration.durations import PARAMETER_NAMES, DurationFit
from calibration.effort_periods import EffortSegment, effort_segments
from calibration.estimates import Fitted, fmt
from calibration.mixes import Proportions
from calibration.types import Calibration, CalibrationError, RoleSpec, StageFit
from calibration.wording import Message
from model.results import package_version
from model.scenario import Scenario, ScenarioError, scenario_from_mapping

PROBABILITY_DECIMALS = 6
"""Probabilities are written to 6 decimals and the largest absorbs rounding, so every
table sums to 1 well within the schema's 1e-6 tolerance."""
BURST_PERIOD_DAYS = 7.0
"""Over-dispersion is fitted on weekly counts, so a burst lasts a week."""
OTHER_TIME = "other_elapsed_time"
TIME_IN_STAGE = "time_in_stage"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _title(name: str) -> str:
    return name.replace("_", " ").capitalize()


def rounded_table(probabilities: dict[str, float]) -> dict[str, float]:
    """Probabilities rounded for writing, still summing to 1."""
    total = sum(probabilities.values())
    table = {k: round(v / total, PROBABILITY_DECIMALS) for k, v in probabilities.items()}
    largest = max(table, key=lambda k: table[k])
    table[largest] = round(table[largest] + 1.0 - sum(table.values()), PROBABILITY_DECIMALS + 3)
    return table


class _Writer:
    """Builds the mapping and its comments side by side."""

    def __init__(self, cal: Calibration) -> None:
        self.cal = cal
        self.conf = cal.settings.confidence
        self.comments: dict[Path, str] = {}

    def note(self, path: Path, text: str) -> None:
        self.comments[path] = text

    def fitted(self, path: Path, value: Fitted, prefix: str = "fitted", digits: int = 3) -> None:
        self.comments[path] = value.comment(self.conf, digits, prefix)

    # ------------------------------------------------------------ tables
    def table(self, path: Path, props: Proportions) -> dict[str, float]:
        probabilities = props.probabilities()
        table = rounded_table(probabilities)
        for label, fit in zip(props.labels, props.fitted, strict=True):
            if label in table:
                count = int(props.counts[props.labels.index(label)])
                self.note(
                    (*path, label),
                    f"{fmt(fit.value)} ({self.conf:.0%} CI {fmt(fit.low)} to {fmt(fit.high)}, "
                    f"simultaneous); {count} of n={props.n} {props.what}",
                )
        return table

    # ------------------------------------------------------------ distributions
    def distribution(
        self, path: Path, fit: DurationFit, scale: float, scale_text: str
    ) -> dict[str, Any]:
        dist = fit.distribution(scale)
        others = ", ".join(f"{a.family} {a.aic - fit.chosen.aic:+.1f}" for a in fit.alternatives)
        self.note(
            (*path, "dist"),
            f"{fit.chosen.family} chosen by AIC (others: {others or 'none tried'}); "
            f"n={fit.n} {fit.label} durations, {fit.events} finished, {fit.censored} open "
            "(right-censored)",
        )
        for name in PARAMETER_NAMES[fit.chosen.family]:
            value = fit.chosen.parameters[name]
            if name in ("mean", "scale") and scale != 1.0:
                self.fitted((*path, name), value.scaled(scale), prefix=f"{scale_text}:")
            else:
                self.fitted((*path, name), value)
        return dist

    def _keep_spread(
        self, path: Path, effort: dict[str, Any], delay: dict[str, Any], k: float
    ) -> None:
        """Work and the rest are drawn independently; with the service time's cv each, their
        sum would be less spread than the service time, and long-open cases would be
        forecast to finish too soon. So both get cv / sqrt(k^2 + (1-k)^2), which gives the
        sum the fitted service time's mean *and* variance (families given by mean and cv)."""
        if "cv" not in effort or "cv" not in delay:
            return
        factor = 1.0 / math.sqrt(k * k + (1.0 - k) ** 2)
        for dist in (effort, delay):
            dist["cv"] = min(10.0, float(dist["cv"]) * factor)
        self.note(
            (*path, "external_delays", 0, "duration_days", "cv"),
            f"service time's cv x {factor:.3f}: work + rest keep the service time's variance",
        )

    # ------------------------------------------------------------ sections
    def roles(self) -> dict[str, Any]:
        return {name: self.role(name, spec) for name, spec in self.cal.roles.items()}

    def role(self, name: str, spec: RoleSpec) -> dict[str, Any]:
        path: Path = ("roles", name)
        cal = self.cal
        start_fte = spec.history.value_at(0.0)
        role: dict[str, Any] = {"title": spec.title, "fte": start_fte}
        now = spec.history.value_at(cal.window_days)
        if spec.history_from == "staffing":
            self.note(
                (*path, "fte"),
                f"{cal.files['staffing']}: FTE on {cal.window_start} (window start); "
                f"staffing_plan holds the history: {fmt(now)} FTE at the as-of date",
            )
        else:
            self.note((*path, "fte"), "from the template (no staffing history given)")
        plan = []
        previous = start_fte
        for date, fte in spec.changes:
            change = fte - previous
            previous = fte
            if abs(change) < 1e-12:
                continue
            when = "history" if date <= cal.as_of.date() else "planned"
            plan.append({"date": date, "change_fte": change, "note": f"staffing.csv ({when})"})
        if plan:
            role["staffing_plan"] = plan
        source = "from the template" if spec.parameters_from == "template" else None
        basis = {
            "contracted_hours_per_week": "assumption (--contracted-hours): police officers' "
            "normal 40-hour week (Police Regulations)",
            "abstraction_rate": "assumption (--abstraction-rate): Met local policing model "
            "(32% assumed, 29% measured)",
            "casework_share": "assumption (--casework-share): as in the baseline scenario",
        }
        for key in ("contracted_hours_per_week", "abstraction_rate", "casework_share"):
            role[key] = getattr(spec, key)
            self.note((*path, key), source or basis[key])
        for key in ("caseload_cap_per_fte", "cost_per_fte_per_year_gbp"):
            if getattr(spec, key) is not None:
                role[key] = getattr(spec, key)
                self.note((*path, key), "from the template")
        if spec.recruitment_lead_time_days:
            role["recruitment_lead_time_days"] = spec.recruitment_lead_time_days
            self.note((*path, "recruitment_lead_time_days"), "from the template")
        return role

    def sources(self) -> dict[str, Any]:
        return {name: self.source(name) for name in self.cal.sources}

    def source(self, name: str) -> dict[str, Any]:
        cal = self.cal
        fit = cal.arrivals[name]
        path: Path = ("sources", name)
        entry = cal.entries.get(name)
        if entry is None:  # no referral from this source reached a stage
            stage = max(cal.entries.values(), key=lambda e: e.n).stage if cal.entries else None
            stage = stage or next(iter(cal.stages))
            self.note(
                (*path, "entry_stage"),
                "no referral from this source reached a stage: "
                "the commonest entry stage of other sources",
            )
        else:
            stage = entry.stage
            self.note(
                (*path, "entry_stage"),
                f"{entry.share:.0%} of n={entry.n} referrals with events entered here first",
            )
        template = cal.template.sources.get(name) if cal.template else None
        source: dict[str, Any] = {
            "title": template.title if template else _title(name),
            "kind": "rate",
            "rate_per_week": fit.base_per_week.value,
            "entry_stage": stage,
        }
        when = " at the window start" + (
            f", before the change on {fit.change.date}" if fit.change else ""
        )
        self.fitted((*path, "rate_per_week"), fit.base_per_week, prefix=f"fitted{when}:")
        modifiers = []
        if fit.change is not None:
            i = len(modifiers)
            modifiers.append(
                {"type": "step", "date": fit.change.date, "factor": fit.change.factor.value}
            )
            c = fit.change
            how = (
                "given (--change-point)"
                if c.known
                else (
                    f"found by scan; {self.conf:.0%} CI {c.low_date} to {c.high_date} "
                    "(profile likelihood)"
                )
            )
            self.note(
                (*path, "modifiers", i, "date"),
                f"change point {how}; {c.before} referrals before, {c.after} after",
            )
            self.fitted((*path, "modifiers", i, "factor"), c.factor, prefix="fitted step factor")
        if fit.trend_factor is not None:
            i = len(modifiers)
            end = cal.window_start + dt.timedelta(days=max(1, math.floor(cal.window_days)))
            modifiers.append(
                {
                    "type": "ramp",
                    "start": cal.window_start,
                    "end": end,
                    "factor": fit.trend_factor.value,
                }
            )
            self.note((*path, "modifiers", i, "start"), "linear trend over the extract window")
            self.note((*path, "modifiers", i, "end"), "as-of date: the trend is held after it")
            self.fitted(
                (*path, "modifiers", i, "factor"), fit.trend_factor, prefix="fitted trend factor"
            )
        if fit.seasonal is not None:
            i = len(modifiers)
            modifiers.append({"type": "seasonal", "monthly": [m.value for m in fit.seasonal]})
            kind = fit.structure.season
            self.note((*path, "modifiers", i, "monthly"), f"fitted ({kind} seasonal profile)")
            for m, month in enumerate(fit.seasonal):
                self.fitted((*path, "modifiers", i, "monthly", m), month, prefix=f"{MONTHS[m]}:")
        if modifiers:
            source["modifiers"] = modifiers
        if fit.burst_cv is not None:
            source["burst_cv"] = fit.burst_cv.value
            source["burst_period_days"] = BURST_PERIOD_DAYS
            lr, p = fit.dispersion_test
            burst = fit.burst_cv
            if math.isfinite(p):
                method = f"negative binomial; LR test vs Poisson {lr:.1f}, p={p:.3g}"
                burst = Fitted(burst.value, burst.low, burst.high, burst.n, burst.what, method)
            self.fitted((*path, "burst_cv"), burst, prefix="fitted weekly burst cv")
            self.note((*path, "burst_period_days"), "weekly counts were fitted")
        source["mix"] = self.mix(name)
        return source

    def mix(self, name: str) -> dict[str, Any]:
        fit = self.cal.mixes[name]
        path: Path = ("sources", name, "mix")
        mix: dict[str, Any] = {"category": self.table((*path, "category"), fit.category)}
        mix["apsp_probability"] = fit.apsp.value
        self.fitted((*path, "apsp_probability"), fit.apsp)
        if fit.apsp_by_category:
            stat, dof, p = fit.tests["apsp_by_category"]
            self.note(
                (*path, "apsp_probability_by_category"),
                f"APSP share differs by category (G={stat:.1f}, df={dof}, p={p:.3g})",
            )
            mix["apsp_probability_by_category"] = {}
            for cat, value in fit.apsp_by_category.items():
                mix["apsp_probability_by_category"][cat] = value.value
                self.fitted((*path, "apsp_probability_by_category", cat), value)
        mix["priority"] = self.table((*path, "priority"), fit.priority)
        if fit.apsp_priority is not None:
            mix["apsp_priority"] = fit.apsp_priority
            stat, dof, p = fit.tests["priority_by_apsp"]
            self.note(
                (*path, "apsp_priority"),
                f"all {round(fit.apsp.value * fit.n)} APSP referrals were {fit.apsp_priority}"
                f" priority (G={stat:.1f}, df={dof}, p={p:.3g})",
            )
        return mix

    def stages(self) -> dict[str, Any]:
        return {name: self.stage(name, fit) for name, fit in self.cal.stages.items()}

    def stage(self, name: str, fit: StageFit) -> dict[str, Any]:
        cal = self.cal
        path: Path = ("stages", name)
        template = fit.template
        stage: dict[str, Any] = {"title": template.title if template else _title(name)}
        if fit.role is not None:
            stage["role"] = fit.role
            self.note((*path, "role"), "from --stage-role or the template")
        delays: list[dict[str, Any]] = []
        if fit.role is not None:
            effort = cal.efforts[fit.role]
            spec = cal.roles[fit.role]
            if fit.service is not None:
                k = effort.touch[name]
                segments = effort_segments(
                    fit.periods,
                    effort.period_factors,
                    fit.service,
                    effort.speed,
                    cal.window_start,
                    cal.window_days,
                )
                first = segments[0]
                stage["effort_hours"], own = self._effort(
                    path, first.service, min(1.0, k * first.factor), spec, first.speed
                )
                self.note((*path, "effort_hours"), effort.explanation(name))
                delays.extend(own)
                if len(segments) > 1:
                    stage["effort_changes"] = [
                        self._effort_change((*path, "effort_changes", i), seg, k, spec)
                        for i, seg in enumerate(segments[1:])
                    ]
                    self.note(
                        (*path, "effort_changes"),
                        "effort per period: the service time changed materially at a change "
                        "point or a staffing change, or the replay of a period needed its own "
                        "touch share; the first period's is `effort_hours` "
                        "(calibration/effort_periods.py, history_match.py)",
                    )
            else:
                stage["effort_hours"] = template.effort_hours.model_dump(mode="json", by_alias=True)
                self.note((*path, "effort_hours"), "from the template: no visit finished here")
                delays.extend(self._template_delays(path, fit))
            if template is not None and template.holds_caseload and spec.caseload_cap_per_fte:
                stage["holds_caseload"] = True
                self.note((*path, "holds_caseload"), "from the template")
        elif fit.sojourn is not None:
            delay_path = (*path, "external_delays", 0)
            delays.append(
                {
                    "name": TIME_IN_STAGE,
                    "duration_days": self.distribution(
                        (*delay_path, "duration_days"), fit.sojourn, 1.0, ""
                    ),
                }
            )
            self.note((*delay_path, "name"), "no role works this stage: its whole stay")
        else:
            delays.extend(self._template_delays(path, fit))
        if template is not None:
            stage["discipline"] = template.discipline
            if template.precedence:
                stage["precedence"] = template.precedence
        if delays:
            stage["external_delays"] = delays
        stage["routing"] = self.routing(name, fit)
        return stage

    def _effort(
        self, path: Path, service: DurationFit, k: float, spec: RoleSpec, speed: float
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Effort hours from a service-time fit, and the rest as ``other_elapsed_time``."""
        rate = "" if speed == 1.0 else f" x mean rate {speed:.3f}"
        text = f"derived: touch share {k:.3f} x {spec.hours_per_day:.2f} h/day{rate} x service"
        effort = self.distribution(
            (*path, "effort_hours"), service, k * spec.hours_per_day * speed, text
        )
        if k >= 1.0 - 1e-9:
            return effort, []
        delay_path: Path = (*path, "external_delays", 0)
        delay = self.distribution(
            (*delay_path, "duration_days"),
            service,
            1.0 - k,
            f"derived: (1 - touch share {k:.3f}) x service",
        )
        self._keep_spread(path, effort, delay, k)
        self.note(
            (*delay_path, "name"),
            "the rest of the service time: waiting on others, holding no staff",
        )
        return effort, [{"name": OTHER_TIME, "duration_days": delay}]

    def _effort_change(
        self, path: Path, seg: EffortSegment, k: float, spec: RoleSpec
    ) -> dict[str, Any]:
        """One effort change: the period's effort (and its rest of the service time)."""
        touch = min(1.0, k * seg.factor)
        effort, delays = self._effort(path, seg.service, touch, spec, seg.speed)
        moved = "" if seg.factor == 1.0 else f"; touch share x{seg.factor:.3f} (replay matched)"
        self.note(
            (*path, "date"),
            f"period from {seg.date}: service fitted on n={seg.service.n} visits started, "
            f"{seg.service.events} finished; mean service {seg.service.mean_days:.3g} days{moved}",
        )
        change: dict[str, Any] = {"date": seg.date.isoformat(), "effort_hours": effort}
        if k < 1.0 - 1e-9 or touch < 1.0 - 1e-9:
            change["external_delays"] = delays
        return change

    def _template_delays(self, path: Path, fit: StageFit) -> list[dict[str, Any]]:
        assert fit.template is not None
        self.note((*path, "external_delays"), "from the template: no visit finished here")
        return [
            d.model_dump(mode="json", by_alias=True, exclude_none=True)
            for d in fit.template.external_delays
        ]

    def routing(self, name: str, fit: StageFit) -> dict[str, Any]:
        path: Path = ("stages", name, "routing")
        routing = fit.routing
        if routing is None:
            assert fit.template is not None
            self.note(path, "from the template: no visit finished here")
            return fit.template.routing.model_dump(mode="json", by_alias=True, exclude_none=True)
        self.note(
            path,
            f"{routing.finished} finished visits; {routing.unfinished} still open (no "
            "destination yet)",
        )
        result: dict[str, Any] = {"default": self.table((*path, "default"), routing.default)}
        if routing.apsp_rule is not None:
            stat, dof, p = routing.test
            self.note(
                (*path, "rules", 0),
                f"APSP cases route differently (G={stat:.1f}, df={dof}, p={p:.3g})",
            )
            result["rules"] = [
                {
                    "when": {"apsp": True},
                    "routes": self.table((*path, "rules", 0, "routes"), routing.apsp_rule),
                }
            ]
        return result

    def backlog(self) -> list[dict[str, Any]]:
        """One entry per stage, source and combination of category, APSP flag and priority
        found open (oldest first): the cases open at a date are not a sample of the mix (a
        priority queue has served its high-priority cases first), so who they are is kept."""
        entries: list[dict[str, Any]] = []
        for group in self.cal.backlog:
            parts = []
            for (category, apsp, priority), rows in group.cases.groupby(
                ["category", "apsp", "priority"], sort=True
            ):
                service = rows["in_service"].to_numpy(dtype=float)
                started = np.isfinite(service)
                fixed = {"category": category, "apsp": bool(apsp), "priority": priority}
                ages = rows["age"].to_numpy(dtype=float)
                parts.append(
                    (fixed, int((~started).sum()), int(started.sum()), ages, service[started])
                )
            parts.sort(key=lambda part: -float(np.mean(part[3])))
            for fixed, waiting, in_progress, ages, in_service in parts:
                entries.append(
                    self._backlog_entry(
                        len(entries), group.stage, group.source, fixed, waiting, in_progress,
                        np.asarray(ages, dtype=float), in_service,
                    )
                )  # fmt: skip
        return entries

    def _backlog_entry(
        self,
        i: int,
        stage: str,
        source: str,
        fixed: dict[str, Any],
        waiting: int,
        in_progress: int,
        ages: np.ndarray,
        in_service: np.ndarray,
    ) -> dict[str, Any]:
        path: Path = ("initial_backlog", i)
        entry: dict[str, Any] = {"stage": stage, "source": source, **fixed}
        if waiting:
            entry["waiting"] = waiting
        if in_progress:
            entry["in_progress"] = in_progress
            if len(in_service) == in_progress:
                entry["in_service_days"] = [round(float(a), 4) for a in in_service]
        mean = float(ages.mean())
        cv = float(ages.std(ddof=1) / mean) if len(ages) > 1 and mean > 0 else 0.0
        if cv > 0 and mean > 0:
            entry["age_days"] = {"dist": "gamma", "mean": mean, "cv": min(cv, 10.0)}
            how = "gamma by moments"
        else:
            entry["age_days"] = {"dist": "fixed", "value": max(mean, 0.0)}
            how = "one age"
        self.note(
            path,
            f"open at the as-of date: {waiting} waiting, {in_progress} in "
            f"progress; ages since referral {how} (n={len(ages)})"
            + ("; in-progress cases resume with their days in service" if in_progress else ""),
        )
        return entry

    def targets_and_reporting(self) -> tuple[dict[str, Any], dict[str, Any] | None]:
        template = self.cal.template
        if template is None:
            return {}, None
        stages = set(self.cal.stages)
        targets = {}
        for name, target in template.targets.items():
            wanted = [target.stage] if hasattr(target, "stage") else (target.stages or [])
            if all(s in stages for s in wanted):
                targets[name] = target.model_dump(mode="json", by_alias=True, exclude_none=True)
                targets[name].pop("direction", None)
                self.note(("targets", name), "from the template")
        reporting = template.reporting.model_dump(mode="json", by_alias=True, exclude_none=True)
        for key in ("investigation_stage", "first_action_stage"):
            if reporting.get(key) not in stages:
                reporting.pop(key, None)
        self.note(("reporting",), "from the template")
        return targets, reporting

    # ------------------------------------------------------------ whole file
    def mapping(self) -> dict[str, Any]:
        cal = self.cal
        settings = cal.settings
        mapping: dict[str, Any] = {
            "name": settings.name,
            "description": (
                f"Calibrated from {cal.n_referrals} referrals received {cal.window_start} to "
                f"{cal.as_of.date()} (acusim calibrate)."
            ),
            "start_date": cal.as_of.date(),
            "horizon_years": settings.horizon_years,
            "seed": settings.seed,
        }
        self.note(("start_date",), "the extract's as-of date: the plan starts from its open cases")
        self.note(
            ("horizon_years",),
            "--horizon-years (default 4: the Force Management Statement's projection period)",
        )
        if cal.template is not None:
            mapping["replications"] = cal.template.replications
            self.note(("replications",), "from the template")
        mapping["roles"] = self.roles()
        mapping["sources"] = self.sources()
        mapping["stages"] = self.stages()
        mapping["outcomes"] = self._outcomes(mapping["stages"])
        self.note(("outcomes",), "closure outcomes named in the extract")
        backlog = self.backlog()
        if backlog:
            mapping["initial_backlog"] = backlog
        targets, reporting = self.targets_and_reporting()
        if targets:
            mapping["targets"] = targets
        if reporting:
            mapping["reporting"] = reporting
        return mapping

    def _outcomes(self, stages: dict[str, Any]) -> list[str]:
        names = list(self.cal.outcomes)
        for stage in stages.values():
            tables = [stage["routing"]["default"]]
            tables += [r["routes"] for r in stage["routing"].get("rules", [])]
            for table in tables:
                names.extend(d for d in table if d not in stages and d not in names)
        return names

    def header(self) -> list[str]:
        cal = self.cal
        s = cal.settings
        lines = [
            f"Calibrated scenario written by `acusim calibrate` (acusim {package_version()}).",
            f"Extract: {cal.files['referrals']} ({cal.n_referrals} referrals), "
            f"{cal.files['events']} ({cal.n_events} stage events)"
            + (f", {cal.files['staffing']}" if cal.files.get("staffing") else "")
            + f"; window {cal.window_start} to {cal.as_of.isoformat(timespec='minutes')} "
            f"({cal.window_days / 7:.1f} weeks).",
            f"Every fitted value carries a comment: estimate ({s.confidence:.0%} confidence "
            "interval), sample size n and method. Values marked 'assumption' or 'from the "
            "template' were not fitted.",
            "start_date is the as-of date; past change points and staffing changes keep their "
            "real dates (they apply from the start) so `acusim validate-fit` can replay the "
            "extract's period.",
            f"Effort assumption (--utilisation): {s.utilisation:g} of each role's casework time "
            "went on these cases"
            + (
                f" (by role: {', '.join(f'{k} {v:g}' for k, v in s.role_utilisation.items())})"
                if s.role_utilisation
                else ""
            )
            + "; see docs/calibration.md.",
        ]
        if cal.skipped:
            lines.append(
                "Rows skipped as bad (--skip-bad-rows): "
                + ", ".join(f"{k} {v}" for k, v in cal.skipped.items())
                + "; listed in the report."
            )
        return lines


def scenario_mapping(cal: Calibration) -> tuple[dict[str, Any], dict[Path, str], list[str]]:
    """The scenario as a mapping, the comments by path, and the header lines."""
    writer = _Writer(cal)
    mapping = writer.mapping()
    return mapping, writer.comments, writer.header()


def render_scenario(cal: Calibration) -> tuple[Scenario, dict[str, Any], str]:
    """The validated scenario, its mapping and its commented YAML text.

    The text is parsed back and validated exactly as `acusim validate` would, so a file
    that is written always loads."""
    mapping, comments, header = scenario_mapping(cal)
    text = dump(mapping, comments, header)
    try:
        parsed = yaml.safe_load(text)
        scenario = scenario_from_mapping(parsed, "<calibrated scenario>")
    except ScenarioError as exc:
        raise CalibrationError(
            [
                Message("fit_messages.invalid_scenario"),
                *exc.lines,
            ]
        ) from None
    return scenario, parsed, text


def override_values(mapping: dict[str, Any]) -> dict[str, Any]:
    """The fitted parts of a scenario mapping as ``with_overrides`` paths (bootstrap sets)."""
    overrides: dict[str, Any] = {}
    for name, source in mapping["sources"].items():
        for key in ("rate_per_week", "modifiers", "burst_cv", "mix"):
            if key in source:
                overrides[f"sources.{name}.{key}"] = source[key]
    for name, stage in mapping["stages"].items():
        for key in ("effort_hours", "external_delays", "routing", "effort_changes"):
            if key in stage:
                overrides[f"stages.{name}.{key}"] = stage[key]
    return overrides


def json_safe(value: Any) -> Any:
    """Dates as ISO text and numpy scalars as Python numbers (for JSON files)."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value
