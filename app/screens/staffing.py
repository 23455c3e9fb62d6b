"""Staffing page: the cheapest establishment meeting every target with confidence
(``planning.staffing.recommend.search_staffing``), its cost against today's, the
trade-off curve for the role that binds, and when recruitment must start
(``planning.staffing.recommend.recruitment_plan``).

The search runs in a background thread so the page stays live: a progress bar with the
estimated time left, refreshed every second by a fragment, and a Cancel button that sets
the search's cancel token (checked before every batch of replications, so it stops within
one batch). Replications are cached by the planning layer across searches and sessions
(``planning.staffing.cache``), so a second search on the same scenario - another
confidence, another date - reuses every replication the first ran. With an option
scenario chosen (default: the one picked on the Compare page), both are searched and shown
side by side.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from app import charts, runs, state, ui, views
from app import staffing_words as words
from app.i18n import current_language, money, number, percent, t
from model import formats
from model.replications import meets
from model.scenario import Scenario, ScenarioError
from planning.staffing.recommend import (
    CancelToken,
    SearchCancelled,
    SearchProgress,
    StaffingResult,
    recruitment_plan,
    search_staffing,
)
from planning.staffing.result import PHASES

MIN_FIXED_RUNS = 3
"""The search needs at least three runs per staffing tried."""
JOB_KEY = "state:staffing_job"
RESULTS_KEY = "state:staffing_results"
OPTION_KEY = "widget:staff_option"
NO_OPTION = "__none__"
KEEP_RESULTS = 8
"""Finished searches kept per browser session (each is a few tables)."""
REFRESH_SECONDS = 1.0
LOG = logging.getLogger(__name__)


def _fte(value: float) -> str:
    """FTE without needless decimals: 4 -> "4", 4.5 -> "4.5"."""
    return number(value, 0 if float(value).is_integer() else 1)


def _date(day: dt.date | None) -> str:
    return formats.MISSING if day is None else ui.date_text(day)


def cost_delta(result: StaffingResult) -> str | None:
    return words.cost_delta(result.cost_current, result.cost_recommended, current_language())


@dataclass
class Job:
    """One search (or two: the scenario and an option) running in a background thread.

    The thread never calls Streamlit; the page reads ``progress``, ``results`` and the
    flags on each rerun. ``token`` is the planning API's cancel token. ``failed`` is set
    when the search stopped on an unexpected error (its details go to the server log)."""

    run_id: tuple
    labels: list[str]
    scenarios: list[Scenario]
    token: CancelToken = field(default_factory=CancelToken)
    progress: SearchProgress | None = None
    part: int = 0
    results: list[StaffingResult] = field(default_factory=list)
    errors: list[str] | None = None
    failed: bool = False
    cancelled: bool = False
    done: bool = False

    def fraction(self) -> float:
        inner = 0.0 if self.progress is None else (self.progress.fraction or 0.0)
        return min(1.0, (self.part + inner) / max(len(self.labels), 1))

    def seconds_left(self) -> float | None:
        if self.progress is None or self.progress.seconds_left is None:
            return None
        later = len(self.labels) - self.part - 1  # searches still to start: guess the same
        spent = self.progress.seconds_left / max(1 - (self.progress.fraction or 0.0), 1e-3)
        return self.progress.seconds_left + later * spent


def _run_job(job: Job, settings: dict, workers: int, executor):
    def report(p: SearchProgress) -> None:
        job.progress = p

    try:
        for k, scenario in enumerate(job.scenarios):
            job.part, job.progress = k, None
            job.results.append(
                search_staffing(
                    scenario,
                    roles=settings["roles"] or None,
                    confidence=settings["confidence"],
                    max_fte=settings["max_fte"],
                    replications=settings["replications"],
                    from_date=settings["from_date"],
                    workers=workers,
                    executor=executor,
                    progress=report,
                    cancel=job.token,
                )
            )
    except SearchCancelled:
        job.cancelled = True
    except ScenarioError as exc:
        job.errors = list(exc.lines)
    except Exception:  # anything else: say so on the page in plain words, log the details
        LOG.exception("staffing search failed")
        job.failed = True
    finally:
        job.done = True


def start_job(run_id: tuple, named: list[tuple[str, Scenario]], settings: dict, workers: int):
    executor = runs.worker_pool(workers) if workers > 1 else None
    job = Job(run_id=run_id, labels=[label for label, _ in named], scenarios=[s for _, s in named])
    thread = threading.Thread(
        target=_run_job,
        args=(job, settings, workers, executor),
        name="staffing-search",
        daemon=True,
    )
    st.session_state[JOB_KEY] = job
    thread.start()
    return job


def _left_text(seconds: float | None) -> str:
    key, n = words.time_left(seconds)
    return t(key) if n is None else t(key, n=n)


@st.fragment(run_every=REFRESH_SECONDS)
def watch(job: Job) -> None:
    """Progress bar, time left and Cancel, refreshed every second while the search runs."""
    if job.done:
        st.rerun()
    phase = ""
    if job.progress is not None and job.progress.phase in PHASES:
        phase = t(f"staffing.phases.{job.progress.phase}")
    label = job.labels[job.part] if job.part < len(job.labels) else ""
    text = t(
        "staffing_page.progress",
        scenario=label,
        phase=phase or t("staffing.phases.start"),
        runs=number(job.progress.replications_run if job.progress else 0, 0),
        left=_left_text(job.seconds_left()),
    )
    st.progress(job.fraction(), text=text)
    if job.token.cancelled:
        st.info(t("staffing_page.cancelling"))
    elif st.button(t("staffing_page.cancel"), key="widget:staff_cancel"):
        job.token.cancel()
        st.info(t("staffing_page.cancelling"))


def settings_form(scenario: Scenario) -> dict:
    costed = [r for r, role in scenario.roles.items() if role.cost_per_fte_per_year_gbp is not None]
    worked = {stage.role for stage in scenario.stages.values() if stage.role}
    default_roles = [r for r in costed if r in worked]
    search = scenario.staffing_search
    with st.expander(t("staffing.settings"), expanded=True):
        roles_key = "widget:staff_roles:" + ",".join(costed)
        roles = st.multiselect(
            t("staffing.roles"),
            costed,
            format_func=lambda r: views.role_name(scenario, r),
            key=ui.choice_key(roles_key, default_roles),  # kept when the language changes
            help=t("staffing.roles_help"),
        )
        ui.keep_choice(roles_key, roles)
        confidence = st.slider(
            t("staffing.confidence"),
            min_value=80.0,
            max_value=99.0,
            value=float(round(search.confidence * 100, 1)),
            step=0.5,
            format="%.1f%%",
            key="widget:staff_confidence",
            help=t("staffing.confidence_help"),
        )
        limit = st.number_input(
            t("staffing.max_fte"),
            min_value=0.0,
            value=0.0,
            step=1.0,
            key="widget:staff_max",
            help=t("staffing.max_fte_help"),
        )
        in_post = st.date_input(
            t("staffing.in_post"),
            value=words.default_in_post(scenario, default_roles),
            min_value=scenario.start_date,
            key="widget:staff_in_post",
            help=t("staffing_page.in_post_help"),
            format="DD/MM/YYYY",
        )
        options = [NO_OPTION, *[f for f in state.shipped_scenarios() if f != _origin_file()]]
        option = st.selectbox(
            t("staffing_page.option"),
            options,
            key=ui.choice_key(OPTION_KEY, _option_from_compare(options)),
            format_func=ui.option_labels(options, _option_label),
            help=t("staffing_page.option_help"),
        )
        ui.keep_choice(OPTION_KEY, option)
        automatic = st.toggle(
            t("staffing.auto_runs"),
            value=True,
            key="widget:staff_auto",
            help=t("staffing.auto_runs_help"),
        )
        fixed = None
        if not automatic:
            fixed = st.number_input(
                t("staffing.fixed_runs"),
                min_value=MIN_FIXED_RUNS,
                value=max(MIN_FIXED_RUNS, scenario.replications),
                step=1,
                key="widget:staff_runs",
            )
    return {
        "roles": tuple(roles),
        "confidence": round(confidence / 100, 4),
        "max_fte": float(limit) if limit > 0 else None,
        "replications": int(fixed) if fixed is not None else None,
        "from_date": in_post if in_post > scenario.start_date else None,
        "in_post": in_post,
        "option": None if option == NO_OPTION else option,
    }


def _origin_file() -> str | None:
    where = state.origin()
    return where.file if where.kind == "shipped" else None


def _option_from_compare(options: list[str]) -> str:
    """The option picked on the Compare page, if any (its first scenario other than the one
    being staffed); otherwise none."""
    picked = ui.kept_choice(state.COMPARE_PICK_KEY) or []
    for choice in picked:
        if choice in options and choice != NO_OPTION:
            return choice
    return NO_OPTION


def _option_label(option: str) -> str:
    if option == NO_OPTION:
        return t("staffing_page.no_option")
    return ui.shipped_title(option)


def recommendation_view(scenario: Scenario, result: StaffingResult) -> views.View:
    table = result.recommendation_table()
    rows = []
    for record in table.to_dict(orient="records"):
        label = views.role_name(scenario, record["role"])
        rows.append({"label": label, "series": t("staffing.today"), "value": record["current_fte"]})
        rows.append(
            {
                "label": label,
                "series": t("staffing.recommended"),
                "value": record["recommended_fte"],
            }
        )
    frame = pd.DataFrame(rows)
    figure = charts.grouped_bars(
        frame, title=t("staffing.fte_title"), x_title=t("units.fte"), y_title=""
    )
    changes = [
        t(
            "staffing.change_item",
            role=views.role_name(scenario, r["role"]),
            change=f"{r['change_fte']:+g}",
        )
        for r in table.to_dict(orient="records")
        if r["change_fte"] != 0
    ]
    reading = t(
        "staffing.fte_reading",
        changes="; ".join(changes) if changes else t("staffing.no_change"),
        cost_now=money(result.cost_current),
        cost_new=money(result.cost_recommended),
    )
    shown = table.assign(label=[views.role_name(scenario, r) for r in table["role"]])
    shown = views.data_table(
        shown,
        {
            "label": "cols.role",
            "current_fte": "cols.fte_now",
            "recommended_fte": "cols.fte_recommended",
            "change_fte": "cols.change",
            "cost_per_fte_per_year_gbp": "cols.cost",
            "cost_current_gbp": "cols.cost_now",
            "cost_recommended_gbp": "cols.cost_recommended",
        },
        2,
    )
    note = t(
        "staffing.fte_note", level=percent(result.confidence, 0), n=result.confirmation_replications
    )
    return views.View(
        "staffing_recommendation", t("staffing.fte_title"), figure, shown, reading, note
    )


def targets_view(scenario: Scenario, result: StaffingResult) -> views.View:
    frames = []
    for frame, label in (
        (result.targets_current, t("staffing.today")),
        (result.targets_recommended, t("staffing.recommended")),
    ):
        part = frame.copy()
        part["label"] = [views.target_name(scenario, name) for name in part["target"]]
        part["series"] = label
        part["verdict"] = [views.target_verdict(r) for r in part.to_dict(orient="records")]
        frames.append(part)
    both = pd.concat(frames, ignore_index=True)
    needs = frames[0].assign(
        text=[views.threshold_text(r) for r in frames[0].to_dict(orient="records")]
    )
    figure = charts.intervals(
        both,
        title=t("staffing.targets_title"),
        x_title=t("charts.share"),
        percent=True,
        thresholds=needs[["label", "threshold", "text"]],
        threshold_label=t("charts.target_marker"),
    )
    met_now = int(frames[0]["met_with_confidence"].sum())
    met_new = int(frames[1]["met_with_confidence"].sum())
    reading = t("staffing.targets_reading", now=met_now, new=met_new, total=len(frames[0]))
    shown = views.data_table(
        both,
        {
            "series": "cols.staffing",
            "label": "cols.target",
            "mean": "cols.mean",
            "ci_low": "cols.ci_low",
            "ci_high": "cols.ci_high",
            "n": "cols.n",
            "verdict": "cols.verdict",
        },
        4,
    )
    note = t("ui.note_whiskers", level=ui.level(), n=result.confirmation_replications)
    return views.View("staffing_targets", t("staffing.targets_title"), figure, shown, reading, note)


def tradeoff_view(scenario: Scenario, result: StaffingResult) -> views.View | None:
    curve = result.tradeoff
    if curve is None or not len(curve) or result.tradeoff_role is None:
        return None
    role = views.role_name(scenario, result.tradeoff_role)
    names = list(dict.fromkeys(curve["target"]))
    default = names.index(result.binding_target) if result.binding_target in names else 0
    target = st.selectbox(
        t("staffing.tradeoff_pick"),
        names,
        index=default,
        format_func=lambda n: views.target_name(scenario, n),
        key="widget:staff_tradeoff:" + ",".join(names),
    )
    part = curve[curve["target"] == target].copy()
    part["series"] = views.target_name(scenario, target)
    part["x"] = part["fte"]
    threshold = float(part["threshold"].iloc[0])
    figure = charts.curves(
        part,
        title=t("staffing.tradeoff_title", role=role),
        x_title=t("staffing.tradeoff_axis", role=role),
        y_title=t("charts.share"),
        thresholds=[(threshold, views.threshold_text(part.iloc[0].to_dict()))],
        percent=True,
    )
    met = part[part["met_with_confidence"]]
    reading = (
        t(
            "staffing.tradeoff_reading",
            role=role,
            target=part["series"].iloc[0],
            fte=_fte(met["fte"].min()),
        )
        if len(met)
        else t("staffing.tradeoff_reading_none", role=role, target=part["series"].iloc[0])
    )
    part["verdict"] = [
        views.target_verdict({**r, "met": meets(r["mean"], r["direction"], r["threshold"])})
        for r in part.to_dict(orient="records")
    ]
    shown = views.data_table(
        part,
        {
            "fte": "cols.fte",
            "mean": "cols.mean",
            "ci_low": "cols.ci_low",
            "ci_high": "cols.ci_high",
            "n": "cols.n",
            "verdict": "cols.verdict",
        },
        4,
    )
    note = t("ui.note_whiskers", level=ui.level(), n=result.confirmation_replications)
    return views.View(
        "staffing_tradeoff", t("staffing.tradeoff_title", role=role), figure, shown, reading, note
    )


def plan_section(scenario: Scenario, result: StaffingResult, in_post: dt.date) -> None:
    ui.section(t("staffing.plan_title"))
    plan = recruitment_plan(scenario, result, in_post)
    recruit = plan[plan["extra_fte"] > 0]
    if not len(recruit):
        st.markdown(t("staffing.plan_none"))
    for row in recruit.to_dict(orient="records"):
        role = views.role_name(scenario, row["role"])
        key = "staffing.plan_late" if row["late"] else "staffing.plan_start"
        st.markdown(
            t(
                key,
                role=role,
                extra=_fte(row["extra_fte"]),
                date=_date(in_post),
                earliest=_date(row["earliest_in_post"]),
                start=_date(row["start_recruiting_by"]),
                days=number(row["recruitment_lead_time_days"], 0),
            )
        )
    columns = {
        "role": t("cols.role"),
        "now": t("cols.fte_now"),
        "new": t("cols.fte_recommended"),
        "extra": t("cols.extra_fte"),
        "lead": t("cols.lead_time"),
        "start": t("cols.start_by"),
        "late": t("cols.too_late"),
        "earliest": t("cols.earliest"),
        "cost": t("cols.extra_cost"),
    }
    table = pd.DataFrame(
        {
            columns["role"]: [views.role_name(scenario, r) for r in plan["role"]],
            columns["now"]: [_fte(v) for v in plan["current_fte"]],
            columns["new"]: [_fte(v) for v in plan["recommended_fte"]],
            columns["extra"]: [
                formats.MISSING if v == 0 else words.signed(v, _fte) for v in plan["extra_fte"]
            ],
            columns["lead"]: [number(v, 0) for v in plan["recruitment_lead_time_days"]],
            columns["start"]: [_date(d) for d in plan["start_recruiting_by"]],
            columns["late"]: [
                t("staffing_page.late_yes") if late else t("staffing_page.late_no")
                for late in plan["late"]
            ],
            columns["earliest"]: [_date(d) for d in plan["earliest_in_post"]],
            columns["cost"]: [money(v) for v in plan["extra_cost_per_year_gbp"]],
        }
    )
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            columns["role"]: st.column_config.TextColumn(width="medium", pinned=True),
            columns["start"]: st.column_config.TextColumn(width="medium"),
            columns["earliest"]: st.column_config.TextColumn(width="medium"),
        },
    )
    st.download_button(
        t("ui.download_csv"),
        table.to_csv(index=False).encode("utf-8"),
        file_name="recruitment-plan.csv",
        mime="text/csv",
        key="download:recruitment_plan",
    )


def _status_words(row: dict) -> str:
    if row["met_with_confidence"]:
        return t("staffing_page.status_met")
    if row["met"]:
        return t("staffing_page.status_unsure")
    return t("staffing_page.status_missed")


def verdict_sentence(scenario: Scenario, result: StaffingResult) -> str:
    """The answer in one sentence, in plain words."""
    level = percent(result.confidence, 0)
    changes = [
        t(
            "staffing_page.change",
            role=views.role_name(scenario, r["role"]),
            change=words.signed(r["change_fte"], _fte),
        )
        for r in result.recommendation_table().to_dict(orient="records")
        if r["change_fte"] != 0
    ]
    if result.unachievable:
        names = "; ".join(views.target_name(scenario, n) for n in result.unachievable)
        return t("staffing_page.verdict_unreachable", names=names, level=level)
    if not changes:
        return t("staffing_page.verdict_no_change", level=level, cost=money(result.cost_current))
    difference = result.cost_recommended - result.cost_current
    key = "staffing_page.verdict_more" if difference >= 0 else "staffing_page.verdict_less"
    return t(
        key,
        level=level,
        changes="; ".join(changes),
        cost=money(result.cost_recommended),
        difference=money(abs(difference)),
    )


def verdict_block(scenario: Scenario, result: StaffingResult) -> None:
    """One sentence, then each target's status today and with the answer, in words."""
    st.markdown("**" + verdict_sentence(scenario, result) + "**")
    now = result.targets_current.set_index("target")
    new = result.targets_recommended.set_index("target")
    lines = []
    for name in scenario.targets:
        if name not in now.index or name not in new.index:
            continue
        lines.append(
            "- "
            + t(
                "staffing_page.target_line",
                target=views.target_name(scenario, name),
                today=_status_words(now.loc[name].to_dict()),
                recommended=_status_words(new.loc[name].to_dict()),
            )
        )
    st.markdown("\n".join(lines))
    st.caption(t("staffing_page.confidence_note", level=percent(result.confidence, 0)))
    if not result.confirmed:
        st.warning(t("staffing.not_confirmed"))


def metrics(result: StaffingResult) -> None:
    columns = st.columns(2)
    with columns[0], st.container(border=True):
        st.metric(t("staffing.cost_now"), money(result.cost_current))
    with columns[1], st.container(border=True):
        st.metric(
            t("staffing.cost_new"),
            money(result.cost_recommended),
            delta=cost_delta(result),
            delta_color="off",
        )


def side_by_side(named: list[tuple[str, Scenario, StaffingResult]]) -> None:
    """Today and each scenario's answer in one table: FTE per role and the yearly cost."""
    ui.section(t("staffing_page.side_title"))
    columns = st.columns(len(named))
    for column, (label, scenario, result) in zip(columns, named, strict=True):
        with column, st.container(border=True):
            st.markdown(f"**{label}**")
            st.markdown(verdict_sentence(scenario, result))
            st.metric(
                t("staffing.cost_new"),
                money(result.cost_recommended),
                delta=cost_delta(result),
                delta_color="off",
            )
    roles = list(dict.fromkeys(r for _, _, result in named for r in result.roles))
    first = named[0][1]
    rows = []
    for role in roles:
        row = {t("cols.role"): views.role_name(first, role)}
        row[t("staffing.today")] = _fte(named[0][2].current.get(role, first.roles[role].fte))
        for label, _, result in named:
            value = result.recommended.get(role)
            row[label] = formats.MISSING if value is None else _fte(value)
        rows.append(row)
    cost_row = {t("cols.role"): t("staffing_page.cost_row")}
    cost_row[t("staffing.today")] = money(named[0][2].cost_current)
    for label, _, result in named:
        cost_row[label] = money(result.cost_recommended)
    rows.append(cost_row)
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")


def _labels(scenario: Scenario, option: str | None) -> list[str]:
    """The searched scenarios' names in the current language (this one, then the option)."""
    labels = [t("staffing_page.this_scenario", name=views.scenario_title(scenario))]
    return labels if option is None else [*labels, _option_label(option)]


def _scenarios(scenario: Scenario, settings: dict) -> list[tuple[str, Scenario]]:
    scenarios = [scenario]
    if settings["option"]:
        scenarios.append(runs.with_run_settings(state.load_shipped(settings["option"]), scenario))
    return list(zip(_labels(scenario, settings["option"]), scenarios, strict=True))


ui.heading("staffing")
scenario = ui.adjusted_scenario_or_stop()
ui.scenario_banner(scenario)
st.markdown(t("staffing_page.explain"))
settings = settings_form(scenario)
key = (
    settings["roles"],
    settings["confidence"],
    settings["max_fte"],
    settings["replications"],
    settings["from_date"],
    settings["option"],
)
run_id = (scenario.content_hash(), scenario.seed, key, state.workers())
finished: dict = st.session_state.setdefault(RESULTS_KEY, {})
job: Job | None = st.session_state.get(JOB_KEY)
running = job is not None and not job.done

clicked = st.button(t("staffing.run"), type="primary", key="widget:staff_run", disabled=running)
if clicked and run_id not in finished:
    try:
        named = _scenarios(scenario, settings)
    except ScenarioError as exc:
        ui.errors(exc.lines, t("staffing.invalid"))
        st.stop()
    job = start_job(run_id, named, settings, state.workers())
    running = True

if job is not None and job.done:
    st.session_state.pop(JOB_KEY, None)
    if job.errors:
        ui.errors(job.errors, t("staffing.invalid"))
    elif job.failed:
        st.error(t("staffing_page.failed"))
    elif job.cancelled:
        st.info(t("staffing_page.cancelled"))
    elif len(job.results) == len(job.labels):
        finished[job.run_id] = list(zip(job.scenarios, job.results, strict=True))
        while len(finished) > KEEP_RESULTS:
            finished.pop(next(iter(finished)))
    job = None
    running = False

if running and job is not None:
    watch(job)
    st.stop()
if run_id not in finished:
    st.info(t("staffing.not_run"))
    st.stop()

searched = finished[run_id]  # (scenario, result): this scenario first, then the option
result = searched[0][1]
verdict_block(scenario, result)
metrics(result)
if len(searched) > 1:
    labels = _labels(scenario, settings["option"])
    side_by_side([(label, s, r) for label, (s, r) in zip(labels, searched, strict=True)])
if result.binding_target is not None and result.binding_role is not None:
    st.markdown(
        t(
            "staffing.binding",
            target=views.target_name(scenario, result.binding_target),
            role=views.role_name(scenario, result.binding_role),
        )
    )
st.caption(
    t(
        "staffing_page.method",
        evaluations=number(result.evaluations, 0),
        runs=number(result.replications_run, 0),
        confirm=number(result.confirmation_replications, 0),
        seed=result.confirmation_seed,
    )
)
ui.show_view(recommendation_view(scenario, result))
ui.show_view(targets_view(scenario, result))
ui.show_view(tradeoff_view(scenario, result))
plan_section(scenario, result, settings["in_post"])
