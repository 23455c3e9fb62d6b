"""``acusim calibrate``, ``acusim synth`` and ``acusim validate-fit``: thin faces over the
calibration package. Bad input is reported one line per problem on stderr with a
non-zero exit (``acusim.main._fail``), never a traceback, and nothing is written unless
everything succeeded (files are written to a temporary name and then renamed)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from acusim.console import EXIT_FAILED, err, fail, load, out
from acusim.options import (
    AsOfOption,
    EventsOption,
    MaxProblemsOption,
    ReferralsOption,
    SeedOption,
    SkipBadRowsOption,
)
from model.files import write_atomic
from model.replications import default_workers

_KEY_VALUE_HELP = "Repeat for several."


def _pairs(values: list[str] | None, option: str) -> tuple[dict[str, str], list[str]]:
    """``key=value`` options as a dict; the second item lists problems."""
    result: dict[str, str] = {}
    problems = []
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            problems.append(f"{option}: expected NAME=VALUE (got {item!r})")
        else:
            result[key.strip()] = value.strip()
    return result, problems


def _utilisation(values: list[str] | None) -> tuple[dict[str, Any], list[str]]:
    """``--utilisation 0.85`` (all roles) and ``--utilisation ds=0.9`` (one role)."""
    settings: dict[str, Any] = {}
    by_role: dict[str, Any] = {}
    problems = []
    for item in values or []:
        key, sep, value = item.partition("=")
        text = value if sep else key
        try:
            number = float(text)
        except ValueError:
            problems.append(f"--utilisation: expected a number or ROLE=NUMBER (got {item!r})")
            continue
        if sep:
            by_role[key.strip()] = number
        else:
            settings["utilisation"] = number
    if by_role:
        settings["role_utilisation"] = by_role
    return settings, problems


def register(app: typer.Typer) -> None:
    """Add ``calibrate``, ``synth``, ``validate-fit`` and ``backtest`` to ``app``."""
    register_backtest(app)

    @app.command()
    def calibrate(
        referrals: ReferralsOption,
        events: EventsOption,
        output: Annotated[
            Path, typer.Option("--output", "-o", help="Calibrated scenario to write (YAML).")
        ],
        staffing: Annotated[
            Path | None, typer.Option("--staffing", help="staffing.csv (optional).")
        ] = None,
        as_of: AsOfOption = None,
        report: Annotated[
            Path | None, typer.Option("--report", help="Write the HTML calibration report here.")
        ] = None,
        lang: Annotated[
            str,
            typer.Option(
                "--lang",
                help="Language of the --report: en (English) or cy (Welsh).",
            ),
        ] = "en",
        template: Annotated[
            Path | None,
            typer.Option(
                "--template",
                help="Scenario giving what the extract cannot: roles' hours and abstraction, "
                "which role works each stage, caseload caps, targets.",
            ),
        ] = None,
        stage_role: Annotated[
            list[str] | None,
            typer.Option("--stage-role", help=f"STAGE=ROLE: who works a stage. {_KEY_VALUE_HELP}"),
        ] = None,
        change_point: Annotated[
            list[str] | None,
            typer.Option(
                "--change-point",
                help=f"SOURCE=DATE: a known change (e.g. a go-live). {_KEY_VALUE_HELP}",
            ),
        ] = None,
        detect_change_points: Annotated[
            bool,
            typer.Option(
                "--detect-change-points/--no-detect-change-points",
                help="Search other sources for a change point.",
            ),
        ] = True,
        touch_share: Annotated[
            list[str] | None,
            typer.Option(
                "--touch-share",
                help="STAGE=K: share of the stage's service time that is staff work "
                f"(effort assumption; see docs/calibration.md). {_KEY_VALUE_HELP}",
            ),
        ] = None,
        utilisation: Annotated[
            list[str] | None,
            typer.Option(
                "--utilisation",
                help="Effort assumption: share of casework time spent on the extract's cases "
                "(default 0.85); ROLE=VALUE for one role. See docs/calibration.md.",
            ),
        ] = None,
        confidence: Annotated[float, typer.Option(help="Level of every interval.")] = 0.95,
        alpha: Annotated[float, typer.Option(help="Significance level of the tests.")] = 0.05,
        horizon_years: Annotated[
            float, typer.Option(help="Horizon of the calibrated scenario (FMS: 4 years).")
        ] = 4.0,
        name: Annotated[str, typer.Option(help="Name of the calibrated scenario.")] = "calibrated",
        seed: Annotated[int, typer.Option(min=0, help="Seed (scenario and bootstrap).")] = 1,
        bootstrap: Annotated[
            int,
            typer.Option(
                min=0,
                help="Bootstrap parameter sets to write beside the scenario (for "
                "`acusim run --input-uncertainty N`).",
            ),
        ] = 0,
        workers: Annotated[
            int, typer.Option(min=1, help="Worker processes for the bootstrap.")
        ] = default_workers(),
        min_segment_days: Annotated[
            int, typer.Option(help="Days a found change point leaves on each side.")
        ] = 56,
        seasonal_min_years: Annotated[
            float, typer.Option(help="Years of data before seasonality is tried.")
        ] = 2.0,
        contracted_hours: Annotated[
            float, typer.Option(help="Weekly hours of roles not in the template.")
        ] = 40.0,
        abstraction_rate: Annotated[
            float, typer.Option(help="Abstraction of roles not in the template.")
        ] = 0.30,
        casework_share: Annotated[
            float, typer.Option(help="Casework share of roles not in the template.")
        ] = 0.85,
        skip_bad_rows: SkipBadRowsOption = False,
        max_problems: MaxProblemsOption = 50,
        no_match_history: Annotated[
            bool,
            typer.Option(
                "--no-match-history",
                help="Keep the --utilisation effort assumption even with staffing.csv (default: "
                "estimate each role's effort by replaying the history; docs/calibration.md).",
            ),
        ] = False,
    ) -> None:
        """Fit a scenario to a case-management extract; write it with a report."""
        from calibration.extract import ExtractError
        from calibration.pipeline import calibrate_extract
        from calibration.types import CalibrationError, make_settings
        from calibration.uncertainty import parameter_sets_json, parameter_sets_path

        roles, problems = _pairs(stage_role, "--stage-role")
        changes, more = _pairs(change_point, "--change-point")
        util, even_more = _utilisation(utilisation)
        touch, most = _pairs(touch_share, "--touch-share")
        problems += more + even_more + most
        touch_values: dict[str, Any] = {}
        for stage_name, text in touch.items():
            try:
                touch_values[stage_name] = float(text)
            except ValueError:
                problems.append(f"--touch-share: {stage_name}: not a number ({text!r})")
        if lang not in ("en", "cy"):
            problems.append(f"--lang: must be en or cy, not {lang!r}")
        if problems:
            fail(problems)
        try:
            settings = make_settings(
                name=name,
                confidence=confidence,
                alpha=alpha,
                horizon_years=horizon_years,
                seed=seed,
                stage_roles=roles,
                change_points=changes,
                detect_change_points=detect_change_points,
                min_segment_days=min_segment_days,
                seasonal_min_years=seasonal_min_years,
                contracted_hours_per_week=contracted_hours,
                abstraction_rate=abstraction_rate,
                casework_share=casework_share,
                touch_shares=touch_values,
                **util,
            )
            base = load(template) if template is not None else None
            if bootstrap:
                err.print(
                    f"Fitting, then bootstrapping {bootstrap} parameter sets ...",
                    highlight=False,
                    soft_wrap=True,
                )
            result = calibrate_extract(
                referrals,
                events,
                staffing,
                as_of,
                settings=settings,
                template=base,
                bootstrap=bootstrap,
                skip_bad_rows=skip_bad_rows,
                max_problems=max_problems,
                workers=workers,
                with_report=report is not None,
                match_history=False if no_match_history else None,
                report_lang=lang,
            )
        except (ExtractError, CalibrationError) as exc:
            fail(exc.lines)
        calibration, scenario, text = result.calibration, result.scenario, result.yaml_text
        sets, html = result.parameter_sets, result.report_html or None
        where = "; the report lists them" if report is not None else ""
        _say_skipped(result.skipped, where)
        for warning in calibration.warnings:
            err.print(f"warning: {warning}", markup=False, highlight=False, soft_wrap=True)
        unwritable = _unwritable([output, *([report] if report is not None else [])])
        if unwritable:
            fail(unwritable, EXIT_FAILED)  # before anything is written: all or nothing
        target = output
        try:
            write_atomic(output, text)
            written = [output]
            if html is not None and report is not None:
                target = report
                write_atomic(report, html)
                written.append(report)
            sets_file = parameter_sets_path(output)
            if sets:
                target = sets_file
                write_atomic(sets_file, parameter_sets_json(scenario, sets, seed))
                written.append(sets_file)
            elif sets_file.exists():  # from an earlier calibration: it no longer fits
                sets_file.unlink()
                err.print(
                    f"Removed {sets_file} (parameter sets of an earlier calibration)",
                    highlight=False,
                    soft_wrap=True,
                )
        except OSError as exc:  # name the file the user asked for, not a temporary one
            fail([f"{target}: cannot write ({exc.strerror or exc})"], EXIT_FAILED)
        _print_calibration(out, calibration)
        err.print("Wrote " + ", ".join(str(p) for p in written), highlight=False, soft_wrap=True)

    @app.command()
    def synth(
        scenario_file: Annotated[
            Path, typer.Argument(help="Scenario YAML file.", show_default=False)
        ],
        years: Annotated[float, typer.Option(min=0.1, max=30, help="Years of history.")],
        as_of: Annotated[
            str, typer.Option("--as-of", help="Date the extract is taken (YYYY-MM-DD).")
        ],
        output: Annotated[
            Path, typer.Option("--output", "-o", help="Directory for the CSV files.")
        ],
        seed: SeedOption = None,
    ) -> None:
        """Write a synthetic extract (referrals, stage events, staffing) from a scenario."""
        from calibration.synth import synthesise
        from model.scenario import ScenarioError

        try:
            date = dt.date.fromisoformat(as_of)
        except ValueError:
            fail([f"--as-of: not a date (got {as_of!r}); expected YYYY-MM-DD"])
        scenario = load(scenario_file)
        try:
            extract = synthesise(scenario, years, date, seed)
        except ScenarioError as exc:
            fail(exc.lines)
        try:
            written = extract.write(output)
        except OSError as exc:
            fail([f"{output}: cannot write ({exc.strerror or exc})"], EXIT_FAILED)
        out.print(
            f"Synthetic extract of '{scenario.name}': {len(extract.referrals)} referrals, "
            f"{len(extract.events)} stage events, {extract.scenario.start_date} to {date}; "
            f"{int((extract.events['finished_at'] == '').sum())} visits open at --as-of.",
            highlight=False,
        )
        err.print("Wrote " + ", ".join(str(p) for p in written), highlight=False, soft_wrap=True)

    @app.command("validate-fit")
    def validate_fit_command(
        scenario_file: Annotated[
            Path, typer.Argument(help="Calibrated scenario.", show_default=False)
        ],
        referrals: ReferralsOption,
        events: EventsOption,
        staffing: Annotated[
            Path | None, typer.Option("--staffing", help="staffing.csv (checked, optional).")
        ] = None,
        as_of: AsOfOption = None,
        replications: Annotated[
            int, typer.Option("--replications", "-n", min=2, help="Replications.")
        ] = 10,
        seed: SeedOption = None,
        workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = default_workers(),
        report: Annotated[
            Path | None, typer.Option("--report", help="Write the HTML comparison here.")
        ] = None,
        skip_bad_rows: SkipBadRowsOption = False,
        max_problems: MaxProblemsOption = 50,
    ) -> None:
        """Replay a calibrated scenario over the extract's period and compare with history."""
        from calibration.extract import ExtractError, read_extract
        from calibration.validate_fit import (
            DURATION_HEADERS,
            SUMMARY_HEADERS,
            duration_rows,
            summary_rows,
            validate_fit,
            validation_report,
        )
        from model.scenario import ScenarioError

        scenario = load(scenario_file)
        try:
            extract = read_extract(
                referrals,
                events,
                staffing,
                as_of,
                skip_bad_rows=skip_bad_rows,
                max_problems=max_problems,
            )
            result = validate_fit(scenario, extract, replications, seed, workers)
        except (ExtractError, ScenarioError) as exc:
            fail(exc.lines)
        _say_skipped(extract.skipped)
        for note in result.notes:
            err.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)
        out.print(
            f"[bold]{scenario.name}[/bold] replayed over {extract.window_start} to "
            f"{extract.as_of.date()}: {result.replications} replications, seed {result.seed}."
        )
        for title, headers, rows in (
            ("History vs simulation (weekly series)", SUMMARY_HEADERS, summary_rows(result)),
            ("Durations (Kaplan-Meier)", DURATION_HEADERS, duration_rows(result)),
        ):
            table = Table(title=title)
            for header in headers:
                text = header in ("measure", "key", "stage", "duration")
                table.add_column(header, justify="left" if text else "right", overflow="fold")
            for row in rows:
                table.add_row(*[_cell(v) for v in row])
            out.print(table)
        out.print(f"Verdict: {result.verdict}. {result.verdict_text()}", highlight=False)
        if report is not None:
            try:
                write_atomic(report, validation_report(result))
            except OSError as exc:
                fail([f"{report}: cannot write ({exc.strerror or exc})"], EXIT_FAILED)
            err.print(f"Wrote {report}", highlight=False, soft_wrap=True)


def register_backtest(app: typer.Typer) -> None:
    """Add ``backtest`` (issue #11): fit at a cut, forecast to the as-of date, compare."""

    @app.command()
    def backtest(
        referrals: ReferralsOption,
        events: EventsOption,
        cut: Annotated[
            str,
            typer.Option(
                "--cut", help="Fit on what was known at the start of this day (YYYY-MM-DD)."
            ),
        ],
        staffing: Annotated[
            Path | None,
            typer.Option(
                "--staffing", help="staffing.csv: its rows after the cut are the staff in post."
            ),
        ] = None,
        template: Annotated[
            Path | None, typer.Option("--template", help="Template scenario (as calibrate).")
        ] = None,
        as_of: AsOfOption = None,
        change_point: Annotated[
            list[str] | None,
            typer.Option("--change-point", help=f"SOURCE=DATE (as calibrate). {_KEY_VALUE_HELP}"),
        ] = None,
        replications: Annotated[
            int,
            typer.Option(
                "--replications", "-n", min=2, help="Replications (a 95% band needs 39 or more)."
            ),
        ] = 40,
        seed: SeedOption = None,
        workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = default_workers(),
        out_dir: Annotated[
            Path | None,
            typer.Option("--out", help="Directory for backtest.json and backtest.html."),
        ] = None,
        as_json: Annotated[
            bool, typer.Option("--json", help="Print the comparison as JSON (acusim.backtest/1).")
        ] = False,
        report: Annotated[
            Path | None, typer.Option("--report", help="Write the HTML backtest report here.")
        ] = None,
        skip_bad_rows: SkipBadRowsOption = False,
        max_problems: MaxProblemsOption = 50,
        input_uncertainty: Annotated[
            bool,
            typer.Option(
                "--input-uncertainty/--no-input-uncertainty",
                help="Run each replication with its own bootstrap refit of the fitted values, "
                "so the band also holds their uncertainty (the default; one refit per "
                "replication: --no-input-uncertainty is faster and its band too narrow).",
            ),
        ] = True,
    ) -> None:
        """Fit on the history up to --cut, forecast to the as-of date, compare week by week."""
        import json

        from calibration.backtest import run_backtest
        from calibration.backtest_report import backtest_report
        from calibration.extract import ExtractError, read_extract
        from calibration.types import CalibrationError, make_settings
        from model.scenario import ScenarioError

        try:
            cut_date = dt.date.fromisoformat(cut)
        except ValueError:
            fail([f"--cut: not a date (got {cut!r}); expected YYYY-MM-DD"])
        changes, problems = _pairs(change_point, "--change-point")
        if problems:
            fail(problems)
        base = load(template) if template is not None else None
        try:
            extract = read_extract(
                referrals,
                events,
                staffing,
                as_of,
                skip_bad_rows=skip_bad_rows,
                max_problems=max_problems,
            )
            settings = make_settings(change_points=changes, seed=seed if seed is not None else 1)
            if not as_json:
                err.print(
                    f"Fitting at {cut_date}, then {replications} replications ...",
                    highlight=False,
                    soft_wrap=True,
                )
            result = run_backtest(
                extract,
                cut_date,
                settings=settings,
                template=base,
                replications=replications,
                seed=seed,
                workers=workers,
                input_uncertainty=input_uncertainty,
            )
        except (ExtractError, CalibrationError, ScenarioError) as exc:
            fail(exc.lines)
        _say_skipped(extract.skipped)
        payload = result.to_json()
        text = json.dumps(payload, indent=2)
        html = backtest_report(result) if (report is not None or out_dir is not None) else ""
        try:
            written = []
            if out_dir is not None:
                out_dir.mkdir(parents=True, exist_ok=True)
                write_atomic(out_dir / "backtest.json", text + "\n")
                write_atomic(out_dir / "backtest.html", html)
                written += [out_dir / "backtest.json", out_dir / "backtest.html"]
            if report is not None:
                write_atomic(report, html)
                written.append(report)
        except OSError as exc:
            fail([f"{exc.filename or out_dir or report}: cannot write ({exc.strerror or exc})"])
        if as_json:
            print(text)
        else:
            table = Table(title=f"Backtest {result.cut} to {result.end}: weeks inside the 95% band")
            for column in ("series", "key", "weeks in band", "actual mean", "forecast mean"):
                table.add_column(column, justify="left" if column in ("series", "key") else "right")
            for b in result.bands:
                table.add_row(
                    b.series,
                    b.key,
                    f"{b.coverage:.0%}",
                    _cell(float(b.actual.mean())),
                    _cell(float(b.mean.mean())),
                )
            out.print(table)
            out.print(f"Verdict: {result.verdict}. {result.verdict_text()}", highlight=False)
        for note in result.notes:
            err.print(f"note: {note}", markup=False, highlight=False, soft_wrap=True)
        if written:
            err.print("Wrote " + ", ".join(map(str, written)), highlight=False, soft_wrap=True)


def _say_skipped(skipped: dict[str, int], where: str = "") -> None:
    """Rows left out with --skip-bad-rows are counted aloud, never dropped silently."""
    for file, count in skipped.items():
        err.print(
            f"{file}: skipped {count} bad row(s) (--skip-bad-rows{where})",
            highlight=False,
            soft_wrap=True,
        )


def _unwritable(paths: list[Path]) -> list[str]:
    """One line per output that cannot be written (its folder is not a writable folder)."""
    import os

    problems = []
    for path in paths:
        folder = path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if path.is_dir():
            problems.append(f"{path}: cannot write (it is a folder)")
        elif not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            problems.append(f"{path}: cannot write (folder {folder} is not writable)")
        elif path.exists() and not os.access(path, os.W_OK):
            problems.append(f"{path}: cannot write (permission denied)")
    return problems


def _cell(value: object) -> str:
    from calibration.estimates import fmt

    if isinstance(value, float):
        return fmt(value)
    return str(value)


def _with_ci(value) -> str:
    from calibration.estimates import fmt

    return f"{fmt(value.value)} ({fmt(value.low)}-{fmt(value.high)})"


def _print_calibration(console, calibration) -> None:
    """The headline fits: rates per source and times per stage, each with its CI."""
    from calibration.estimates import fmt

    conf = f"{calibration.settings.confidence:.0%} CI"
    table = Table(title=f"Referral rates per week ({conf})")
    for column in ("source", "n", "at start", "at as-of", "change point", "burst cv"):
        table.add_column(column, justify="left" if column == "source" else "right", overflow="fold")
    for name, fit in calibration.arrivals.items():
        change = "-" if fit.change is None else f"{fit.change.date} x{fmt(fit.change.factor.value)}"
        table.add_row(
            name,
            str(fit.n),
            _with_ci(fit.base_per_week),
            _with_ci(fit.current_per_week),
            change,
            "-" if fit.burst_cv is None else fmt(fit.burst_cv.value),
        )
    console.print(table)
    table = Table(title=f"Stages: fitted mean days ({conf}; open visits censored)")
    for column in ("stage", "visits", "open", "wait", "service / time in stage", "family"):
        table.add_column(column, justify="left" if column == "stage" else "right", overflow="fold")
    for name, stage in calibration.stages.items():
        timing = stage.service if stage.role is not None else stage.sojourn

        def cell(fit) -> str:
            if fit is None:
                return "-"
            m = fit.chosen.mean
            return f"{fmt(fit.mean_days)} ({fmt(m.low)}-{fmt(m.high)})"

        open_count = 0 if stage.routing is None else stage.routing.unfinished
        table.add_row(
            name,
            str(stage.visits),
            str(open_count),
            cell(stage.wait),
            cell(timing),
            "-" if timing is None else timing.chosen.family,
        )
    console.print(table)
