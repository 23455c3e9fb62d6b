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
    CalibrationLangOption,
    EventsOption,
    MaxProblemsOption,
    ReferralsOption,
    SeedOption,
    SkipBadRowsOption,
)
from model.files import write_atomic
from model.replications import default_workers

_KEY_VALUE_HELP = "Repeat for several."


def _say(lang: str, key: str, /, **fields: object) -> str:
    """One printed line from the calibration catalogue (``cli.*``) in ``lang``."""
    from calibration.wording import text

    return text(lang, f"cli.{key}", **fields)


def _print_verdict(lang: str, result) -> None:
    """The verdict line of validate-fit and backtest: the word, then the plain-words reason;
    printed as text, since the reason may quote names from the user's files."""
    from calibration.verdicts import verdict_word
    from calibration.wording import render

    out.print(
        _say(
            lang,
            "verdict",
            word=render(verdict_word(result.verdict), lang),
            text=result.verdict_text(lang),
        ),
        markup=False,
        highlight=False,
    )


def _fail_in(lang: str, lines: list[str]) -> None:
    """Problems (built as catalogue messages) printed in ``lang``, then exit 2."""
    from calibration.wording import render_lines

    fail(render_lines(lines, lang))


def _pairs(values: list[str] | None, option: str) -> tuple[dict[str, str], list[str]]:
    """``key=value`` options as a dict; the second item lists problems."""
    from calibration.wording import Message

    result: dict[str, str] = {}
    problems = []
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            problems.append(Message("cli.not_pair", option=option, value=repr(item)))
        else:
            result[key.strip()] = value.strip()
    return result, problems


def _utilisation(values: list[str] | None) -> tuple[dict[str, Any], list[str]]:
    """``--utilisation 0.85`` (all roles) and ``--utilisation ds=0.9`` (one role)."""
    from calibration.wording import Message

    settings: dict[str, Any] = {}
    by_role: dict[str, Any] = {}
    problems = []
    for item in values or []:
        key, sep, value = item.partition("=")
        text = value if sep else key
        try:
            number = float(text)
        except ValueError:
            problems.append(Message("cli.bad_utilisation", value=repr(item)))
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
        lang: CalibrationLangOption = "en",
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
                problems.append(_say(lang, "bad_touch_share", stage=stage_name, value=repr(text)))
        if problems:
            _fail_in(lang, problems)
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
                    _say(lang, "bootstrapping", n=bootstrap),
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
            _fail_in(lang, exc.lines)
        calibration, scenario, text = result.calibration, result.scenario, result.yaml_text
        sets, html = result.parameter_sets, result.report_html or None
        _say_skipped(lang, result.skipped, listed=report is not None)
        _say_lines(lang, "warning", calibration.warnings)
        unwritable = _unwritable(lang, [output, *([report] if report is not None else [])])
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
                    _say(lang, "removed", file=sets_file),
                    highlight=False,
                    soft_wrap=True,
                )
        except OSError as exc:  # name the file the user asked for, not a temporary one
            fail([_say(lang, "cannot_write", file=target, reason=exc.strerror or exc)], EXIT_FAILED)
        _print_calibration(lang, out, calibration)
        _say_wrote(lang, written)

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
        lang: CalibrationLangOption = "en",
    ) -> None:
        """Replay a calibrated scenario over the extract's period and compare with history."""
        from calibration.extract import ExtractError, read_extract
        from calibration.validate_fit import (
            duration_headers,
            duration_rows,
            summary_headers,
            summary_rows,
            validate_fit,
            validation_report,
        )
        from calibration.wording import text as words
        from model.formats import long_date
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
            _fail_in(lang, exc.lines)
        _say_skipped(lang, extract.skipped)
        _say_lines(lang, "note", result.notes)
        out.print(
            words(
                lang,
                "validate_report.replayed",
                name=scenario.name,
                start=long_date(extract.window_start, lang),
                end=long_date(extract.as_of.date(), lang),
                n=result.replications,
                seed=result.seed,
            ),
            markup=False,
            highlight=False,
        )
        for title, headers, rows in (
            (
                words(lang, "validate_report.table_series"),
                summary_headers(lang),
                summary_rows(result, lang),
            ),
            (
                words(lang, "validate_report.table_durations"),
                duration_headers(lang),
                duration_rows(result, lang),
            ),
        ):
            table = Table(title=title)
            for i, header in enumerate(headers):
                left = i < 2  # both tables: two name columns, then numbers
                table.add_column(header, justify="left" if left else "right", overflow="fold")
            for row in rows:
                table.add_row(*[_cell(v) for v in row])
            out.print(table)
        _print_verdict(lang, result)
        if report is not None:
            try:
                write_atomic(report, validation_report(result, lang))
            except OSError as exc:
                fail(
                    [_say(lang, "cannot_write", file=report, reason=exc.strerror or exc)],
                    EXIT_FAILED,
                )
            _say_wrote(lang, [report])


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
        ] = 40,  # backtest.DEFAULT_REPLICATIONS and MIN_REPLICATIONS (a test checks them)
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
        lang: CalibrationLangOption = "en",
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
        from calibration.verdicts import series_label
        from calibration.wording import render
        from model.formats import long_date, percent
        from model.scenario import ScenarioError

        try:
            cut_date = dt.date.fromisoformat(cut)
        except ValueError:
            fail([_say(lang, "bad_cut", value=repr(cut))])
        changes, problems = _pairs(change_point, "--change-point")
        if problems:
            _fail_in(lang, problems)
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
                    _say(lang, "fitting_at", cut=long_date(cut_date, lang), n=replications),
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
            _fail_in(lang, exc.lines)
        _say_skipped(lang, extract.skipped)
        text = json.dumps(result.to_json(lang), indent=2, ensure_ascii=False)
        html = backtest_report(result, lang) if (report is not None or out_dir is not None) else ""
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
            where = exc.filename or out_dir or report
            fail([_say(lang, "cannot_write", file=where, reason=exc.strerror or exc)])
        if as_json:
            print(text)
        else:
            table = _named_table(
                lang,
                "backtest",
                ("series", "coverage", "actual", "forecast"),
                cut=long_date(result.cut, lang),
                end=long_date(result.end, lang),
            )
            for b in result.bands:
                table.add_row(
                    render(series_label(b.series, b.key), lang),
                    percent(b.coverage, 0, lang),
                    _cell(float(b.actual.mean())),
                    _cell(float(b.mean.mean())),
                )
            out.print(table)
            _print_verdict(lang, result)
        _say_lines(lang, "note", result.notes)
        if written:
            _say_wrote(lang, written)


def _say_skipped(lang: str, skipped: dict[str, int], listed: bool = False) -> None:
    """Rows left out with --skip-bad-rows are counted aloud, never dropped silently."""
    for file, count in skipped.items():
        err.print(
            _say(lang, "skipped_listed" if listed else "skipped", file=file, n=count),
            highlight=False,
            soft_wrap=True,
        )


def _say_lines(lang: str, kind: str, lines: list[str]) -> None:
    """Warnings or notes on stderr, each after its word (``warning:`` / ``rhybudd:``)."""
    from calibration.wording import render

    for line in lines:
        err.print(
            _say(lang, kind, line=render(line, lang)),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


def _say_wrote(lang: str, paths: list[Path]) -> None:
    err.print(
        _say(lang, "wrote", files=", ".join(map(str, paths))), highlight=False, soft_wrap=True
    )


def _unwritable(lang: str, paths: list[Path]) -> list[str]:
    """One line per output that cannot be written (its folder is not a writable folder)."""
    import os

    problems = []
    for path in paths:
        folder = path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent
        if path.is_dir():
            problems.append(_say(lang, "unwritable_is_folder", file=path))
        elif not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            problems.append(_say(lang, "unwritable_folder", file=path, folder=folder))
        elif path.exists() and not os.access(path, os.W_OK):
            problems.append(_say(lang, "unwritable_permission", file=path))
    return problems


def _cell(value: object) -> str:
    from calibration.estimates import fmt

    if isinstance(value, float):
        return fmt(value)
    return str(value)


def _with_ci(value) -> str:
    from calibration.estimates import fmt

    return f"{fmt(value.value)} ({fmt(value.low)}-{fmt(value.high)})"


def _named_table(lang: str, name: str, columns: tuple[str, ...], **title: object) -> Table:
    """A table of fitted values: its title (with the fields ``title``) and headers from the
    catalogue (``cli.<name>_*``), the first column (a name) left-aligned, the numbers
    right-aligned."""
    table = Table(title=_say(lang, f"{name}_title", **title))
    for i, column in enumerate(columns):
        table.add_column(
            _say(lang, f"{name}_col_{column}"),
            justify="left" if i == 0 else "right",
            overflow="fold",
        )
    return table


def _print_calibration(lang: str, console, calibration) -> None:
    """The headline fits: rates per source and times per stage, each with its CI."""
    from calibration.estimates import fmt
    from calibration.wording import choice
    from model.formats import percent

    conf = percent(calibration.settings.confidence, 0, lang)
    table = _named_table(
        lang, "rates", ("source", "n", "start", "as_of", "change", "burst"), level=conf
    )
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
    table = _named_table(
        lang, "stages", ("stage", "visits", "open", "wait", "service", "family"), level=conf
    )
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
            "-" if timing is None else choice(timing.chosen.family, lang),
        )
    console.print(table)
