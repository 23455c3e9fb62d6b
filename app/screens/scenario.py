"""Scenario page: choose or upload a scenario, move the main levers, see what changed, run."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app import runs, share, state, ui, views
from app.changes import changed_rows, lever_label, origin_text
from app.i18n import current_language, name, number, t
from app.levers import GROUPS, Lever
from model.replications import default_workers
from model.scenario import MonitoringSource, Scenario, ScenarioError

UPLOADED = "__uploaded__"
PICK_KEY = "widget:pick"
UPLOAD_SEEN_KEY = "state:upload_seen"
WORKERS_WIDGET = "widget:workers"


def _render(lever: Lever, scenario: Scenario, values: dict[str, Any]) -> None:
    """One widget, seeded from (and written back to) the session's lever values."""
    key = state.WIDGET_PREFIX + lever.id
    if key not in st.session_state:
        st.session_state[key] = values[lever.id]
    label, help_text = lever_label(lever, scenario), t(lever.help)
    if lever.widget == "toggle":
        st.toggle(label, key=key, help=help_text)
    elif lever.widget == "percent":
        st.slider(
            label,
            min_value=float(lever.minimum),
            max_value=float(lever.maximum),
            step=lever.step,
            format=f"%.{lever.digits}f%%",
            key=key,
            help=help_text,
        )
    elif lever.widget == "integer":
        st.number_input(
            label,
            min_value=int(lever.minimum) if lever.minimum is not None else None,
            max_value=int(lever.maximum) if lever.maximum is not None else None,
            step=int(lever.step),
            key=key,
            help=help_text,
        )
    else:
        st.number_input(
            label,
            min_value=lever.minimum,
            max_value=lever.maximum,
            step=lever.step,
            format=f"%.{lever.digits}f",
            key=key,
            help=help_text,
        )
    values[lever.id] = st.session_state[key]


def choose_section() -> None:
    files = state.shipped_scenarios()
    where = state.origin()
    options = ([UPLOADED] if where.kind == "upload" else []) + files
    current = UPLOADED if where.kind == "upload" else where.file

    def label(option: str) -> str:
        if option == UPLOADED:
            return t("scenario.uploaded_option", file=where.file)
        return ui.shipped_title(option)

    # One widget per language: a change of language changes every option's label, and
    # Streamlit 1.67 would hand back the old label as the value (see ui.choice_key).
    key = f"{PICK_KEY}:{current_language()}"

    def picked() -> None:
        choice = st.session_state[key]
        if choice != UPLOADED and choice in files:
            state.choose_shipped(choice)

    st.session_state[key] = current
    left, right = st.columns(2)
    labels = {option: label(option) for option in options}  # in this run's language
    left.selectbox(
        t("scenario.pick"), options, key=key, format_func=labels.__getitem__, on_change=picked
    )
    upload = right.file_uploader(
        t("scenario.upload"),
        type=["yaml", "yml"],
        key="widget:upload",
        help=t("scenario.upload_help"),
    )
    if upload is not None and st.session_state.get(UPLOAD_SEEN_KEY) != upload.file_id:
        st.session_state[UPLOAD_SEEN_KEY] = upload.file_id
        try:
            scenario = state.parse_upload(upload.name, upload.getvalue())
        except ScenarioError as exc:
            st.session_state["state:upload_errors"] = exc.lines
        else:
            st.session_state["state:upload_errors"] = []
            state.choose_uploaded(upload.name, scenario)
            st.rerun()
    if upload is None:
        st.session_state.pop(UPLOAD_SEEN_KEY, None)
        st.session_state["state:upload_errors"] = []
    problems = st.session_state.get("state:upload_errors") or []
    if problems:
        ui.errors(
            problems, t("scenario.upload_invalid", file=ui.plain(upload.name if upload else ""))
        )


def describe(scenario: Scenario) -> None:
    """The chosen scenario's title, origin, period and description. Everything taken from
    the file (which may be an upload) is escaped: shown as written, never as Markdown."""
    st.markdown(
        t(
            "scenario.chosen",
            name=ui.plain(views.scenario_title(scenario)),
            source=ui.plain(
                origin_text() if state.origin().kind == "upload" else t("quick.shipped_origin")
            ),
            start=ui.date_text(scenario.start_date),
            years=ui.years_text(scenario.horizon_years),
        )
    )
    description = views.scenario_description(scenario)
    if description:
        st.caption(ui.plain(description))


def monitoring_note(scenario: Scenario, values: dict[str, Any]) -> None:
    """Alerts a week implied by the levers (devices x alerts per device), for orientation."""
    for source_name, source in scenario.sources.items():
        if isinstance(source, MonitoringSource):
            devices = float(values[f"sources.{source_name}.devices_covered"])
            rate = float(values[f"sources.{source_name}.alerts_per_device_per_week"])
            on = bool(values[f"sources.{source_name}.enabled"])
            st.caption(
                t(
                    "scenario.alerts_note" if on else "scenario.alerts_note_off",
                    name=name("sources", source_name, source.title),
                    alerts=number(devices * rate, 1),
                )
            )


def levers_section(scenario: Scenario) -> None:
    levers = state.levers()
    values = state.lever_values()
    for group in GROUPS:
        members = [lever for lever in levers if lever.group == group]
        if not members and group != "run":
            continue
        with st.expander(t(f"levers.groups.{group}"), expanded=group in ("monitoring", "staff")):
            st.caption(t(f"levers.groups.{group}_help"))
            columns = st.columns(2 if group == "staff" else 1)
            for i, lever in enumerate(members):
                with columns[i % len(columns)] if group == "staff" else columns[0]:
                    _render(lever, scenario, values)
            if group == "monitoring":
                monitoring_note(scenario, values)
            if group == "run":
                workers_widget()
    st.button(t("scenario.reset"), key="widget:reset", on_click=state.reset_levers)


def workers_widget() -> None:
    if WORKERS_WIDGET not in st.session_state:
        st.session_state[WORKERS_WIDGET] = state.workers()
    st.number_input(
        t("levers.workers"),
        min_value=1,
        max_value=max(default_workers(), state.workers()),
        step=1,
        key=WORKERS_WIDGET,
        help=t("levers.workers_help"),
    )
    st.session_state[state.WORKERS_KEY] = int(st.session_state[WORKERS_WIDGET])


def changes_section() -> None:
    ui.section(t("scenario.changes_title"))
    rows = changed_rows()
    if not rows:
        st.info(t("scenario.no_changes"))
        return
    columns = [t("scenario.col_setting"), t("scenario.col_chosen"), t("scenario.col_now")]
    st.dataframe(pd.DataFrame(rows, columns=columns), hide_index=True)


SAVE_NAME_KEY = "widget:save_name"


def saved_section() -> None:
    """Name the current settings and keep them in this browser (they survive a refresh,
    a new tab and a later visit; nothing is stored on the server), or go back to
    settings saved before."""
    with st.expander(t("share.saved_title")):
        st.caption(t("share.saved_help"))
        left, right = st.columns(2)
        with left:
            name = st.text_input(t("share.save_name"), key=SAVE_NAME_KEY, max_chars=share.MAX_NAME)
            # Saved here, after the levers above have taken the widgets' values (a button
            # callback would run before that); the rerun hands the list to the browser.
            if st.button(t("share.save_button"), key="widget:save") and name.strip():
                share.save(name, state.origin(), state.lever_values())
                st.rerun()
        items = share.saved()
        with right:
            if items:
                pick = st.selectbox(
                    t("share.saved_pick"), [i["name"] for i in items], key="widget:saved_pick"
                )
                if st.button(t("share.load_button"), key="widget:use_saved"):
                    problems = share.use_saved(pick)
                    if problems:
                        st.warning(t("share.bad_link", what=ui.plain("; ".join(problems))))
                    else:
                        st.rerun()


def run_section(where) -> None:
    """The Run button, drawn into ``where`` (a container at the top of the page, so it is
    the first control reached by Tab), after the levers below have set their values."""
    try:
        adjusted = state.adjusted_scenario()
    except ScenarioError as exc:
        with where:
            ui.errors(exc.lines, t("scenario.levers_invalid"))
        return
    if where.button(t("run.button"), type="primary", key="widget:run", help=t("run.help")):
        runs.run(adjusted, state.workers())
        params = share.encode(state.origin(), state.lever_values())
        st.switch_page("screens/results.py", query_params=params or None)


ui.heading("scenario")
top = st.container()
choose_section()
base = state.base_scenario()
describe(base)
ui.section(t("scenario.levers_title"))
levers_section(base)
changes_section()
saved_section()
run_section(top)
share.keep_saved_in_browser()  # last: the browser's first answer makes a rerun
