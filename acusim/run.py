"""``acusim run`` (replications, the KPI table, output files) and ``acusim validate``."""

from __future__ import annotations

import math
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from acusim.console import EXIT_FAILED, err, fail, load, out
from acusim.options import HorizonOption, SeedOption, WorkersOption
from model.engine.sources import DAYS_PER_WEEK, rate_per_day
from model.overload import NOT_REACHED, OVERLOADED, UNDETERMINED, all_stage_waits
from model.replications import RunResults, default_workers, run_replications


def register(app: typer.Typer) -> None:
    """Add ``run`` and ``validate`` to ``app``."""
    app.command()(run)
    app.command()(validate)


def _fmt(value: float, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def _ci(summary, kpi: str, digits: int = 2, scale: float = 1.0) -> tuple[str, str]:
    row = summary.loc[kpi]
    mean = row["mean"] * scale
    half = row["half_width"] * scale
    return _fmt(mean, digits), ("" if math.isnan(half) else f"± {_fmt(half, digits)}")


def _ci_unit(summary, kpi: str, unit: str, digits: int = 2, scale: float = 1.0) -> tuple[str, str]:
    """Like ``_ci`` with a unit after each number; nothing after a missing one ("-")."""
    mean, half = _ci(summary, kpi, digits, scale)
    return (mean if mean == "-" else mean + unit), (half + unit if half else "")


def _with_half(pair: tuple[str, str]) -> str:
    """'12.0 (± 1.5)', or '12.0' alone when there is no interval (one replication)."""
    mean, half = pair
    return f"{mean} ({half})" if half else mean


def _wait_cells(w) -> tuple[str, str, str, str]:
    """Median (± half-width), 90th percentile, mean of all cases, still waiting at the end."""
    if w.status == NOT_REACHED:
        return "no cases", "-", "-", "-"
    waiting = f"{_fmt(w.waiting_end.mean, 1)} ({_fmt(w.waiting_end_share.mean * 100, 0)}%)"
    if w.status == OVERLOADED:
        return "OVERLOADED", "-", "-", waiting
    median = "not reached"
    if not w.median_undefined_in:
        half = "" if math.isnan(w.median.half_width) else f"± {_fmt(w.median.half_width)}"
        median = _with_half((_fmt(w.median.mean), half)).replace("(", "").replace(")", "")
    p90 = _fmt(w.p90.mean) if not w.p90_undefined_in else "not reached"
    mean = _fmt(w.mean_started_only.mean) if w.mean_defined else "-"
    return median, p90, mean, waiting


def _print_report(results: RunResults) -> None:
    """The readable KPI table: the figures a planner asks for first."""
    scenario = results.scenario
    summary = results.summary()
    intervals = (
        "one replication: figures are its values, with no confidence intervals."
        if results.n == 1
        else "figures are means ± 95% CI half-widths."
    )
    out.print(
        f"[bold]{scenario.name}[/bold]: {results.n} "
        f"{'replication' if results.n == 1 else 'replications'}, seed {results.seed}, "
        f"{scenario.horizon_years:g} years from {scenario.start_date}; {intervals}",
        highlight=False,
    )

    table = Table(title="Referrals per year by source")
    table.add_column("source")
    table.add_column("per year", justify="right")
    table.add_column("95% CI", justify="right")
    for name, source in scenario.sources.items():
        table.add_row(source.title, *_ci(summary, f"arrivals_per_year.{name}", 1))
    out.print(table)

    waits = all_stage_waits(results)
    table = Table(title="Stages: waits (days from joining the queue to being started)")
    for column in (
        "stage",
        "median wait",
        "90th pct",
        "mean (all started)",
        "still waiting at end",
        "backlog at end",
    ):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for name, stage in scenario.stages.items():
        cells = _wait_cells(waits[name]) if name in waits else ("-", "-", "-", "-")
        backlog = " ".join(_ci(summary, f"backlog_end.{name}", 1)).strip()
        table.add_row(stage.title, *cells, backlog)
    out.print(table)
    out.print(
        "Median and 90th percentile count the cases still waiting at the end (Kaplan-Meier); "
        "the mean is shown only where every case was started. 'not reached': over half "
        "(or 10%) still waiting.",
        highlight=False,
    )
    for name, w in waits.items():
        if w.status in (OVERLOADED, UNDETERMINED):
            out.print(f"{scenario.stages[name].title}: {w.words()}", highlight=False)

    table = Table(title="Staff")
    for column in ("role", "FTE now", "utilisation", "", "staff-hours a year", ""):
        table.add_column(column, justify="left" if column == "role" else "right")
    for name, role in scenario.roles.items():
        table.add_row(
            role.title,
            _fmt(role.fte, 1),
            *_ci_unit(summary, f"utilisation.{name}", "%", 0, 100.0),
            *_ci(summary, f"staff_hours_per_year.{name}", 0),
        )
    out.print(table)

    _print_workforce(results)  # only when a role has turnover (issue #18)

    status = results.target_status()
    if len(status):
        table = Table(title="Service targets")
        for column in ("target", "estimate", "95% CI", "needs", "met?"):
            table.add_column(column, justify="left" if column == "target" else "right")
        for row in status.to_dict(orient="records"):
            if row["met_with_confidence"]:
                verdict = "met"
            elif row["met"]:
                verdict = (
                    "met (one run: no confidence)" if results.n == 1 else "met (not confidently)"
                )
            else:
                verdict = "MISSED"
            ci = (
                "-" if math.isnan(row["ci_low"]) else f"{row['ci_low']:.3f} to {row['ci_high']:.3f}"
            )
            table.add_row(
                row["description"] or row["target"],
                _fmt(row["mean"], 3),
                ci,
                f"{row['direction']} {row['threshold']:g}",
                verdict,
            )
        out.print(table)

    if scenario.reporting.investigation_stage:
        share = _ci_unit(summary, "pcc_investigations_over_share", "%", 1, 100.0)
        count = _ci(summary, "pcc_open_over_at_end", 1)
        days = scenario.reporting.pcc_report_after_days
        out.print(
            f"Investigations open beyond {days:g} days (report to the PCC): "
            f"{_with_half(share)} of investigations; {_with_half(count)} open at the end.",
            highlight=False,
        )
    if scenario.reporting.first_action_stage:
        median = _ci(summary, "first_action_wait_km_median_days", 1)
        p90 = _ci(summary, "first_action_wait_km_p90_days", 1)[0]
        waiting = _ci(summary, "first_action_waiting_end", 1)[0]
        out.print(
            "First action on high-priority and APSP referrals (days from referral, cases "
            f"still waiting counted): median {_with_half(median)}, 90th percentile {p90}; "
            f"{waiting} still waiting at the end.",
            highlight=False,
        )


def _print_workforce(results: RunResults) -> None:
    """Posts funded, people in post and what turnover costs, for roles with a turnover block."""
    from model.workforce_outputs import has_workforce

    if not has_workforce(results):
        return
    summary = results.summary()
    table = Table(title="Workforce (roles with turnover; averages over the horizon)")
    for column in (
        "role",
        "posts",
        "FTE in post",
        "effective FTE",
        "vacancy",
        "leavers a year",
        "hand-overs a year",
    ):
        table.add_column(column, justify="left" if column == "role" else "right")
    for name, role in results.scenario.roles.items():
        if role.turnover is None:
            continue
        in_post = _ci(summary, f"fte_in_post_mean.{name}")
        effective = _ci(summary, f"fte_effective_mean.{name}")
        vacancy = _ci(summary, f"vacancy_share.{name}", 0, 100.0)
        leavers = _ci(summary, f"leavers_per_year.{name}")
        handovers = _ci(summary, f"handovers_per_year.{name}", 1)
        table.add_row(
            role.title,
            _fmt(summary.loc[f"establishment_mean.{name}", "mean"], 1),
            " ".join(in_post),
            " ".join(effective),
            f"{vacancy[0]}% {vacancy[1]}%".strip() if vacancy[1] else f"{vacancy[0]}%",
            " ".join(leavers),
            " ".join(handovers),
        )
    out.print(table)


def run(
    scenario_file: Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)],
    replications: Annotated[
        int | None,
        typer.Option("--replications", "-n", min=1, help="Replications (default: the scenario's)."),
    ] = None,
    seed: SeedOption = None,
    horizon_years: HorizonOption = None,
    workers: WorkersOption = default_workers(),
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Write summary.json and Parquet series and case records here."),
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print summary JSON to stdout.")
    ] = False,
    input_uncertainty: Annotated[
        int | None,
        typer.Option(
            "--input-uncertainty",
            min=2,
            help="Run N bootstrap parameter sets written by `acusim calibrate --bootstrap` "
            "(-n replications each) and split each KPI's spread into input uncertainty and "
            "process randomness.",
        ),
    ] = None,
) -> None:
    """Simulate a scenario and report its KPIs with 95% confidence intervals."""
    from model.results import summary_json, write_outputs  # pandas, pyarrow: only here

    scenario = load(scenario_file, horizon_years)
    n = replications or scenario.replications
    if input_uncertainty is not None:
        from calibration.uncertainty import InputUncertaintyError, input_uncertainty_command

        try:
            input_uncertainty_command(
                scenario_file,
                scenario,
                input_uncertainty,
                n,
                seed,
                workers,
                out_dir,
                json_output,
                out,
                err,
            )
        except InputUncertaintyError as exc:
            fail(exc.lines)
        return
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        auto_refresh=False,  # no refresh thread, so worker processes can be forked cheaply
        disable=not err.is_terminal,
    ) as progress:
        task = progress.add_task(f"Simulating {scenario.name}", total=n)
        results = run_replications(
            scenario,
            replications=n,
            seed=seed,
            workers=min(workers, n),
            record_cases=out_dir is not None,
            progress=lambda k: progress.update(task, advance=k, refresh=True),
        )
    if out_dir is not None:
        try:
            written = write_outputs(results, out_dir)
        except OSError as exc:
            fail([f"{out_dir}: cannot write results ({exc.strerror or exc})"], EXIT_FAILED)
        err.print(f"Wrote {', '.join(p.name for p in written)} to {out_dir}", highlight=False)
    if json_output:
        sys.stdout.write(summary_json(results) + "\n")
    else:
        _print_report(results)


def validate(
    scenario_file: Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)],
) -> None:
    """Check a scenario file and describe what it models (or list its errors)."""
    scenario = load(scenario_file)
    out.print(
        f"[bold]{scenario_file}[/bold] is valid: '{scenario.name}', "
        f"{scenario.horizon_years:g} years from {scenario.start_date}."
    )
    table = Table(title="Referral sources")
    for column in ("source", "kind", "per week at start", "enters at"):
        table.add_column(column)
    start = float(scenario.warmup_days)
    for name, source in scenario.sources.items():
        weekly = float(rate_per_day(source, scenario, [start + 0.5])[0] * DAYS_PER_WEEK)
        state = "" if source.enabled else " (off)"
        table.add_row(f"{name}{state}", source.kind, f"{weekly:.2f}", source.entry_stage)
    out.print(table)
    table = Table(title="Stages")
    for column in ("stage", "worked by", "mean effort (h)", "routes to"):
        table.add_column(column)
    for name, stage in scenario.stages.items():
        effort = "-" if stage.effort_hours is None else f"{stage.effort_hours.mean():.2f}"
        routes = ", ".join(f"{d} {p:.0%}" for d, p in stage.routing.default.items())
        if stage.routing.rules:
            routes += f" (+{len(stage.routing.rules)} rule(s))"
        table.add_row(name, stage.role or "(waiting only)", effort, routes)
    out.print(table)
    table = Table(title="Roles")
    for column in ("role", "FTE", "casework h/week per FTE", "caseload cap per FTE"):
        table.add_column(column)
    for name, role in scenario.roles.items():
        cap = "-" if role.caseload_cap_per_fte is None else f"{role.caseload_cap_per_fte:g}"
        table.add_row(name, f"{role.fte:g}", f"{role.casework_hours_per_day * 7:.1f}", cap)
    out.print(table)
    if scenario.targets:
        out.print("Targets: " + ", ".join(scenario.targets))
