"""Staffing page: the cheapest establishment meeting every target with confidence
(``planning.staffing.recommend.search_staffing``), its cost against today's, the
trade-off curve for the role that binds, and when recruitment must start
(``planning.staffing.recommend.recruitment_plan``)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from app import charts, runs, state, ui, views
from app.i18n import number, percent, t
from model.replications import meets
from model.scenario import Scenario, ScenarioError
from planning.staffing.recommend import (
    SearchProgress,
    StaffingResult,
    recruitment_plan,
    search_staffing,
)

MIN_FIXED_RUNS = 3
"""The search needs at least three runs per staffing tried."""
DAYS_PER_YEAR = 365


def _money(value: float) -> str:
    return f"£{value:,.0f}"


def _search(scenario: Scenario, settings: dict, workers: int) -> StaffingResult:
    board = st.empty()

    def report(p: SearchProgress) -> None:
        board.info(
            t(
                "staffing.progress",
                phase=t(f"staffing.phases.{p.phase}") if p.phase in PHASES else p.phase,
                evaluations=p.evaluations,
                runs=p.replications_run,
            )
        )

    executor = runs.worker_pool(workers) if workers > 1 else None
    result = search_staffing(
        scenario,
        roles=settings["roles"],
        confidence=settings["confidence"],
        max_fte=settings["max_fte"],
        replications=settings["replications"],
        from_date=settings["from_date"],
        workers=workers,
        executor=executor,
        progress=report,
    )
    board.empty()
    return result


PHASES = ("start", "replications", "ceiling", "search", "confirm", "report", "done")


@st.cache_data(show_spinner=False, max_entries=16)
def _cached(
    content_hash: str, seed: int, key: tuple, _scenario: Scenario, _settings: dict, _workers: int
):
    """Cached by the scenario's content hash, seed and the search settings."""
    return _search(_scenario, _settings, _workers)


def settings_form(scenario: Scenario) -> dict:
    costed = [r for r, role in scenario.roles.items() if role.cost_per_fte_per_year_gbp is not None]
    worked = {stage.role for stage in scenario.stages.values() if stage.role}
    default_roles = [r for r in costed if r in worked]
    search = scenario.staffing_search
    with st.expander(t("staffing.settings"), expanded=True):
        roles = st.multiselect(
            t("staffing.roles"),
            costed,
            default=default_roles,
            format_func=lambda r: views.role_name(scenario, r),
            key="widget:staff_roles:" + ",".join(costed),
            help=t("staffing.roles_help"),
        )
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
            value=scenario.start_date,
            min_value=scenario.start_date,
            key="widget:staff_in_post",
            help=t("staffing.in_post_help"),
            format="DD/MM/YYYY",
        )
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
    }


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
        cost_now=_money(result.cost_current),
        cost_new=_money(result.cost_recommended),
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
            fte=number(met["fte"].min(), 1),
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
    st.subheader(t("staffing.plan_title"))
    plan = recruitment_plan(scenario, result, in_post)
    recruit = plan[plan["extra_fte"] > 0]
    if not len(recruit):
        st.markdown(t("staffing.plan_none"))
    for row in recruit.to_dict(orient="records"):
        role = views.role_name(scenario, row["role"])
        if row["late"]:
            st.markdown(
                t(
                    "staffing.plan_late",
                    role=role,
                    extra=number(row["extra_fte"], 1),
                    date=ui.date_text(in_post),
                    earliest=ui.date_text(row["earliest_in_post"]),
                    days=number(row["recruitment_lead_time_days"], 0),
                )
            )
        else:
            st.markdown(
                t(
                    "staffing.plan_start",
                    role=role,
                    extra=number(row["extra_fte"], 1),
                    start=ui.date_text(row["start_recruiting_by"]),
                    date=ui.date_text(in_post),
                    days=number(row["recruitment_lead_time_days"], 0),
                )
            )
    table = pd.DataFrame(
        {
            t("cols.role"): [views.role_name(scenario, r) for r in plan["role"]],
            t("cols.fte_now"): plan["current_fte"],
            t("cols.fte_recommended"): plan["recommended_fte"],
            t("cols.extra_fte"): plan["extra_fte"],
            t("cols.lead_time"): plan["recruitment_lead_time_days"],
            t("cols.start_by"): [
                str(d) if d is not None else "–" for d in plan["start_recruiting_by"]
            ],
            t("cols.too_late"): [t("ui.yes") if late else t("ui.no") for late in plan["late"]],
            t("cols.earliest"): [
                str(d) if d is not None else "–" for d in plan["earliest_in_post"]
            ],
            t("cols.extra_cost"): plan["extra_cost_per_year_gbp"],
        }
    )
    st.dataframe(table, hide_index=True)
    st.download_button(
        t("ui.download_csv"),
        table.to_csv(index=False).encode("utf-8"),
        file_name="recruitment-plan.csv",
        mime="text/csv",
        key="download:recruitment_plan",
    )


ui.heading("staffing")
scenario = ui.adjusted_scenario_or_stop()
ui.scenario_banner(scenario)
st.markdown(t("staffing.explain"))
settings = settings_form(scenario)
key = (
    settings["roles"],
    settings["confidence"],
    settings["max_fte"],
    settings["replications"],
    settings["from_date"],
)
done = st.session_state.setdefault("state:staffing_done", set())
run_id = (scenario.content_hash(), scenario.seed, key)
clicked = st.button(t("staffing.run"), type="primary", key="widget:staff_run")
if not (clicked or run_id in done):
    st.info(t("staffing.not_run"))
    st.stop()
try:
    result = _cached(
        scenario.content_hash(), scenario.seed, key, scenario, settings, state.workers()
    )
except ScenarioError as exc:
    ui.errors(exc.lines, t("staffing.invalid"))
    st.stop()
done.add(run_id)

columns = st.columns(3)
with columns[0], st.container(border=True):
    st.metric(t("staffing.cost_now"), _money(result.cost_current))
with columns[1], st.container(border=True):
    st.metric(
        t("staffing.cost_new"),
        _money(result.cost_recommended),
        delta=_money(result.cost_recommended - result.cost_current),
        delta_color="off",
    )
with columns[2], st.container(border=True):
    st.metric(t("staffing.verdict"), t("ui.yes") if result.feasible else t("ui.no"))
    st.caption(t("staffing.verdict_help", level=percent(result.confidence, 0)))
if result.unachievable:
    st.warning(
        t(
            "staffing.unachievable",
            names="; ".join(views.target_name(scenario, n) for n in result.unachievable),
        )
    )
if not result.confirmed:
    st.warning(t("staffing.not_confirmed"))
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
        "staffing.method",
        evaluations=result.evaluations,
        runs=result.replications,
        confirm=result.confirmation_replications,
        seed=result.confirmation_seed,
    )
)
ui.show_view(recommendation_view(scenario, result))
ui.show_view(targets_view(scenario, result))
ui.show_view(tradeoff_view(scenario, result))
plan_section(scenario, result, settings["in_post"])
