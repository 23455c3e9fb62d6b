"""``acusim demand`` (where the work comes from) and ``acusim staff`` (how many, what cost, when).

A thin face over :mod:`planning.demand` and :mod:`planning.staffing.recommend`: options in,
tables out. Exit codes: 0 when every target is met with the stated
confidence; 3 (``EXIT_INFEASIBLE``) when a target cannot be met within the
ceilings or the answer could not be confirmed (the tables still show the
best found); 130 (``EXIT_CANCELLED``) when Ctrl-C cancels ``acusim staff``
(worker processes stopped, one line on stderr, nothing written); 2 for bad
input and 1 for files that cannot be written, as for every ``acusim`` command.

``acusim staff`` shows its progress on stderr: a bar with the estimated time
left where stderr is a terminal, one line per phase otherwise (logs, pipes);
stdout carries only the answer, so ``--json`` stays clean.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from acusim.console import EXIT_FAILED, err, fail, load, out
from acusim.options import HorizonOption, SeedOption, WorkersOption
from model.files import write_atomic
from model.replications import (
    DEFAULT_CONFIDENCE,
    RunResults,
    default_workers,
    ignore_interrupt,
    process_pool,
    run_replications,
    stop_pool,
)
from model.scenario import Scenario, ScenarioError

if TYPE_CHECKING:  # pandas loads inside the commands that use it
    import pandas as pd

EXIT_INFEASIBLE = 3
"""Exit code of ``acusim staff`` when the targets cannot all be met (or not confirmed)."""
EXIT_CANCELLED = 130
"""Exit code of ``acusim staff`` cancelled by Ctrl-C (128 + SIGINT, the shell's convention)."""


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return f"{value:,.{digits}f}"


def _pm(mean: float, low: float, high: float, digits: int = 2) -> str:
    """'mean ± half-width' from a CI (or just the mean when there is no interval)."""
    if low is None or math.isnan(low):
        return _fmt(mean, digits)
    return f"{_fmt(mean, digits)} ± {_fmt((high - low) / 2, digits)}"


def parse_roles(text: str | None) -> list[str] | None:
    """``--roles ds,dc_investigator`` -> ['ds', 'dc_investigator'] (None: all roles)."""
    if text is None:
        return None
    roles = [part.strip() for part in text.split(",") if part.strip()]
    if not roles:
        raise ScenarioError(["--roles: give role names separated by commas"])
    return roles


def parse_max_fte(text: str | None) -> float | dict[str, float] | None:
    """``--max-fte 12`` (every searched role) or ``--max-fte ds=4,dc_investigator=12``."""
    if text is None:
        return None
    text = text.strip()
    try:
        value = float(text)
    except ValueError:
        pass
    else:
        if value < 0 or not math.isfinite(value):
            raise ScenarioError([f"--max-fte: must be a number of FTE, 0 or more (got {text!r})"])
        return value
    limits: dict[str, float] = {}
    for part in text.split(","):
        role, sep, number = part.partition("=")
        try:
            limit = float(number)
        except ValueError:
            limit = math.nan
        if not sep or not role.strip() or not math.isfinite(limit) or limit < 0:
            raise ScenarioError(
                [f"--max-fte: '{part.strip()}' is not ROLE=FTE (e.g. dc_investigator=12)"]
            )
        limits[role.strip()] = limit
    return limits


def parse_date(text: str | None, option: str) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ScenarioError([f"{option}: '{text}' is not a date (use YYYY-MM-DD)"]) from None


def register(app: typer.Typer) -> None:
    """Add ``demand`` and ``staff`` to ``app``."""

    @app.command()
    def demand(
        scenario_file: Annotated[
            Path, typer.Argument(help="Scenario YAML file.", show_default=False)
        ],
        compare: Annotated[
            list[Path] | None,
            typer.Option(
                "--compare",
                help="Another scenario to compare with (repeatable); run with the same seed "
                "and replications, so differences use common random numbers.",
            ),
        ] = None,
        replications: Annotated[
            int | None,
            typer.Option(
                "--replications", "-n", min=2, help="Replications (default: the scenario's)."
            ),
        ] = None,
        seed: SeedOption = None,
        horizon_years: Annotated[
            float | None,
            typer.Option(min=0.02, help="Override the horizon (years), all scenarios."),
        ] = None,
        workers: WorkersOption = default_workers(),
        out_dir: Annotated[
            Path | None,
            typer.Option(
                "--out", help="Write the tables as CSV, demand.json and HTML charts here."
            ),
        ] = None,
        json_output: Annotated[
            bool, typer.Option("--json", help="Print the tables as JSON to stdout.")
        ] = False,
    ) -> None:
        """Staff-hours a year by role and referral source, referrals by source and where each
        stage sends them, with 95% CIs; with --compare, the differences (paired)."""
        from planning import demand as d

        base = load(scenario_file, horizon_years)
        others = [load(path, horizon_years) for path in compare or []]
        n = replications or base.replications
        seed = base.seed if seed is None else seed
        progress = _phase_printer(err)
        with process_pool(min(workers, n)) if workers > 1 and n > 1 else nullcontext() as pool:
            progress(f"Simulating {base.name}: {n} replications")
            base_run = run_replications(
                base, n, seed, workers=workers, record_cases=True, executor=pool
            )
            other_runs = []
            for other in others:
                progress(f"Simulating {other.name}: {n} replications (same seed)")
                other_runs.append(run_replications(other, n, seed, workers=workers, executor=pool))
        tables = {
            "demand_by_role": d.demand_by_role(base_run),
            "demand": d.demand_table(base_run),
            "referrals": d.referrals_table(base_run),
            "stage_outcomes": d.stage_outcomes_table(base_run),
        }
        comparisons = []
        for other_run in other_runs:
            staff = d.compare_demand(base_run, other_run)
            totals = staff[staff["source"] == d.ALL_SOURCES]
            comparisons.append(
                {
                    "other": other_run.scenario.name,
                    "staff_hours": staff,
                    "referrals": d.compare_referrals(base_run, other_run),
                    "headlines": [
                        d.headline(row, base.name, other_run.scenario.name)
                        for _, row in totals.iterrows()
                        if row["base"] > 0 or row["other"] > 0
                    ],
                }
            )
        document = _demand_document(base_run, tables, comparisons)
        if out_dir is not None:
            try:
                written = _write_demand(out_dir, base_run, tables, comparisons, document)
            except OSError as exc:
                fail([f"{out_dir}: cannot write results ({exc.strerror or exc})"], EXIT_FAILED)
            err.print(f"Wrote {', '.join(p.name for p in written)} to {out_dir}", highlight=False)
        if json_output:
            sys.stdout.write(json.dumps(document, indent=2) + "\n")
        else:
            _print_demand(out, base_run, tables, comparisons)

    @app.command()
    def staff(
        scenario_file: Annotated[
            Path, typer.Argument(help="Scenario YAML file.", show_default=False)
        ],
        roles: Annotated[
            str | None,
            typer.Option(help="Roles to search, comma-separated (default: every role with work)."),
        ] = None,
        confidence: Annotated[
            float | None,
            typer.Option(
                help="Confidence each target must be met with (default: scenario's, 0.95)."
            ),
        ] = None,
        max_fte: Annotated[
            str | None,
            typer.Option(
                "--max-fte",
                help="Most FTE to try: one number for every role, or ROLE=FTE,... "
                "(default: the scenario's staffing_search ceilings).",
            ),
        ] = None,
        precision: Annotated[
            float | None,
            typer.Option(
                help="If given, the answer's confirmation runs until each target KPI's CI "
                "half-width is within this fraction of its value (Hoad et al.); otherwise each "
                "staffing gets only the replications its verdict needs."
            ),
        ] = None,
        replications: Annotated[
            int | None,
            typer.Option(
                "--replications",
                "-n",
                min=3,
                help="Fixed replications per evaluation (default: chosen for --precision).",
            ),
        ] = None,
        seed: SeedOption = None,
        by: Annotated[
            str | None,
            typer.Option(
                help="YYYY-MM-DD: staff needed in post from this date, when each target first "
                "fails with today's staffing, and when recruitment must start."
            ),
        ] = None,
        horizon_years: HorizonOption = None,
        workers: WorkersOption = default_workers(),
        out_dir: Annotated[
            Path | None,
            typer.Option("--out", help="Write CSV, recommendation.json and HTML charts here."),
        ] = None,
        json_output: Annotated[
            bool, typer.Option("--json", help="Print the recommendation as JSON to stdout.")
        ] = False,
    ) -> None:
        """Find the cheapest staffing that meets every target with the stated confidence."""
        from planning.staffing.recommend import first_failures, recruitment_plan, search_staffing

        scenario = load(scenario_file, horizon_years)
        try:
            chosen = parse_roles(roles)
            limits = parse_max_fte(max_fte)
            when = parse_date(by, "--by")
        except ScenarioError as exc:
            fail(exc.lines)
        pool = process_pool(workers, ignore_interrupt) if workers > 1 else None
        bar = _SearchBar(err)
        answered = False  # the pool ends gracefully only then; on any way out, at once
        try:
            with bar:
                try:
                    result = search_staffing(
                        scenario,
                        roles=chosen,
                        confidence=confidence,
                        max_fte=limits,
                        precision=precision,
                        seed=seed,
                        workers=workers,
                        progress=bar.update,
                        replications=replications,
                        from_date=when,
                        executor=pool,
                    )
                except ScenarioError as exc:
                    fail(exc.lines)
                failures = plan = None
                if when is not None:
                    bar.phase("when: today's staffing, period by period")
                    failures = first_failures(
                        scenario,
                        when,
                        replications=result.confirmation_replications,
                        seed=result.confirmation_seed,
                        workers=workers,
                        confidence=result.confidence,
                        executor=pool,
                    )
                    plan = recruitment_plan(scenario, result, when)
            answered = True
        except KeyboardInterrupt:
            err.print(
                "Cancelled: the staffing search stopped before an answer; nothing was written.",
                highlight=False,
            )
            raise typer.Exit(EXIT_CANCELLED) from None
        finally:
            if not answered:
                stop_pool(pool)
            elif pool is not None:
                pool.shutdown()
        pipeline = _pipeline(scenario, result, when)  # workforce hook: None without turnover
        if out_dir is not None:
            from planning.staffing.charts import write_staffing_outputs

            try:
                written = write_staffing_outputs(result, out_dir, plan, failures)
            except OSError as exc:
                fail([f"{out_dir}: cannot write results ({exc.strerror or exc})"], EXIT_FAILED)
            written += _write_workforce(out_dir, result, pipeline)
            err.print(f"Wrote {', '.join(p.name for p in written)} to {out_dir}", highlight=False)
        if json_output:
            from planning.staffing.recommend import json_records

            document = result.to_dict()
            if plan is not None:
                document["recruitment"] = json_records(plan)
                document["first_failures"] = json_records(failures)
            if pipeline is not None:
                document["pipeline"] = json_records(pipeline)
            sys.stdout.write(json.dumps(document, indent=2) + "\n")
        else:
            _print_staffing(out, scenario, result, failures, plan, when)
            _print_workforce(out, result, pipeline)
        if not result.feasible:
            raise typer.Exit(EXIT_INFEASIBLE)


class _SearchBar:
    """The search's progress on stderr: a live bar with the estimated time left where stderr
    is a terminal, one line per phase otherwise. Refreshed from the progress callback, so it
    starts no thread (worker processes may still be forked safely)."""

    def __init__(self, console) -> None:
        self.console = console
        self.live = console.is_terminal
        self.lines = _phase_printer(console)
        self.progress = None
        self.task = None

    def __enter__(self) -> _SearchBar:
        if self.live:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                TextColumn("{task.percentage:>3.0f}%"),
                TimeElapsedColumn(),
                TextColumn("{task.fields[left]}"),
                console=self.console,
                transient=True,
                auto_refresh=False,
            )
            self.progress.start()
            self.task = self.progress.add_task("staffing search", total=1.0, left="")
        return self

    def __exit__(self, *exc) -> None:
        if self.progress is not None:
            self.progress.stop()

    def update(self, p) -> None:
        text = f"{p.phase}: {p.evaluations} staffings, {p.replications_run} replications so far"
        if self.progress is None:
            self.lines(text)
            return
        left = "" if p.seconds_left is None else f"about {_duration(p.seconds_left)} left"
        self.progress.update(
            self.task,
            completed=p.fraction or 0.0,
            description=f"{p.phase}: {p.replications_run} replications",
            left=left,
        )
        self.progress.refresh()

    def phase(self, text: str) -> None:
        if self.progress is None:
            self.lines(text)
        else:
            self.progress.update(self.task, description=text.split(":")[0], left="")
            self.progress.refresh()


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes} min {seconds:02d} s"


def _phase_printer(console):
    """Print a progress line to stderr when the phase changes (not once per batch)."""
    last = {"phase": None}

    def show(line: str) -> None:
        phase = line.split(":", 1)[0]
        if phase != last["phase"]:
            last["phase"] = phase
            console.print(line, style="dim", highlight=False, markup=False)

    return show


# --------------------------------------------------------------------------- demand output


def _demand_document(
    run: RunResults, tables: dict[str, pd.DataFrame], comparisons: list[dict]
) -> dict[str, Any]:
    from planning.staffing.recommend import json_records

    return {
        "schema": "acusim.demand/1",
        "scenario": run.scenario.name,
        "content_hash": run.scenario.content_hash(),
        "seed": run.seed,
        "replications": run.n,
        "confidence": DEFAULT_CONFIDENCE,
        **{name: json_records(table) for name, table in tables.items()},
        "comparisons": [
            {
                "other": c["other"],
                "headlines": c["headlines"],
                "staff_hours": json_records(c["staff_hours"]),
                "referrals": json_records(c["referrals"]),
            }
            for c in comparisons
        ],
    }


def _write_demand(
    out_dir: Path,
    run: RunResults,
    tables: dict[str, pd.DataFrame],
    comparisons: list[dict],
    document: dict[str, Any],
) -> list[Path]:
    from planning.staffing.charts import (
        demand_figure,
        difference_figure,
        write_csv,
        write_html,
    )

    out_dir.mkdir(parents=True, exist_ok=True)
    written = [write_csv(table, out_dir / f"{name}.csv") for name, table in tables.items()]
    written.append(
        write_html(demand_figure(tables["demand"], run.scenario.name), out_dir / "demand.html")
    )
    for i, c in enumerate(comparisons, start=1):
        stem = f"compare_{i}_{c['other']}"
        written.append(write_csv(c["staff_hours"], out_dir / f"{stem}.csv"))
        written.append(write_csv(c["referrals"], out_dir / f"{stem}_referrals.csv"))
        written.append(
            write_html(
                difference_figure(c["staff_hours"], run.scenario.name, c["other"]),
                out_dir / f"{stem}.html",
            )
        )
    write_atomic(out_dir / "demand.json", json.dumps(document, indent=2) + "\n")
    written.append(out_dir / "demand.json")
    return written


def _print_demand(out, run: RunResults, tables: dict[str, pd.DataFrame], comparisons) -> None:
    scenario = run.scenario
    out.print(
        f"[bold]{scenario.name}[/bold]: {run.n} replications, seed {run.seed}, "
        f"{scenario.horizon_years:g} years from {scenario.start_date}; figures are a year, "
        "means ± 95% CI half-widths; FTE = staff-hours / one FTE's casework hours a year."
    )
    table = Table(title="Staff-hours a year by role")
    for column in ("role", "staff-hours", "FTE at 100%", "FTE now"):
        table.add_column(column, justify="left" if column == "role" else "right")
    for row in tables["demand_by_role"].to_dict("records"):
        table.add_row(
            row["role_title"],
            _pm(row["mean"], row["ci_low"], row["ci_high"], 0),
            _pm(row["fte"], row["fte_ci_low"], row["fte_ci_high"]),
            _fmt(row["fte_now"], 1),
        )
    out.print(table)

    roles = [r for r in scenario.roles]
    table = Table(title="Staff-hours a year by referral source (rows) and role (columns)")
    table.add_column("source")
    for role in roles:
        table.add_column(role, justify="right")
    by_pair = tables["demand"].set_index(["source", "role"])
    for source in scenario.sources:
        cells = [by_pair.loc[(source, role)] for role in roles]
        if all(c["mean"] == 0 for c in cells):
            continue
        table.add_row(
            source,
            *[_pm(c["mean"], c["ci_low"], c["ci_high"], 0) if c["mean"] else "-" for c in cells],
        )
    out.print(table)

    table = Table(title="Referrals a year by source")
    for column in ("source", "referrals"):
        table.add_column(column, justify="left" if column == "source" else "right")
    for row in tables["referrals"].to_dict("records"):
        state = "" if row["enabled"] else " (off)"
        table.add_row(
            row["source_title"] + state, _pm(row["mean"], row["ci_low"], row["ci_high"], 1)
        )
    out.print(table)

    table = Table(title="Where each stage sends each source's cases, a year (* = closed)")
    for column in ("source", "stage", "to"):
        table.add_column(column)
    outcomes = tables["stage_outcomes"]
    for (source, stage), rows in outcomes.groupby(["source", "stage"], sort=False):
        table.add_row(
            source,
            stage,
            "; ".join(
                f"{r['next']}{'*' if r['is_outcome'] else ''} "
                f"{_pm(r['mean'], r['ci_low'], r['ci_high'], 1)}"
                for r in rows.to_dict("records")
            ),
        )
    out.print(table)

    for c in comparisons:
        table = Table(
            title=f"{c['other']} minus {scenario.name}: staff-hours a year (paired, 95% CI)"
        )
        for column in ("role", "source", scenario.name, c["other"], "difference", "FTE"):
            table.add_column(column, justify="left" if column in ("role", "source") else "right")
        for row in c["staff_hours"].to_dict("records"):
            if row["base"] == 0 and row["other"] == 0:
                continue
            table.add_row(
                row["role_title"],
                "all sources" if row["source"] == "all" else row["source"],
                _fmt(row["base"], 0),
                _fmt(row["other"], 0),
                _pm(row["difference"], row["ci_low"], row["ci_high"], 0),
                _pm(row["fte"], row["fte_ci_low"], row["fte_ci_high"]),
            )
        out.print(table)
        table = Table(title=f"{c['other']} minus {scenario.name}: referrals a year")
        for column in ("source", scenario.name, c["other"], "difference"):
            table.add_column(column, justify="left" if column == "source" else "right")
        for row in c["referrals"].to_dict("records"):
            table.add_row(
                row["source"],
                _fmt(row["base"], 1),
                _fmt(row["other"], 1),
                _pm(row["difference"], row["ci_low"], row["ci_high"], 1),
            )
        out.print(table)
        for line in c["headlines"]:
            out.print(line, highlight=False)


# --------------------------------------------------------------------------- staffing output


def _print_staffing(out, scenario: Scenario, result, failures, plan, when) -> None:
    pct = f"{result.confidence:.0%}"
    frame = "" if when is None else f", staff in post from {when}"
    out.print(
        f"[bold]{scenario.name}[/bold]: cheapest staffing meeting every target with {pct} "
        f"confidence{frame}; search seed {result.seed}, confirmed with seed "
        f"{result.confirmation_seed}."
    )
    table = Table(title="Analytic estimate (busiest year's load)")
    for column in ("role", "load h/week", "FTE at 100%", "suggested", "method"):
        table.add_column(column, justify="left" if column in ("role", "method") else "right")
    for row in result.analytic.to_dict("records"):
        if row["role"] in result.roles:
            table.add_row(
                row["role"],
                _fmt(row["peak_load_hours_per_week"], 1),
                _fmt(row["fte_at_full_load_peak"]),
                _fmt(row["suggested_fte"], 1),
                row["method"],
            )
    out.print(table)

    table = Table(title="Recommended staffing")
    for column in ("role", "FTE now", "recommended", "change", "GBP a year now", "recommended "):
        table.add_column(column, justify="left" if column == "role" else "right")
    for row in result.recommendation_table().to_dict("records"):
        table.add_row(
            row["title"],
            f"{row['current_fte']:g}",
            f"{row['recommended_fte']:g}",
            f"{row['change_fte']:+g}",
            _fmt(row["cost_current_gbp"], 0),
            _fmt(row["cost_recommended_gbp"], 0),
        )
    table.add_row(
        "whole unit", "", "", "", _fmt(result.cost_current, 0), _fmt(result.cost_recommended, 0)
    )
    out.print(table)

    table = Table(
        title=f"Service targets, today and recommended ({result.confirmation_replications} "
        f"replications each, seed {result.confirmation_seed}; {pct} CI)"
    )
    for column in ("target", "needs", "today", "met?", "recommended", "met? "):
        table.add_column(column, justify="left" if column == "target" else "right")
    now = result.targets_current.set_index("target")
    rec = result.targets_recommended.set_index("target")
    for name, target in scenario.targets.items():
        a, b = now.loc[name], rec.loc[name]
        table.add_row(
            target.description or name,
            f"{target.direction} {target.threshold:g}",
            _pm(a["mean"], a["ci_low"], a["ci_high"], 3),
            _verdict(a),
            _pm(b["mean"], b["ci_low"], b["ci_high"], 3),
            _verdict(b),
        )
    out.print(table)

    if len(result.tradeoff):
        role = result.tradeoff_role
        table = Table(title=f"Trade-off: each target against {role} FTE (others as recommended)")
        table.add_column(f"{role} FTE", justify="right")
        names = list(dict.fromkeys(result.tradeoff["target"]))
        for name in names:
            table.add_column(name, justify="right")
        for fte, rows in result.tradeoff.groupby("fte"):
            cells = rows.set_index("target")
            table.add_row(
                f"{fte:g}",
                *[
                    f"{cells.loc[n, 'mean']:.3f} "
                    + ("met" if cells.loc[n, "met_with_confidence"] else "MISSED")
                    for n in names
                ],
            )
        out.print(table)

    per = (
        f"up to {result.replications} replications per evaluation, each stopped as soon as its "
        "verdict was settled"
        if result.sequential
        else f"{result.replications} replications per evaluation"
    )
    reused = (
        f", {result.replications_reused:,} more reused from earlier runs"
        if result.replications_reused
        else ""
    )
    out.print(
        f"Search: {result.evaluations} staffings simulated, {per} "
        f"({result.replications_run:,} simulated in all{reused}); a brute-force grid over the "
        f"same ranges would take {result.brute_force_evaluations:,} evaluations "
        f"({result.brute_force_evaluations * result.replications:,} replications).",
        highlight=False,
    )

    if failures is not None:
        table = Table(title="With today's staffing: when each target first fails")
        for column in ("target", "needs", "first missed (mean)", "value then", "first at risk"):
            table.add_column(column, justify="left" if column == "target" else "right")
        for row in failures.to_dict("records"):
            table.add_row(
                row["description"] or row["target"],
                f"{row['direction']} {row['threshold']:g}",
                str(row["first_missed_from"] or f"not by {row['checked_until']}"),
                _pm(row["mean_then"], row["ci_low_then"], row["ci_high_then"], 3),
                str(row["first_at_risk_from"] or "-"),
            )
        out.print(table)
    if plan is not None:
        table = Table(title=f"Recruitment to have the staff in post by {when}")
        for column in ("role", "extra FTE", "lead time (days)", "start recruiting by", "note"):
            table.add_column(column, justify="left" if column in ("role", "note") else "right")
        for row in plan.to_dict("records"):
            if row["extra_fte"] > 0:
                note = f"LATE: earliest in post {row['earliest_in_post']}" if row["late"] else ""
                start = str(row["start_recruiting_by"])
            else:
                note = "no recruitment needed" if row["extra_fte"] == 0 else "surplus"
                start = "-"
            table.add_row(
                row["title"],
                f"{row['extra_fte']:+g}",
                f"{row['recruitment_lead_time_days']:g}",
                start,
                note,
            )
        out.print(table)

    for note in result.notes:
        out.print(f"Note: {note}", highlight=False)
    out.print(result.message, highlight=False)


# --------------------------------------------------------------------------- workforce (#18)


def _pipeline(scenario: Scenario, result, when: dt.date | None) -> pd.DataFrame | None:
    if when is None or result.workforce is None:
        return None
    from planning.staffing.establishment import pipeline_plan

    return pipeline_plan(
        scenario, result.roles, result.current, result.recommended, result.workforce, when
    )


def _write_workforce(out_dir: Path, result, pipeline: pd.DataFrame | None) -> list[Path]:
    """establishment.csv (and pipeline.csv with --by) when a role has turnover."""
    from planning.staffing.charts import write_csv

    written = []
    if result.workforce is not None:
        written.append(write_csv(result.workforce, out_dir / "establishment.csv"))
    if pipeline is not None:
        written.append(write_csv(pipeline, out_dir / "pipeline.csv"))
    return written


def _print_workforce(out, result, pipeline: pd.DataFrame | None) -> None:
    """Posts funded beside the FTE in post they give, today and recommended (turnover only)."""
    if result.workforce is None:
        return
    table = Table(
        title="Establishment (posts funded) and FTE in post, with turnover "
        f"({result.confirmation_replications} replications, {result.confidence:.0%} CI)"
    )
    for column in (
        "role",
        "posts now",
        "FTE in post now",
        "posts recommended",
        "FTE in post",
        "effective FTE",
        "vacancy",
        "leavers a year",
    ):
        table.add_column(column, justify="left" if column == "role" else "right")
    for row in result.workforce.to_dict("records"):
        table.add_row(
            row["title"],
            f"{row['posts_current']:g}",
            _pm(
                row["fte_in_post_mean_current"],
                row["fte_in_post_mean_current_ci_low"],
                row["fte_in_post_mean_current_ci_high"],
            ),
            f"{row['posts_recommended']:g}",
            _pm(
                row["fte_in_post_mean_recommended"],
                row["fte_in_post_mean_recommended_ci_low"],
                row["fte_in_post_mean_recommended_ci_high"],
            ),
            _pm(
                row["fte_effective_mean_recommended"],
                row["fte_effective_mean_recommended_ci_low"],
                row["fte_effective_mean_recommended_ci_high"],
            ),
            f"{_fmt(100 * row['vacancy_share_recommended'], 0)}%",
            _pm(
                row["leavers_per_year_recommended"],
                row["leavers_per_year_recommended_ci_low"],
                row["leavers_per_year_recommended_ci_high"],
            ),
        )
    out.print(table)
    if pipeline is None:
        return
    table = Table(title="Recruitment pipeline with turnover")
    for column in (
        "role",
        "extra posts",
        "start recruiting by",
        "for full capacity by",
        "replacements a year",
        "vacancy per leaver (days)",
    ):
        table.add_column(column, justify="left" if column == "role" else "right")
    for row in pipeline.to_dict("records"):
        table.add_row(
            row["title"],
            f"{row['extra_posts']:+g}",
            str(row["start_recruiting_by"] or "-") + (" (LATE)" if row["late"] else ""),
            str(row["start_for_full_capacity_by"] or "-"),
            _fmt(row["replacements_per_year"], 1),
            _fmt(row["replacement_lead_time_days"], 0),
        )
    out.print(table)


def _verdict(row: pd.Series) -> str:
    if row["met_with_confidence"]:
        return "met"
    return "met (not confidently)" if row["met"] else "MISSED"
