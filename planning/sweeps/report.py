"""What a sweep found: KPIs per variant with confidence intervals, and charts.

Reads a results folder (``planning.sweeps.store``) and builds, for every variant, each KPI's
mean across replications with its t-interval and ``n``, and each service target met,
met but not confidently, or missed. Charts are plotly figures written into one HTML page
that embeds plotly.js, so the report opens offline (a PCC office without internet, an
e-mail attachment) and shows the same thing everywhere.

Charts:
* a heat map of one KPI (by default the share of investigations open beyond 12 months)
  across two axes of a grid, one panel per combination of the other axes (a scatter for
  a Latin hypercube; bars with CIs for named variants or a single axis);
* targets met or missed per variant.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from scipy import stats

from model.problems import Problems
from model.replications import DEFAULT_CONFIDENCE, estimate, meets, one_sided_bound
from model.scenario import Scenario, ScenarioError, scenario_from_mapping
from planning.sweeps.design import format_value
from planning.sweeps.store import StoredSweep, read_store

DEFAULT_HEATMAP_KPI = "pcc_investigations_over_share"

STATUS_MISSED, STATUS_MET, STATUS_CONFIDENT = 0, 1, 2
STATUS_TEXT = {
    STATUS_MISSED: "missed",
    STATUS_MET: "met (not confidently)",
    STATUS_CONFIDENT: "met",
}
STATUS_COLOURS = {STATUS_MISSED: "#c0392b", STATUS_MET: "#f0b429", STATUS_CONFIDENT: "#2e8b57"}


class ReportError(Problems):
    """A report that cannot be made as asked; ``lines`` holds one message per problem."""


def is_share(kpi: str) -> bool:
    """KPIs that are fractions, shown as percentages."""
    return kpi.startswith(("utilisation.", "target.")) or kpi.endswith("_share")


def format_estimate(kpi: str, mean: float, half_width: float, digits: int = 1) -> str:
    """'12.3% ± 1.1' or '45.6 ± 3.2' ('-' where there is no figure)."""
    if mean is None or math.isnan(mean):
        return "-"
    scale, unit = (100.0, "%") if is_share(kpi) else (1.0, "")
    text = f"{mean * scale:,.{digits}f}{unit}"
    if half_width is not None and not math.isnan(half_width):
        text += f" ± {half_width * scale:,.{digits}f}"
    return text


def kpi_estimates(wide: pd.DataFrame, confidence: float = DEFAULT_CONFIDENCE) -> pd.DataFrame:
    """Mean, t-interval and n of every KPI of every variant at once.

    The same figures as :func:`model.replications.estimate` per (variant, KPI) (the tests
    check it), computed by group so a sweep of thousands of variants reports in seconds.
    Non-finite values are left out and ``n`` counts what remains."""
    finite = wide.replace([np.inf, -np.inf], np.nan)
    groups = finite.groupby(level="variant_id", sort=False)
    mean = groups.mean()
    std = groups.std(ddof=1)
    n = groups.count()
    t_crit = stats.t.ppf((1 + confidence) / 2, np.maximum(n.to_numpy() - 1, 1))
    half = np.where(n.to_numpy() > 1, t_crit * std.to_numpy() / np.sqrt(np.maximum(n, 1)), np.nan)
    half = pd.DataFrame(half, index=mean.index, columns=mean.columns)
    frame = pd.concat(
        {
            "mean": mean.stack(future_stack=True),
            "half_width": half.stack(future_stack=True),
            "n": n.stack(future_stack=True),
        },
        axis=1,
    )
    frame.index = frame.index.set_names(["variant_id", "kpi"])
    frame["mean"] = frame["mean"].where(frame["n"] > 0)
    frame["ci_low"] = frame["mean"] - frame["half_width"]
    frame["ci_high"] = frame["mean"] + frame["half_width"]
    frame["n"] = frame["n"].astype(int)
    return frame[["mean", "ci_low", "ci_high", "half_width", "n"]].reset_index()


@dataclass(frozen=True)
class SweepReport:
    """Everything the report shows, as tables."""

    stored: StoredSweep
    confidence: float
    variants: pd.DataFrame  # variant_id, label, runs, one column per axis label
    estimates: pd.DataFrame  # variant_id, kpi, mean, ci_low, ci_high, half_width, n
    targets: pd.DataFrame  # variant_id, target, description, ..., status
    scenarios: dict[str, Scenario]

    @property
    def manifest(self) -> dict[str, Any]:
        return self.stored.manifest

    @property
    def axes(self) -> list[dict[str, Any]]:
        return list(self.manifest["sweep"]["axes"])

    @property
    def runs_expected(self) -> int:
        return int(self.manifest["sweep"]["runs"])

    @property
    def runs_stored(self) -> int:
        return len(self.stored.runs)

    def kpi_names(self) -> list[str]:
        return sorted(self.estimates["kpi"].unique())

    def default_kpis(self) -> list[str]:
        """The figures a planner asks for first: the 12-month share, waits, backlog, and
        the utilisation of every role."""
        scenario = next(iter(self.scenarios.values()))
        names = []
        if scenario.reporting.investigation_stage:
            names += [
                "pcc_investigations_over_share",
                f"wait_mean_days.{scenario.reporting.investigation_stage}",
            ]
        if scenario.reporting.first_action_stage:
            names.append("first_action_mean_days")
        names.append("backlog_end_total")
        names += [f"utilisation.{role}" for role in scenario.roles]
        available = set(self.kpi_names())
        return [name for name in names if name in available]

    def wide_table(self, kpis: list[str]) -> pd.DataFrame:
        """One row a variant: axes, runs, each KPI as 'mean ± half-width', targets met."""
        rows = []
        indexed = self.estimates.set_index(["variant_id", "kpi"])
        for variant in self.variants.itertuples(index=False):
            row: dict[str, Any] = {"variant": variant.variant_id, "settings": variant.label}
            row["n"] = variant.runs
            for kpi in kpis:
                est = indexed.loc[(variant.variant_id, kpi)]
                text = format_estimate(kpi, est["mean"], est["half_width"])
                if est["n"] != variant.runs and text != "-":
                    text += f" (n={est['n']})"
                row[kpi] = text
            targets = self.targets[self.targets.variant_id == variant.variant_id]
            if len(targets):
                met = int((targets.status >= STATUS_MET).sum())
                sure = int((targets.status == STATUS_CONFIDENT).sum())
                row["targets met"] = f"{met}/{len(targets)} ({sure} confidently)"
            rows.append(row)
        return pd.DataFrame(rows)


def _target_rows(
    variant_id: str, scenario: Scenario, runs: pd.DataFrame, confidence: float
) -> list[dict[str, Any]]:
    rows = []
    for name, target in scenario.targets.items():
        column = f"target.{name}"
        values = runs[column] if column in runs else pd.Series(dtype=float)
        est = estimate(values, confidence)
        bound = one_sided_bound(values, target.direction, confidence)
        if meets(bound, target.direction, target.threshold):
            status = STATUS_CONFIDENT
        elif meets(est.mean, target.direction, target.threshold):
            status = STATUS_MET
        else:
            status = STATUS_MISSED
        rows.append(
            {
                "variant_id": variant_id,
                "target": name,
                "description": target.description or name,
                "direction": target.direction,
                "threshold": target.threshold,
                "mean": est.mean,
                "ci_low": est.ci_low,
                "ci_high": est.ci_high,
                "half_width": est.half_width,
                "n": est.n,
                "status": status,
                "verdict": STATUS_TEXT[status],
            }
        )
    return rows


def build_report(out: str | Path, confidence: float = DEFAULT_CONFIDENCE) -> SweepReport:
    """Read a results folder and compute every figure the report shows."""
    stored = read_store(out)
    if stored.runs.empty:
        raise ReportError([f"{stored.out}: no runs stored yet; nothing to report"])
    wide = stored.kpi_wide()
    axes = stored.manifest["sweep"]["axes"]
    scenarios: dict[str, Scenario] = {}
    variant_rows = []
    counts = stored.runs.groupby("variant_id").size()
    for row in stored.variants.itertuples(index=False):
        settings = json.loads(row.settings_json)
        try:
            scenarios[row.variant_id] = scenario_from_mapping(
                json.loads(row.scenario_json), f"{stored.out}: variant {row.variant_id}"
            )
        except ScenarioError as exc:  # stored by a version whose scenarios this one refuses
            raise ReportError(
                [f"{exc.lines[0]} (stored by acusim {stored.manifest.get('package_version')})"]
            ) from None
        record = {
            "variant_id": row.variant_id,
            "label": row.label,
            "runs": int(counts.get(row.variant_id, 0)),
        }
        for axis in axes:
            record[axis["label"]] = settings.get(axis["path"])
        variant_rows.append(record)
    variants = pd.DataFrame(variant_rows)
    variants = variants[variants.runs > 0].reset_index(drop=True)
    order = {vid: i for i, vid in enumerate(variants.variant_id)}
    estimates = kpi_estimates(wide, confidence)
    estimates = estimates.sort_values(
        ["variant_id", "kpi"], key=lambda s: s.map(order) if s.name == "variant_id" else s
    ).reset_index(drop=True)
    target_rows = []
    for variant_id in variants.variant_id:
        target_rows += _target_rows(
            variant_id, scenarios[variant_id], wide.loc[variant_id], confidence
        )
    targets = pd.DataFrame(
        target_rows,
        columns=[
            "variant_id",
            "target",
            "description",
            "direction",
            "threshold",
            "mean",
            "ci_low",
            "ci_high",
            "half_width",
            "n",
            "status",
            "verdict",
        ],
    )
    return SweepReport(stored, confidence, variants, estimates, targets, scenarios)


# --------------------------------------------------------------------------- charts


def _axis(report: SweepReport, name: str | None, default: int) -> dict[str, Any] | None:
    axes = report.axes
    if name is None:
        return axes[default] if len(axes) > default else None
    for axis in axes:
        if name in (axis["path"], axis["label"]):
            return axis
    known = ", ".join(a["label"] for a in axes) or "none"
    raise ReportError([f"{name}: not an axis of this sweep (axes: {known})"])


def _scaled(kpi: str, values: Any) -> Any:
    return np.asarray(values, dtype=float) * (100.0 if is_share(kpi) else 1.0)


def _kpi_title(kpi: str) -> str:
    return f"{kpi} (%)" if is_share(kpi) else kpi


def kpi_chart(
    report: SweepReport, kpi: str, x: str | None = None, y: str | None = None
) -> go.Figure:
    """The KPI across the design: heat map(s) for a grid of two axes or more, a scatter
    for a Latin hypercube, bars with CIs otherwise."""
    if kpi not in set(report.kpi_names()):
        raise ReportError([f"{kpi}: no such KPI in this sweep (see variant_kpis.csv)"])
    kind = report.manifest["sweep"]["design"]
    x_axis, y_axis = _axis(report, x, 0), _axis(report, y, 1)
    if x_axis is not None and y_axis is not None and x_axis["path"] == y_axis["path"]:
        raise ReportError([f"--x and --y name the same axis ({x_axis['label']})"])
    if kind == "grid" and x_axis is not None and y_axis is not None:
        return _heatmaps(report, kpi, x_axis, y_axis)
    if kind == "latin_hypercube" and x_axis is not None and y_axis is not None:
        return _scatter(report, kpi, x_axis, y_axis)
    return _bars(report, kpi)


def _cells(report: SweepReport, kpi: str) -> pd.DataFrame:
    est = report.estimates[report.estimates.kpi == kpi].set_index("variant_id")
    cells = report.variants.set_index("variant_id").join(est, how="inner")
    return cells.reset_index()


def _hover(kpi: str, row: dict[str, Any], confidence: float) -> str:
    ci = (
        "-"
        if math.isnan(row["ci_low"])
        else f"{format_estimate(kpi, row['ci_low'], math.nan, 2)} to "
        f"{format_estimate(kpi, row['ci_high'], math.nan, 2)}"
    )
    return (
        f"{html.escape(row['variant_id'])}: {html.escape(row['label'])}<br>"
        f"{html.escape(kpi)}: {format_estimate(kpi, row['mean'], math.nan, 2)}<br>"
        f"{confidence:.0%} CI: {ci} (n={row['n']})"
    )


def _heatmaps(report: SweepReport, kpi: str, x_axis: dict, y_axis: dict) -> go.Figure:
    others = [a for a in report.axes if a["path"] not in (x_axis["path"], y_axis["path"])]
    cells = _cells(report, kpi)
    facet_keys = [
        ", ".join(f"{a['label']}={format_value(row[a['label']])}" for a in others)
        for row in cells.to_dict("records")
    ]
    cells = cells.assign(facet=facet_keys)
    facets = list(dict.fromkeys(facet_keys))
    columns = min(3, len(facets))
    rows = math.ceil(len(facets) / columns)
    fig = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=facets if others else None,
        horizontal_spacing=0.08,
        vertical_spacing=0.15 if rows > 1 else 0.1,
    )
    values = _scaled(kpi, cells["mean"])
    finite = values[np.isfinite(values)]
    zmin, zmax = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    x_ticks = [format_value(v) for v in x_axis["values"]]
    y_ticks = [format_value(v) for v in y_axis["values"]]
    for i, facet in enumerate(facets):
        z = np.full((len(y_ticks), len(x_ticks)), np.nan)
        text = [["" for _ in x_ticks] for _ in y_ticks]
        hover = [["" for _ in x_ticks] for _ in y_ticks]
        for row in cells[cells.facet == facet].to_dict("records"):
            xi = x_ticks.index(format_value(row[x_axis["label"]]))
            yi = y_ticks.index(format_value(row[y_axis["label"]]))
            z[yi, xi] = _scaled(kpi, row["mean"])
            text[yi][xi] = format_estimate(kpi, row["mean"], row["half_width"])
            hover[yi][xi] = _hover(kpi, row, report.confidence)
        fig.add_trace(
            go.Heatmap(
                z=z,
                x=x_ticks,
                y=y_ticks,
                text=text,
                texttemplate="%{text}",
                customdata=hover,
                hovertemplate="%{customdata}<extra></extra>",
                zmin=zmin,
                zmax=zmax,
                coloraxis="coloraxis",
            ),
            row=i // columns + 1,
            col=i % columns + 1,
        )
        fig.update_xaxes(
            title_text=x_axis["label"], type="category", row=i // columns + 1, col=i % columns + 1
        )
        fig.update_yaxes(
            title_text=y_axis["label"], type="category", row=i // columns + 1, col=i % columns + 1
        )
    fig.update_layout(
        title=f"{_kpi_title(kpi)}: mean ± {report.confidence:.0%} CI half-width by "
        f"{x_axis['label']} and {y_axis['label']}",
        coloraxis={"colorscale": "YlOrRd", "colorbar": {"title": {"text": _kpi_title(kpi)}}},
        height=max(420, 360 * rows),
    )
    return fig


def _scatter(report: SweepReport, kpi: str, x_axis: dict, y_axis: dict) -> go.Figure:
    cells = _cells(report, kpi)
    fig = go.Figure(
        go.Scatter(
            x=cells[x_axis["label"]],
            y=cells[y_axis["label"]],
            mode="markers",
            marker={
                "size": 14,
                "color": _scaled(kpi, cells["mean"]),
                "colorscale": "YlOrRd",
                "colorbar": {"title": {"text": _kpi_title(kpi)}},
                "line": {"width": 1, "color": "#333"},
            },
            customdata=[_hover(kpi, row, report.confidence) for row in cells.to_dict("records")],
            hovertemplate="%{customdata}<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"{_kpi_title(kpi)} over the Latin hypercube (hover for CI and n)",
        xaxis_title=x_axis["label"],
        yaxis_title=y_axis["label"],
        height=480,
    )
    return fig


def _bars(report: SweepReport, kpi: str) -> go.Figure:
    cells = _cells(report, kpi)
    mean = _scaled(kpi, cells["mean"])
    half = _scaled(kpi, cells["half_width"].fillna(0))
    fig = go.Figure(
        go.Bar(
            x=cells["label"],
            y=mean,
            error_y={"type": "data", "array": half, "visible": True},
            customdata=[_hover(kpi, row, report.confidence) for row in cells.to_dict("records")],
            hovertemplate="%{customdata}<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"{_kpi_title(kpi)} per variant (bars: {report.confidence:.0%} CI)",
        yaxis_title=_kpi_title(kpi),
        height=460,
    )
    return fig


def targets_chart(report: SweepReport) -> go.Figure | None:
    """Variants x targets: met with confidence, met (mean only) or missed."""
    targets = report.targets
    if targets.empty:
        return None
    names = list(dict.fromkeys(targets.target))
    titles = [targets[targets.target == n].description.iloc[0] for n in names]
    variant_ids = list(report.variants.variant_id)
    labels = [f"{vid}: {lab}" for vid, lab in zip(variant_ids, report.variants.label, strict=True)]
    z = np.full((len(variant_ids), len(names)), np.nan)
    text = [["" for _ in names] for _ in variant_ids]
    hover = [["" for _ in names] for _ in variant_ids]
    for row in targets.itertuples(index=False):
        vi, ti = variant_ids.index(row.variant_id), names.index(row.target)
        z[vi, ti] = row.status
        kpi = f"target.{row.target}"
        text[vi][ti] = f"{row.verdict}<br>{format_estimate(kpi, row.mean, row.half_width)}"
        ci = (
            "-"
            if math.isnan(row.ci_low)
            else (
                f"{format_estimate(kpi, row.ci_low, math.nan, 2)} to "
                f"{format_estimate(kpi, row.ci_high, math.nan, 2)}"
            )
        )
        hover[vi][ti] = (
            f"{html.escape(labels[vi])}<br>{html.escape(row.description)}: needs "
            f"{row.direction} {format_estimate(kpi, row.threshold, math.nan, 1)}<br>"
            f"estimate {format_estimate(kpi, row.mean, math.nan, 2)}, "
            f"{report.confidence:.0%} CI {ci} (n={row.n}): {row.verdict}"
        )
    colours = [STATUS_COLOURS[s] for s in (STATUS_MISSED, STATUS_MET, STATUS_CONFIDENT)]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=titles,
            y=labels,
            zmin=-0.5,
            zmax=2.5,
            colorscale=[
                [0.0, colours[0]],
                [1 / 3, colours[0]],
                [1 / 3, colours[1]],
                [2 / 3, colours[1]],
                [2 / 3, colours[2]],
                [1.0, colours[2]],
            ],
            colorbar={
                "tickvals": [0, 1, 2],
                "ticktext": [STATUS_TEXT[s] for s in (0, 1, 2)],
                "title": {"text": "target"},
            },
            text=text,
            texttemplate="%{text}",
            customdata=hover,
            hovertemplate="%{customdata}<extra></extra>",
            xgap=2,
            ygap=2,
        )
    )
    fig.update_layout(
        title="Service targets per variant: met with confidence (one-sided "
        f"{report.confidence:.0%} bound), met by the mean only, or missed",
        yaxis={"autorange": "reversed", "type": "category"},
        xaxis={"type": "category", "side": "top"},
        height=max(400, 46 * len(variant_ids) + 200),
        margin={"l": 320},
    )
    return fig


# --------------------------------------------------------------------------- page


def _html_table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in row) + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em; color: #222; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: right; }
th { background: #f2f2f2; }
td:nth-child(-n+2) { text-align: left; }
.meta { color: #555; }
.warn { color: #a33; font-weight: bold; }
"""


def render_html(report: SweepReport, kpis: list[str], figures: list[go.Figure]) -> str:
    """The report as one self-contained page: plotly.js is embedded once, inline."""
    manifest = report.manifest
    sweep = manifest["sweep"]
    complete = report.runs_stored >= report.runs_expected
    status = (
        f"All {report.runs_stored} runs stored."
        if complete
        else f"Incomplete: {report.runs_stored} of {report.runs_expected} runs stored "
        "(resume the sweep with --resume); figures use the runs stored."
    )
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Sweep {html.escape(sweep['name'])}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Sweep {html.escape(sweep['name'])}</h1>",
        f"<p>{html.escape(sweep.get('description') or '')}</p>",
        "<p class='meta'>"
        f"{sweep['variants']} variants ({html.escape(sweep['design'])} design) x "
        f"{sweep['replications']} replications, seed {manifest['seed']} (every variant uses it: "
        "common random numbers); content hash "
        f"{html.escape(sweep['content_hash'])}; acusim {html.escape(manifest['package_version'])};"
        f" started {html.escape(str(manifest.get('started_at')))}, finished "
        f"{html.escape(str(manifest.get('finished_at') or 'not yet'))}.</p>",
        f"<p class='{'meta' if complete else 'warn'}'>{html.escape(status)}</p>",
        "<h2>KPIs per variant</h2>",
        f"<p class='meta'>Means across replications ± {report.confidence:.0%} t-interval "
        "half-widths; n = replications behind each row (shown in a cell where a KPI has fewer "
        "finite values). Every KPI of every variant is in variant_kpis.csv.</p>",
        _html_table(report.wide_table(kpis)),
    ]
    for i, fig in enumerate(figures):
        parts.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0)))
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(
    report: SweepReport,
    html_path: Path,
    kpis: list[str],
    heatmap_kpi: str,
    x: str | None = None,
    y: str | None = None,
) -> list[Path]:
    """Write the HTML page and the CSV tables beside it; returns the paths written."""
    figures = [kpi_chart(report, heatmap_kpi, x, y)]
    targets = targets_chart(report)
    if targets is not None:
        figures.append(targets)
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(render_html(report, kpis, figures), encoding="utf-8")
    axis_labels = [a["label"] for a in report.axes]
    kpi_csv = html_path.parent / "variant_kpis.csv"
    report.variants[["variant_id", "label", *axis_labels]].merge(
        report.estimates, on="variant_id"
    ).to_csv(kpi_csv, index=False)
    target_csv = html_path.parent / "variant_targets.csv"
    report.targets.to_csv(target_csv, index=False)
    return [html_path, kpi_csv, target_csv]
