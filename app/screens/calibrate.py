"""Calibrate page: a scenario fitted to the force's own case-management extract.

An extract holds personal data, so everything happens in memory and little is kept:
the uploads go straight to :func:`calibration.calibrate_extract` (which reads only the
documented columns, so a name in an extra column cannot reach the screen), no row is
shown back, and the session keeps only the fitted scenario, its file, its report and
counts for the summary. A fit is shown only while the uploads and settings it was made
from are unchanged, so a summary never sits beside files it does not describe.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass, field
from typing import NamedTuple

import pandas as pd
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

from app import state, ui
from app.i18n import current_language, name, number, percent, t
from calibration import (
    CalibrationError,
    CalibrationResult,
    CalibrationSettings,
    ExtractError,
    calibrate_extract,
)
from calibration.report import calibration_report
from calibration.synth import synthesise
from calibration.wording import LANGUAGES as REPORT_LANGUAGES
from calibration.wording import render_lines
from model.scenario import Scenario

FIT_KEY = "state:calibration"
TEMPLATE_KEY = "widget:cal_template"
DEMO_KEY = "widget:demo_pick"
"""Select boxes labelled by scenario title: one widget per language (``ui.choice_key``)."""
NO_TEMPLATE = "__none__"
CHOSEN_TEMPLATE = "__chosen__"
DEMO_YEARS = 2.0
"""Long enough for change points and every fit, small enough to download in a moment."""
DEFAULT_UTILISATION = CalibrationSettings.model_fields["utilisation"].default
"""The documented default (docs/calibration.md), taken from the settings so they agree."""
DAYS_PER_YEAR = 365.25


class Inputs(NamedTuple):
    """What a fit depends on: the uploads (by upload id) and every setting. A tuple, so a
    fit kept from an earlier run compares equal (each run of a page defines its classes
    afresh, and dataclasses of different runs never compare equal)."""

    files: tuple[str | None, str | None, str | None]
    as_of: dt.date | None
    template: str
    utilisation: float
    skip_bad_rows: bool


@dataclass(frozen=True)
class SourceRow:
    source: str
    referrals: int
    rate: float
    low: float
    high: float
    change: tuple[dt.date, float] | None


@dataclass
class Fit:
    """A fit's outcome as the page shows it: aggregates only, never a row of the extract."""

    inputs: Inputs
    errors: list[str] = field(default_factory=list)
    errors_intro: str = ""
    """Catalogue key of the sentence above the errors (looked up when shown, so it follows
    a change of language)."""
    scenario: Scenario | None = None
    yaml_text: str = ""
    report_html: dict[str, str] = field(default_factory=dict)
    """The calibration report in each language (``calibration/wording.py``), built
    while the fits are at hand, so a change of language needs no refit."""
    referrals: int = 0
    events: int = 0
    start: dt.date | None = None
    end: dt.date | None = None
    years: float = 0.0
    sources: list[SourceRow] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)
    roles: list[tuple[str, str]] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@st.cache_data(show_spinner=False, max_entries=4)
def demo_zip(file: str) -> bytes:
    """A practice extract as a ZIP of the three CSV files, built in memory (deterministic:
    the scenario's own seed, ending at its start date)."""
    scenario = state.load_shipped(file)
    extract = synthesise(scenario, DEMO_YEARS, scenario.start_date)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for stem, frame in (
            ("referrals", extract.referrals),
            ("stage_events", extract.events),
            ("staffing", extract.staffing),
        ):
            archive.writestr(f"{stem}.csv", frame.to_csv(index=False, lineterminator="\n"))
    return buffer.getvalue()


def demo_section() -> None:
    with st.expander(t("calibrate.demo_title")):
        files = state.shipped_scenarios()
        file = st.selectbox(
            t("calibrate.demo_pick"),
            files,
            key=ui.choice_key(DEMO_KEY, files[0]),
            format_func=ui.option_labels(files, ui.shipped_title),
        )
        ui.keep_choice(DEMO_KEY, file)
        as_of = state.load_shipped(file).start_date
        st.markdown(
            t("calibrate.demo_help", years=ui.years_text(DEMO_YEARS), date=ui.date_text(as_of))
        )
        st.download_button(
            t("calibrate.demo_button"),
            demo_zip(file),
            file_name=f"demo-extract-{file.removesuffix('.yaml')}.zip",
            mime="application/zip",
            key="download:demo_extract",
            on_click="ignore",
        )


def upload_section() -> list[UploadedFile | None]:
    """referrals.csv, stage_events.csv and staffing.csv, in that order (None if not given)."""
    ui.section(t("calibrate.files_title"))
    return [
        column.file_uploader(
            t(f"calibrate.{what}"),
            type=["csv"],
            key=f"widget:cal_{what}",
            help=t(f"calibrate.{what}_help"),
        )
        for column, what in zip(st.columns(3), ("referrals", "events", "staffing"), strict=True)
    ]


def template_options() -> list[str]:
    """Shipped scenarios, and the chosen one when it is the user's own upload (it may hold
    the force's own roles and targets)."""
    chosen = [CHOSEN_TEMPLATE] if state.origin().kind == "upload" else []
    return [*state.shipped_scenarios(), *chosen, NO_TEMPLATE]


def template_label(option: str) -> str:
    if option == NO_TEMPLATE:
        return t("calibrate.template_none")
    if option == CHOSEN_TEMPLATE:
        return t("calibrate.template_chosen", file=state.origin().file)
    return ui.shipped_title(option)


def template_scenario(option: str) -> Scenario | None:
    if option == NO_TEMPLATE:
        return None
    if option == CHOSEN_TEMPLATE:
        return state.base_scenario()
    return state.load_shipped(option)


def settings_section() -> tuple[dt.date | None, str, float, bool]:
    ui.section(t("calibrate.settings_title"))
    left, right = st.columns(2)
    as_of = left.date_input(
        t("calibrate.as_of"),
        value=None,
        min_value=dt.date(1990, 1, 1),
        max_value=dt.date(2100, 12, 31),
        format="YYYY-MM-DD",
        key="widget:cal_as_of",
        help=t("calibrate.as_of_help"),
    )
    options = template_options()
    key = ui.choice_key(TEMPLATE_KEY, options[0])
    if st.session_state.get(key) not in options:  # the upload it named is gone
        st.session_state[key] = options[0]
    template = right.selectbox(
        t("calibrate.template"),
        options,
        format_func=ui.option_labels(options, template_label),
        key=key,
        help=t("calibrate.template_help"),
    )
    ui.keep_choice(TEMPLATE_KEY, template)
    utilisation = left.slider(
        t("calibrate.utilisation"),
        min_value=10,
        max_value=100,
        value=round(100 * DEFAULT_UTILISATION),
        step=1,
        format="%d%%",
        key="widget:cal_utilisation",
        help=t("calibrate.utilisation_help", default=percent(DEFAULT_UTILISATION)),
    )
    skip = right.toggle(
        t("calibrate.skip_bad_rows"),
        value=False,
        key="widget:cal_skip",
        help=t("calibrate.skip_bad_rows_help"),
    )
    return as_of, template, utilisation / 100, skip


def summarise(inputs: Inputs, result: CalibrationResult) -> Fit:
    """Keep the counts, names and headline rates the page shows; drop the fits themselves."""
    cal = result.calibration
    sources = [
        SourceRow(
            source,
            fit.n,
            fit.current_per_week.value,
            fit.current_per_week.low,
            fit.current_per_week.high,
            None if fit.change is None else (fit.change.date, fit.change.factor.value),
        )
        for source, fit in cal.arrivals.items()
    ]
    return Fit(
        inputs=inputs,
        scenario=result.scenario,
        yaml_text=result.yaml_text,
        report_html={
            lang: calibration_report(cal, result.yaml_text, lang=lang) for lang in REPORT_LANGUAGES
        },
        referrals=cal.n_referrals,
        events=cal.n_events,
        start=cal.window_start,
        end=cal.as_of.date(),
        years=cal.window_days / DAYS_PER_YEAR,
        sources=sources,
        stages=list(cal.stages),
        roles=[(role, spec.title) for role, spec in cal.roles.items()],
        skipped=dict(cal.skipped),
        warnings=list(cal.warnings),
    )


def fit(uploads: list[UploadedFile | None], inputs: Inputs) -> Fit:
    """Run the calibration; bad input comes back as plain lines, never a traceback."""
    for upload in uploads:
        if upload is not None:
            upload.seek(0)  # an earlier run may have read it to the end
    referrals, events, staffing = uploads
    try:
        result = calibrate_extract(
            referrals,
            events,
            staffing,
            inputs.as_of,
            settings=CalibrationSettings(utilisation=inputs.utilisation),
            template=template_scenario(inputs.template),
            skip_bad_rows=inputs.skip_bad_rows,
            with_report=False,  # built in both languages by summarise()
        )
    except ExtractError as exc:
        return Fit(inputs, errors=exc.lines, errors_intro="calibrate.extract_invalid")
    except CalibrationError as exc:
        return Fit(inputs, errors=exc.lines, errors_intro="calibrate.fit_invalid")
    return summarise(inputs, result)


def show_errors(result: Fit) -> None:
    # the lines are catalogue messages (calibration/wording.py): shown in the page's language
    ui.errors(render_lines(result.errors, current_language()), t(result.errors_intro))
    if any("--" in line for line in result.errors):
        st.caption(
            t(
                "calibrate.options_note",
                as_of=t("calibrate.as_of"),
                template=t("calibrate.template"),
                skip=t("calibrate.skip_bad_rows"),
            )
        )


def sources_table(rows: list[SourceRow]) -> pd.DataFrame:
    def change(row: SourceRow) -> str:
        if row.change is None:
            return "–"
        day, factor = row.change
        return t("calibrate.change_cell", factor=number(factor, 2), date=ui.date_text(day))

    return pd.DataFrame(
        {
            t("cols.source"): [name("sources", r.source, r.source) for r in rows],
            t("calibrate.col_referrals"): [r.referrals for r in rows],
            t("calibrate.col_rate"): [number(r.rate, 2) for r in rows],
            t("cols.ci_low"): [number(r.low, 2) for r in rows],
            t("cols.ci_high"): [number(r.high, 2) for r in rows],
            t("calibrate.col_change"): [change(r) for r in rows],
        }
    )


def use(result: Fit) -> None:
    """Make the fit the chosen scenario, named as its download is, so the Scenario page and
    every export say which file it is."""
    assert result.scenario is not None
    state.choose_uploaded(f"{result.scenario.name}.yaml", result.scenario)


def show_fit(result: Fit) -> None:
    scenario = result.scenario
    assert scenario is not None and result.start is not None and result.end is not None
    ui.section(t("calibrate.done_title"))
    st.markdown(
        t(
            "calibrate.summary",
            referrals=number(result.referrals, 0),
            events=number(result.events, 0),
            start=ui.date_text(result.start),
            end=ui.date_text(result.end),
            years=ui.years_text(result.years),
            sources=len(result.sources),
        )
    )
    st.dataframe(sources_table(result.sources), hide_index=True)
    st.caption(t("calibrate.rates_note", level=ui.level()))
    stages = [name("stages", s, s) for s in result.stages]
    st.markdown(t("calibrate.stages", names=", ".join(stages)))
    if result.roles:
        roles = [name("roles", role, title) for role, title in result.roles]
        st.markdown(t("calibrate.roles", names=", ".join(roles)))
    else:
        st.markdown(t("calibrate.no_roles"))
    for file, count in result.skipped.items():
        st.markdown(t("calibrate.skipped", file=file, n=number(count, 0)))
    if result.warnings:
        lines = render_lines(result.warnings, current_language())
        st.warning(t("calibrate.warnings") + "\n\n" + "\n".join(f"- {line}" for line in lines))
    if result.inputs.files[2] is not None:  # staffing.csv: effort matched to the history
        st.caption(t("backtest.matched_note"))
    else:
        st.caption(t("calibrate.assumption", share=percent(result.inputs.utilisation)))

    ui.section(t("calibrate.take_title"))
    st.markdown(t("calibrate.yaml_help"))
    left, right = st.columns(2)
    left.download_button(
        t("calibrate.yaml_button"),
        result.yaml_text.encode("utf-8"),
        file_name=f"{scenario.name}.yaml",
        mime="application/x-yaml",
        key="download:calibrated_yaml",
        on_click="ignore",
    )
    right.download_button(
        t("calibrate.report_button"),
        result.report_html[current_language()].encode("utf-8"),
        file_name=f"{scenario.name}-calibration-report-{current_language()}.html",
        mime="text/html",
        key="download:calibration_report",
        on_click="ignore",
    )
    st.button(
        t("calibrate.use"),
        type="primary",
        key="widget:use_fitted",
        help=t("calibrate.use_help"),
        on_click=use,
        args=(result,),
    )
    if st.session_state.get(state.BASE_KEY) is scenario:
        st.success(t("calibrate.in_use", name=scenario.name))
        st.page_link("screens/scenario.py", label=t("results.go_scenario"))


def run_backtest_view(uploads: list[UploadedFile | None], inputs: Inputs):
    """The backtest for the page (``app/backtest_view.py``): the same uploads and settings
    as the fit, cut at ``cut``; bad input comes back as plain lines."""
    from app.backtest_view import BacktestView, summarise
    from calibration.backtest import run_backtest
    from calibration.extract import read_extract

    def run(cut: dt.date, n: int, key: tuple) -> BacktestView:
        for upload in uploads:
            if upload is not None:
                upload.seek(0)
        try:
            extract = read_extract(*uploads, inputs.as_of, skip_bad_rows=inputs.skip_bad_rows)
            result = run_backtest(
                extract,
                cut,
                settings=CalibrationSettings(utilisation=inputs.utilisation),
                template=template_scenario(inputs.template),
                replications=n,
            )
        except (ExtractError, CalibrationError) as exc:
            return BacktestView(key, errors=exc.lines)
        return summarise(key, result)

    return run


ui.heading("calibrate")
st.markdown(t("calibrate.explain"))
demo_section()
uploads = upload_section()
as_of, template, utilisation, skip = settings_section()
referrals_id, events_id, staffing_id = (None if u is None else u.file_id for u in uploads)
inputs = Inputs((referrals_id, events_id, staffing_id), as_of, template, utilisation, skip)
ready = uploads[0] is not None and uploads[1] is not None
if not ready:
    st.info(t("calibrate.need_files"))
if st.button(t("calibrate.fit"), type="primary", key="widget:fit", disabled=not ready):
    with st.spinner(t("calibrate.fitting")):
        st.session_state[FIT_KEY] = fit(uploads, inputs)
current = st.session_state.get(FIT_KEY)
if current is not None and current.inputs != inputs:
    del st.session_state[FIT_KEY]  # made from other files or settings: not kept
elif current is not None and current.errors:
    show_errors(current)
elif current is not None:
    show_fit(current)
    from app import backtest_view

    backtest_view.section(current.start, current.end, inputs, run_backtest_view(uploads, inputs))
