"""``acusim sweep`` (run a batch of scenario variants) and ``acusim report`` (summarise one).

The commands only gather options and print: loading and checking the sweep file is
``planning.sweeps.design``, running it ``planning.sweeps.run``, storing
``planning.sweeps.store`` and the report ``planning.sweeps.report``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from acusim.console import EXIT_FAILED, err, fail, out
from model.replications import DEFAULT_CONFIDENCE, default_workers
from model.scenario import ScenarioError

if TYPE_CHECKING:  # scipy, pandas, duckdb, pyarrow, plotly, dask: loaded inside the commands
    from planning.sweeps.design import Sweep
    from planning.sweeps.run import Backend, SweepOutcome

DEFAULT_HEATMAP_KPI = "pcc_investigations_over_share"
"""The default of `acusim report --heatmap-kpi`: planning.sweeps.report.DEFAULT_HEATMAP_KPI,
written out so the CLI starts without importing plotly (tests/e2e/test_startup.py: they agree)."""

DEFAULT_RESULTS_ROOT = Path("results")
"""Where `acusim sweep` stores results without --out: results/<sweep file name>/."""

DEFAULT_CONNECT_TIMEOUT = 30.0
"""Seconds to wait for a Dask scheduler to answer (Dask's own default connect timeout)."""

EXIT_INTERRUPTED = 130  # the shell's convention for a command stopped by Ctrl-C


def register(app: typer.Typer) -> None:
    """Add ``sweep`` and ``report`` to ``app``."""

    @app.command()
    def sweep(
        sweep_file: Annotated[
            Path, typer.Argument(help="Sweep YAML file (docs/sweeps.md).", show_default=False)
        ],
        out_dir: Annotated[
            Path | None,
            typer.Option(
                "--out",
                help="Results folder (default: results/<sweep file name>). Re-running into "
                "it runs only the runs still missing.",
            ),
        ] = None,
        workers: Annotated[
            int | None,
            typer.Option(min=1, help="Local worker processes (default: all cores)."),
        ] = None,
        scheduler: Annotated[
            str | None,
            typer.Option(
                help="Run on a Dask cluster instead, e.g. tcp://host:8786 (docs/sweeps.md)."
            ),
        ] = None,
        resume: Annotated[
            bool,
            typer.Option(
                "--resume", help="Finish an interrupted sweep (refused if --out holds none)."
            ),
        ] = False,
        chunk_size: Annotated[
            int | None,
            typer.Option(
                min=1,
                help="Replications per task (default: about 4 tasks per worker, at most one "
                "variant's replications).",
            ),
        ] = None,
        replications: Annotated[
            int | None,
            typer.Option("--replications", "-n", min=1, help="Override the sweep's replications."),
        ] = None,
        horizon_years: Annotated[
            float | None,
            typer.Option(min=0.02, help="Override every variant's horizon (years)."),
        ] = None,
        connect_timeout: Annotated[
            float, typer.Option(min=0.1, help="Seconds to wait for the Dask scheduler.")
        ] = DEFAULT_CONNECT_TIMEOUT,
    ) -> None:
        """Simulate every variant of a sweep, storing each run as it finishes."""
        from planning.sweeps.design import load_sweep
        from planning.sweeps.run import DaskBackend, LocalBackend, SweepError

        if scheduler is not None and workers is not None:
            fail(
                [
                    "--workers applies to local processes; a Dask cluster's workers are "
                    "started with `dask worker` (docs/sweeps.md)"
                ]
            )
        try:
            spec = load_sweep(sweep_file, replications, horizon_years)
        except ScenarioError as exc:
            fail(exc.lines)
        out_path = out_dir if out_dir is not None else DEFAULT_RESULTS_ROOT / sweep_file.stem
        backend = (
            DaskBackend(scheduler, connect_timeout)
            if scheduler is not None
            else LocalBackend(workers or default_workers())
        )
        try:
            with backend:  # connect first: an unreachable cluster leaves no folder behind
                outcome = _run(spec, out_path, backend, resume, chunk_size)
        except SweepError as exc:  # the cluster could not be reached
            fail(exc.lines, EXIT_FAILED)
        except KeyboardInterrupt:
            fail(["Interrupted before any run started"], EXIT_INTERRUPTED)
        rate = outcome.stored / outcome.seconds if outcome.seconds > 0 else math.nan
        session = (
            f" ({outcome.stored} this session in {outcome.seconds:.1f} s, {rate:.1f} runs/s)"
            if outcome.stored
            else " (nothing was missing)"
        )
        out.print(
            f"All {outcome.total_runs} runs of {spec.name} stored in {out_path}{session}. "
            f"Summarise with: acusim report {out_path}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )

    def _run(
        spec: Sweep, out_path: Path, backend: Backend, resume: bool, chunk_size: int | None
    ) -> SweepOutcome:
        """Open the store and run; every way it can end becomes a message and exit code."""
        from planning.sweeps.run import SweepError, SweepProgress, run_sweep
        from planning.sweeps.store import StoreError, SweepStore

        try:
            store = SweepStore.open(out_path, spec, resume=resume)
        except StoreError as exc:
            fail(exc.lines)
        session_runs = [0]

        def on_plan(already: int, pending: int, size: int) -> None:
            work = (
                f"{pending} to run in chunks of up to {size} on {backend.description}"
                if pending
                else "nothing to run"
            )
            err.print(
                f"{spec.name}: {len(spec.variants)} variants x {spec.replications} replications "
                f"= {spec.total_runs} runs; {already} already stored in {out_path}; {work}",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
            progress.start(already)

        def advance(runs: int) -> None:
            session_runs[0] += runs
            progress.advance(runs)

        failure: tuple[list[str], int] | None = None
        with store, SweepProgress(err, spec.name, spec.total_runs) as progress:
            try:
                outcome = run_sweep(spec, store, backend, chunk_size, advance, on_plan)
            except KeyboardInterrupt:
                failure = (
                    [
                        f"Interrupted: {progress.done} of {spec.total_runs} runs stored in "
                        f"{out_path} ({session_runs[0]} this session); run the same command "
                        "again (or with --resume) to finish"
                    ],
                    EXIT_INTERRUPTED,
                )
            except (SweepError, StoreError) as exc:
                failure = (
                    [
                        *exc.lines,
                        f"{progress.done} of {spec.total_runs} runs are stored in {out_path}; "
                        "re-run the same command to finish",
                    ],
                    EXIT_FAILED,
                )
        if failure is not None:
            fail(*failure)
        return outcome

    @app.command()
    def report(
        results_dir: Annotated[
            Path, typer.Argument(help="Results folder of `acusim sweep`.", show_default=False)
        ],
        html_file: Annotated[
            Path | None,
            typer.Option("--html", help="Report page to write (default: DIR/report.html)."),
        ] = None,
        kpis: Annotated[
            list[str] | None,
            typer.Option(
                "--kpi",
                help="KPI column of the table (repeat for several; default: the 12-month "
                "share, waits, backlog and utilisation).",
            ),
        ] = None,
        heatmap_kpi: Annotated[
            str, typer.Option(help="KPI of the heat map (or scatter, or bars).")
        ] = DEFAULT_HEATMAP_KPI,
        x: Annotated[
            str | None,
            typer.Option(help="Heat map x axis: an axis path or label (default: the first)."),
        ] = None,
        y: Annotated[
            str | None,
            typer.Option(help="Heat map y axis: an axis path or label (default: the second)."),
        ] = None,
        confidence: Annotated[
            float, typer.Option(min=0.5, max=0.999, help="Confidence level of the intervals.")
        ] = DEFAULT_CONFIDENCE,
    ) -> None:
        """Summarise a sweep: KPIs per variant with CIs, a heat map and targets met or missed."""
        from planning.sweeps.report import ReportError, build_report, write_report
        from planning.sweeps.store import StoreError

        try:
            summary = build_report(results_dir, confidence)
            columns = list(kpis) if kpis else summary.default_kpis()
            unknown = [k for k in columns if k not in set(summary.kpi_names())]
            if unknown:
                raise ReportError(
                    [
                        f"--kpi {k}: no such KPI in this sweep (see variant_kpis.csv)"
                        for k in unknown
                    ]
                )
            written = write_report(
                summary,
                html_file or results_dir / "report.html",
                columns,
                heatmap_kpi,
                x,
                y,
            )
        except (StoreError, ReportError) as exc:
            fail(exc.lines)
        except OSError as exc:
            fail(
                [f"{exc.filename or results_dir}: cannot write the report ({exc.strerror})"],
                EXIT_FAILED,
            )
        manifest = summary.manifest
        table = Table(
            title=f"{manifest['sweep']['name']}: KPIs per variant (mean ± "
            f"{confidence:.0%} CI half-width; n = replications)"
        )
        frame = summary.wide_table(columns)
        for column in frame.columns:
            table.add_column(
                column, justify="left" if column in ("variant", "settings") else "right"
            )
        for row in frame.itertuples(index=False):
            table.add_row(*(str(v) for v in row))
        # A file or a pipe has no width of its own: give the table the room it needs.
        needed = sum(max(len(str(c)), *(len(str(v)) for v in frame[c])) + 3 for c in frame.columns)
        target = out if out.is_terminal else Console(file=out.file, width=needed + 1)
        target.print(table)
        if summary.runs_stored < summary.runs_expected:
            err.print(
                f"Incomplete sweep: {summary.runs_stored} of {summary.runs_expected} runs stored; "
                "resume it with `acusim sweep ... --resume`",
                highlight=False,
                markup=False,
                soft_wrap=True,
            )
        err.print(
            f"Wrote {', '.join(str(p) for p in written)}",
            highlight=False,
            markup=False,
            soft_wrap=True,
        )
