"""``acusim verify`` (the verification table, as text or an HTML page) and ``acusim diagram``.

Both are for reviewers: ``verify`` shows the engine reproducing known answers,
``diagram`` draws the model a scenario describes, straight from the file.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from acusim.console import EXIT_FAILED, err, fail, load, out
from acusim.options import WorkersOption
from model.replications import default_workers
from verification.checks import (
    DEFAULT_FAMILY_CONFIDENCE,
    DEFAULT_SEED,
    GROUPS,
    INTERVAL_CONFIDENCE,
    Check,
    VerifyReport,
    VerifySettings,
    run_checks,
    settings_for,
)
from verification.diagram import markdown_block, mermaid_flowchart

DEFAULT_BASELINE = Path("scenarios/baseline.yaml")


def fmt(value: float) -> str:
    """Four significant figures, thousands separated; '-' for a figure that does not exist."""
    if value is None or math.isnan(value):
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if value == 0:
        return "0"
    return f"{value:.4g}"


def interval(low: float, high: float) -> str:
    if math.isnan(low) or math.isnan(high):
        return "-"
    return f"{fmt(low)} to {fmt(high)}"


def describe_settings(settings: VerifySettings) -> str:
    """The run settings in one sentence, for the table's caption and the HTML page."""
    repro = (
        "its own horizon"
        if settings.reproducibility_horizon_years is None
        else f"{settings.reproducibility_horizon_years:g} year(s)"
    )
    return (
        f"{settings.mode} mode, seed {settings.seed}: queueing checks {settings.queue_replications}"
        f" replications of {settings.queue_horizon_years:g} years after a "
        f"{settings.queue_warmup_days:g}-day warm-up; baseline checks "
        f"{settings.baseline_replications} replications of the scenario's horizon; "
        f"reproducibility {settings.reproducibility_replications} replications of {repro}."
    )


def rule_note(report: VerifyReport) -> str:
    return (
        f"Intervals are two-sided {INTERVAL_CONFIDENCE:.0%} Student-t intervals across "
        f"replications. A statistical check passes when the known value lies inside its "
        f"pass band: the interval at {report.per_check_confidence():.2%}, so that all "
        f"{report.statistical_count} statistical checks pass together with probability at "
        f"least {report.settings.family_confidence:.0%} when the engine is right (Bonferroni). "
        "An exact check passes when every replication agrees to floating-point rounding."
    )


def verdict(report: VerifyReport) -> str:
    if report.passed:
        return f"All {len(report.checks)} checks passed."
    failed = ", ".join(c.check_id for c in report.failures)
    return f"{len(report.failures)} of {len(report.checks)} checks FAILED: {failed}."


def band(check: Check) -> str:
    """The pass band: an interval for statistical checks; exact checks allow rounding only."""
    return "exact" if check.kind == "exact" else interval(check.band_low, check.band_high)


def render_table(report: VerifyReport) -> Table:
    table = Table(
        title=f"acusim verify ({report.settings.mode}): the engine against known answers",
        caption=describe_settings(report.settings),
    )
    for column, justify in (
        ("check", "left"),
        ("expected", "right"),
        ("estimate", "right"),
        (f"{INTERVAL_CONFIDENCE:.0%} CI", "right"),
        ("n", "right"),
        ("pass band", "right"),
        ("result", "left"),
    ):
        table.add_column(column, justify=justify)
    for i, check in enumerate(report.checks):
        last_of_group = i + 1 == len(report.checks) or report.checks[i + 1].group != check.group
        table.add_row(
            f"{check.title} [dim]({check.unit})[/dim]",
            fmt(check.expected),
            fmt(check.estimate.mean),
            interval(check.estimate.ci_low, check.estimate.ci_high),
            str(check.estimate.n),
            band(check),
            "[green]pass[/green]" if check.passed else "[bold red]FAIL[/bold red]",
            end_section=last_of_group,
        )
    return table


def _html_row(check: Check) -> str:
    cells = [
        f"<td>{html.escape(check.title)}<br><small>{html.escape(check.basis)}<br>"
        f"pass rule: {html.escape(check.rule)}</small></td>",
        f"<td>{html.escape(check.unit)}</td>",
        f"<td class=num>{fmt(check.expected)}</td>",
        f"<td class=num>{fmt(check.estimate.mean)}</td>",
        f"<td class=num>{html.escape(interval(check.estimate.ci_low, check.estimate.ci_high))}"
        "</td>",
        f"<td class=num>{check.estimate.n}</td>",
        f"<td class=num>{html.escape(band(check))}</td>",
        f"<td class={'pass' if check.passed else 'fail'}>{'pass' if check.passed else 'FAIL'}</td>",
    ]
    return "<tr>" + "".join(cells) + "</tr>"


def render_html(report: VerifyReport, when: dt.datetime | None = None) -> str:
    """The same table as a self-contained HTML page (no scripts, nothing fetched)."""
    from model.results import package_version  # pandas: only when a page is written

    when = when or dt.datetime.now(dt.UTC)
    rows = []
    for group, (title, _) in GROUPS.items():
        checks = [c for c in report.checks if c.group == group]
        if checks:
            rows.append(f"<tr class=group><th colspan=8>{html.escape(title)}</th></tr>")
            rows.extend(_html_row(c) for c in checks)
    status = "pass" if report.passed else "fail"
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>acusim verify: {html.escape(verdict(report))}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #222; }}
table {{ border-collapse: collapse; }}
th, td {{ border: 1px solid #ccc; padding: 0.3rem 0.5rem; vertical-align: top; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }}
tr.group th {{ background: #eee; text-align: left; }}
td.pass {{ color: #176117; font-weight: bold; }}
td.fail {{ color: #b00000; font-weight: bold; }}
p.pass {{ color: #176117; }} p.fail {{ color: #b00000; }}
small {{ color: #555; }}
</style>
</head>
<body>
<h1>acusim verify: the engine against known answers</h1>
<p class={status}><strong>{html.escape(verdict(report))}</strong></p>
<p>acusim {html.escape(package_version())}; baseline scenario
'{html.escape(report.baseline_name)}'; run {when:%Y-%m-%d %H:%M} UTC in
{report.seconds:.0f} s. {html.escape(describe_settings(report.settings))}</p>
<table>
<thead><tr><th>check</th><th>unit</th><th>expected</th><th>estimate</th>
<th>{INTERVAL_CONFIDENCE:.0%} CI</th><th>n</th><th>pass band</th><th>result</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
<p>{html.escape(rule_note(report))}</p>
<p>Each check's method is described in docs/model.md (Verification and validation).</p>
</body>
</html>
"""


def register(app: typer.Typer) -> None:
    """Add ``verify`` and ``diagram`` to ``app``."""

    @app.command()
    def verify(
        full: Annotated[
            bool, typer.Option("--full", help="Long horizons and more replications (minutes).")
        ] = False,
        out_file: Annotated[
            Path | None, typer.Option("--out", help="Also write the table as an HTML page.")
        ] = None,
        scenario_file: Annotated[
            Path,
            typer.Option("--scenario", help="Scenario for Little's law, conservation, arrivals."),
        ] = DEFAULT_BASELINE,
        only: Annotated[
            list[str] | None,
            typer.Option(help=f"Run only this group (repeatable): {', '.join(GROUPS)}."),
        ] = None,
        seed: Annotated[int, typer.Option(min=0, help="Seed of the verification runs.")] = (
            DEFAULT_SEED
        ),
        confidence: Annotated[
            float,
            typer.Option(
                min=0.5,
                max=0.999,
                help="Probability that a correct engine passes all statistical checks at once.",
            ),
        ] = DEFAULT_FAMILY_CONFIDENCE,
        workers: WorkersOption = default_workers(),
    ) -> None:
        """Check the engine against queueing theory and identities; exit 1 if any check fails."""
        unknown = [g for g in only or [] if g not in GROUPS]
        if unknown:
            fail(
                [
                    f"--only: unknown check group '{g}' (choose from {', '.join(GROUPS)})"
                    for g in unknown
                ]
            )
        baseline = load(scenario_file)
        settings = settings_for(full, seed=seed, workers=workers, family_confidence=confidence)
        report = run_checks(
            baseline,
            settings,
            groups=only,
            progress=lambda title: err.print(f"verify: {title}", highlight=False),
        )
        out.print(render_table(report))
        out.print(rule_note(report), highlight=False)
        out.print(
            f"[bold green]{verdict(report)}[/bold green]"
            if report.passed
            else f"[bold red]{verdict(report)}[/bold red]",
            highlight=False,
        )
        if out_file is not None:
            try:
                out_file.parent.mkdir(parents=True, exist_ok=True)
                out_file.write_text(render_html(report), encoding="utf-8")
            except OSError as exc:
                fail([f"{out_file}: cannot write the report ({exc.strerror or exc})"], EXIT_FAILED)
            err.print(f"Wrote {out_file}", highlight=False)
        if not report.passed:
            raise typer.Exit(EXIT_FAILED)

    @app.command()
    def diagram(
        scenario_file: Annotated[
            Path, typer.Argument(help="Scenario YAML file.", show_default=False)
        ],
        out_file: Annotated[
            Path | None, typer.Option("--out", help="Write to this file instead of stdout.")
        ] = None,
        markdown: Annotated[
            bool, typer.Option("--markdown", help="Fence the diagram for a Markdown page.")
        ] = False,
    ) -> None:
        """Print the scenario's flowchart (sources, stages, roles, routes) as Mermaid."""
        scenario = load(scenario_file)
        text = markdown_block(scenario) if markdown else mermaid_flowchart(scenario)
        if out_file is None:
            sys.stdout.write(text)
            return
        try:
            out_file.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail([f"{out_file}: cannot write the diagram ({exc.strerror or exc})"], EXIT_FAILED)
        err.print(f"Wrote {out_file}", highlight=False)
