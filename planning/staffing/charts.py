"""Charts and files for the staffing and demand answers (``--out DIR``).

Charts are plotly HTML pages with the plotly library embedded in the page,
so they open offline (the product sends nothing anywhere and fetches nothing:
no CDN). Tables are CSV; the staffing answer is also one JSON document
(``StaffingResult.to_dict``). Files are written to a temporary name and
renamed, so a reader never sees half a file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from model.files import write_atomic
from planning.staffing.result import StaffingResult, json_records

MET_COLOUR = "#1b7837"
MISSED_COLOUR = "#b2182b"
NOW_COLOUR = "#969696"
RECOMMENDED_COLOUR = "#2166ac"


def tradeoff_figure(result: StaffingResult) -> go.Figure:
    """Each target against the FTE of the binding role: estimate, CI and threshold."""
    frame = result.tradeoff
    targets = list(dict.fromkeys(frame["target"]))
    role = result.tradeoff_role or ""
    fig = make_subplots(
        rows=max(len(targets), 1),
        cols=1,
        shared_xaxes=True,
        subplot_titles=[
            frame.loc[frame["target"] == t, "description"].iloc[0] or t for t in targets
        ],
        vertical_spacing=0.08 if len(targets) > 1 else 0.1,
    )
    for i, target in enumerate(targets, start=1):
        rows = frame[frame["target"] == target].sort_values("fte")
        colours = [MET_COLOUR if m else MISSED_COLOUR for m in rows["met_with_confidence"]]
        fig.add_trace(
            go.Scatter(
                x=rows["fte"],
                y=rows["mean"],
                mode="lines+markers",
                name=target,
                marker={"color": colours, "size": 9},
                line={"color": "#444444"},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": rows["ci_high"] - rows["mean"],
                    "arrayminus": rows["mean"] - rows["ci_low"],
                },
                hovertemplate=f"{role} %{{x:g}} FTE<br>{target}: %{{y:.3f}}<extra></extra>",
                showlegend=False,
            ),
            row=i,
            col=1,
        )
        threshold = float(rows["threshold"].iloc[0])
        direction = rows["direction"].iloc[0]
        fig.add_hline(
            y=threshold,
            line={"dash": "dash", "color": MISSED_COLOUR},
            annotation_text=f"target {direction} {threshold:g}",
            row=i,
            col=1,
        )
        if role in result.recommended:
            fig.add_vline(
                x=result.recommended[role],
                line={"dash": "dot", "color": RECOMMENDED_COLOUR},
                row=i,
                col=1,
            )
    fig.update_xaxes(title_text=f"{role} FTE (others at the recommendation)", row=len(targets))
    fig.update_layout(
        title=(
            f"{result.scenario_name}: targets against {role} FTE "
            f"(means and {result.confidence:.0%} CIs, {result.confirmation_replications} "
            f"replications each; green = met with confidence; dotted = recommended)"
        ),
        height=260 * max(len(targets), 1) + 120,
        template="plotly_white",
    )
    return fig


def staffing_figure(result: StaffingResult) -> go.Figure:
    """FTE and yearly cost by role, today against the recommendation."""
    table = result.recommendation_table()
    fig = make_subplots(rows=1, cols=2, subplot_titles=["FTE by role", "Cost a year (GBP)"])
    for column, name, colour in (
        ("current", "today", NOW_COLOUR),
        ("recommended", "recommended", RECOMMENDED_COLOUR),
    ):
        fig.add_trace(
            go.Bar(x=table["title"], y=table[f"{column}_fte"], name=name, marker_color=colour),
            row=1,
            col=1,
        )
        fig.add_trace(
            go.Bar(
                x=table["title"],
                y=table[f"cost_{column}_gbp"],
                name=name,
                marker_color=colour,
                showlegend=False,
            ),
            row=1,
            col=2,
        )
    fig.update_layout(
        barmode="group",
        title=(
            f"{result.scenario_name}: GBP {result.cost_current:,.0f} a year today, "
            f"GBP {result.cost_recommended:,.0f} recommended"
        ),
        template="plotly_white",
    )
    return fig


def demand_figure(table: pd.DataFrame, scenario_name: str) -> go.Figure:
    """Staff-hours a year by role, stacked by referral source (from ``demand_table``)."""
    fig = go.Figure()
    for source, rows in table.groupby("source", sort=False):
        if (rows["mean"] <= 0).all():
            continue
        fig.add_trace(
            go.Bar(
                x=rows["role_title"],
                y=rows["mean"],
                name=rows["source_title"].iloc[0],
                customdata=rows[["ci_low", "ci_high", "fte"]],
                hovertemplate=(
                    f"{source}: %{{y:,.0f}} h a year (CI %{{customdata[0]:,.0f}} to "
                    "%{customdata[1]:,.0f}); %{customdata[2]:.2f} FTE<extra></extra>"
                ),
            )
        )
    fig.update_layout(
        barmode="stack",
        title=f"{scenario_name}: staff-hours a year by role and source (means)",
        yaxis_title="staff-hours a year",
        template="plotly_white",
    )
    return fig


def difference_figure(table: pd.DataFrame, base_name: str, other_name: str) -> go.Figure:
    """Change in staff-hours a year by role (``compare_demand`` totals) with paired CIs."""
    totals = table[table["source"] == "all"]
    fig = go.Figure(
        go.Bar(
            x=totals["role_title"],
            y=totals["difference"],
            error_y={
                "type": "data",
                "symmetric": False,
                "array": totals["ci_high"] - totals["difference"],
                "arrayminus": totals["difference"] - totals["ci_low"],
            },
            marker_color=RECOMMENDED_COLOUR,
        )
    )
    fig.update_layout(
        title=f"Staff-hours a year: {other_name} minus {base_name} (paired 95% CIs)",
        yaxis_title="difference in staff-hours a year",
        template="plotly_white",
    )
    return fig


def write_html(fig: go.Figure, path: Path) -> Path:
    """A standalone page with plotly embedded (works offline)."""
    write_atomic(path, fig.to_html(include_plotlyjs=True, full_html=True))
    return path


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    write_atomic(path, frame.to_csv(index=False))
    return path


def write_staffing_outputs(
    result: StaffingResult,
    out_dir: str | Path,
    recruitment: pd.DataFrame | None = None,
    failures: pd.DataFrame | None = None,
) -> list[Path]:
    """recommendation.json and .csv, targets, trade-off, analytic estimate, precision and
    (with ``--by``) recruitment and first-failure tables as CSV, and two HTML charts."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    document = result.to_dict()
    targets = pd.concat(
        [
            result.targets_current.assign(staffing="current"),
            result.targets_recommended.assign(staffing="recommended"),
        ],
        ignore_index=True,
    )
    written = [
        write_csv(result.recommendation_table(), out / "recommendation.csv"),
        write_csv(targets, out / "targets.csv"),
        write_csv(result.tradeoff, out / "tradeoff.csv"),
        write_csv(result.analytic, out / "analytic.csv"),
        write_csv(result.precision_table, out / "precision.csv"),
        write_csv(result.step_down, out / "step_down.csv"),
    ]
    if recruitment is not None:
        written.append(write_csv(recruitment, out / "recruitment.csv"))
        document["recruitment"] = json_records(recruitment)
    if failures is not None:
        written.append(write_csv(failures, out / "first_failures.csv"))
        document["first_failures"] = json_records(failures)
    write_atomic(out / "recommendation.json", json.dumps(document, indent=2) + "\n")
    written.append(out / "recommendation.json")
    written.append(write_html(tradeoff_figure(result), out / "tradeoff.html"))
    written.append(write_html(staffing_figure(result), out / "staffing.html"))
    return written
