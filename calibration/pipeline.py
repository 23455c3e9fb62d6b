"""The one calibration pipeline: extract in, validated scenario, commented YAML and report out.

Behind ``acusim calibrate`` and the app's Calibrate page; nothing here is
written to disk.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from calibration.calibrate import fit_extract
from calibration.extract import Extract, ExtractSource, read_extract
from calibration.history_match import match_history as match_effort
from calibration.history_match import refit_with_matches
from calibration.history_match import warnings as history_warnings
from calibration.report import calibration_report
from calibration.types import Calibration, CalibrationSettings
from calibration.uncertainty import bootstrap_parameter_sets
from calibration.wording import Message
from calibration.writer import render_scenario
from model.scenario import Scenario


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
    match_history: bool | None = None,
    report_lang: str = "en",
) -> CalibrationResult:
    """Extract in (paths, bytes, file objects or DataFrames), scenario and report out.

    The one pipeline behind ``acusim calibrate`` and the app's Calibrate page.
    ``workers``: processes for the bootstrap; ``with_report=False`` skips building the
    HTML report (``report_html`` is then empty). ``match_history``: estimate each role's
    effort by replaying the window (``history_match.py``); default: when ``staffing`` is
    given. ``report_lang``: the report's language, "en" or "cy" (``calibration/wording.py``).

    Raises :class:`~calibration.extract.ExtractError` for bad input and
    :class:`CalibrationError` for an extract that cannot make a scenario; both carry
    ``lines``, one message per problem. Nothing is written to disk."""

    extract = read_extract(
        referrals,
        events,
        staffing,
        as_of,
        skip_bad_rows=skip_bad_rows,
        max_problems=max_problems,
    )
    calibration, scenario, mapping, text = fit_and_match(extract, settings, template, match_history)
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
    html = calibration_report(calibration, text, spread, report_lang) if with_report else ""
    return CalibrationResult(
        calibration, scenario, mapping, text, html, sets, dict(extract.skipped)
    )


def fit_and_match(
    extract: Extract,
    settings: CalibrationSettings | None,
    template: Scenario | None,
    match_history: bool | None = None,
    light: bool = False,
) -> tuple[Calibration, Scenario, dict[str, Any], str]:
    """Fit, then (with a staffing history) match each role's effort to its history.

    Without ``staffing.csv`` the effort rests on the utilisation assumption and a
    warning says so."""
    calibration = fit_extract(extract, settings, template, light=light)
    scenario, mapping, text = render_scenario(calibration)
    if match_history is None:
        match_history = extract.staffing is not None
    staffed = any(e.touch for e in calibration.efforts.values())
    if match_history and staffed:
        _, matches = match_effort(scenario, extract, calibration, calibration.settings.seed)
        calibration = refit_with_matches(extract, calibration, matches, template)
        scenario, mapping, text = render_scenario(calibration)
    elif staffed:
        _, checked = match_effort(
            scenario, extract, calibration, calibration.settings.seed, search=False
        )
        calibration.warnings.extend(history_warnings(checked))
        calibration.role_checks = checked
        calibration.warnings.append(
            Message(
                "fit_messages.assumed_no_staffing"
                if extract.staffing is None
                else "fit_messages.assumed_no_match",
                utilisation=f"{calibration.settings.utilisation:g}",
            )
        )
    return calibration, scenario, mapping, text
