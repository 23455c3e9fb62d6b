"""Plotly figures for the app and the HTML report, readable without colour.

Palette: Okabe and Ito (2008), chosen to stay distinguishable with the common forms of
colour blindness. Colour is never the only cue: each series also has its own line dash
and marker symbol (or bar pattern), legends name every series, and every chart sits
beside a data table. Figures take frames that already hold translated labels, so the
same builders serve both languages and the report.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

OKABE_ITO: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#000000",  # black
    "#F0E442",  # yellow (last: low contrast on white)
)
DASHES: tuple[str, ...] = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
SYMBOLS: tuple[str, ...] = (
    "circle",
    "square",
    "diamond",
    "triangle-up",
    "x",
    "cross",
    "star",
    "triangle-down",
)
PATTERNS: tuple[str, ...] = ("", "/", ".", "x", "\\", "-", "|", "+")
BAND_OPACITY = 0.18
MARKERS_PER_LINE = 12
"""Markers drawn along a long weekly line: enough to tell the lines apart, few enough to read."""
REFERENCE_COLOUR = "#444444"
FONT = {"family": "Source Sans Pro, Arial, sans-serif", "size": 14}
LABEL_WIDTH = 18
"""Characters per line of a category label: longer labels wrap instead of squeezing the
plot (on a phone a one-line label took most of the chart's width)."""
AXIS_TITLE_WIDTH = 36
"""Characters per line of a long axis title."""
PANEL_HEIGHT = 170
"""Height in pixels of one small panel (one stage's line, one kind of target)."""
PANEL_GAP = 110
"""Pixels between stacked panels: room for the upper panel's ticks and axis title."""


def wrap(label: object, width: int = LABEL_WIDTH) -> str:
    """A category label broken into lines of at most ``width`` characters (Plotly ``<br>``)."""
    return "<br>".join(textwrap.wrap(str(label), width)) or str(label)


def colour(i: int) -> str:
    return OKABE_ITO[i % len(OKABE_ITO)]


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[k : k + 2], 16) for k in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _layout(fig: go.Figure, title: str, x_title: str, y_title: str) -> go.Figure:
    """Common layout. ``title`` is not drawn: the page and the report put the same words in a
    heading right above the chart (a second copy was noise); the legend sits above the
    plot, where on a narrow screen it cannot print over the axis title."""
    del title
    fig.update_layout(
        xaxis_title=x_title,
        yaxis_title=y_title,
        font=FONT,
        template="plotly_white",
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "xanchor": "left"},
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        hovermode="closest",
    )
    return fig


def lines_with_bands(
    frame: pd.DataFrame, *, title: str, x_title: str, y_title: str, percent: bool = False
) -> go.Figure:
    """Weekly means with their confidence band, one line per ``series`` value.

    ``frame`` columns: series, x, mean, ci_low, ci_high."""
    fig = go.Figure()
    for i, (label, part) in enumerate(frame.groupby("series", sort=False)):
        c = colour(i)
        fig.add_trace(
            go.Scatter(
                x=list(part["x"]) + list(part["x"])[::-1],
                y=list(part["ci_high"]) + list(part["ci_low"])[::-1],
                fill="toself",
                fillcolor=_rgba(c, BAND_OPACITY),
                line={"width": 0},
                hoverinfo="skip",
                showlegend=False,
                legendgroup=str(label),
                name=str(label),
            )
        )
        fig.add_trace(
            go.Scatter(
                x=part["x"],
                y=part["mean"],
                mode="lines+markers",
                name=str(label),
                legendgroup=str(label),
                line={"color": c, "dash": DASHES[i % len(DASHES)], "width": 2.5},
                marker={
                    "symbol": SYMBOLS[i % len(SYMBOLS)],
                    "size": 8,
                    "color": c,
                    "maxdisplayed": MARKERS_PER_LINE,
                },
            )
        )
    _layout(fig, title, x_title, y_title)
    if percent:
        fig.update_yaxes(tickformat=".0%")
    return fig


def intervals(
    frame: pd.DataFrame,
    *,
    title: str,
    x_title: str,
    percent: bool = False,
    thresholds: pd.DataFrame | None = None,
    threshold_label: str = "",
    reference: float | None = None,
    reference_label: str = "",
    log: bool = False,
) -> go.Figure:
    """Estimates with confidence intervals as horizontal dots and whiskers.

    ``frame`` columns: label, series, mean, ci_low, ci_high; one marker symbol per series.
    ``thresholds`` (label, threshold, text): targets drawn as tall open bars on their row.
    ``reference``: one dashed vertical line across the chart (e.g. 100%).
    ``log``: a logarithmic x axis, for counts that span several powers of ten (zeros
    cannot be drawn on it; the lower whisker stops at half the smallest positive value)."""
    fig = go.Figure()
    if log:
        frame = _log_safe(frame)
    for trace in _interval_traces(frame, thresholds, threshold_label, first=True):
        fig.add_trace(trace)
    if reference is not None:
        fig.add_vline(
            x=reference,
            line={"dash": "dash", "color": REFERENCE_COLOUR},
            annotation_text=reference_label,
            annotation_position="top left",  # inside the plot: never cut off at the edge
        )
    _layout(fig, title, x_title, "")
    fig.update_yaxes(autorange="reversed", automargin=True)
    if percent:
        fig.update_xaxes(tickformat=".0%")
    if log:
        fig.update_xaxes(type="log", dtick=1, tickformat=",d")  # 1, 10, 100, 1,000 only
    return fig


def _interval_traces(
    frame: pd.DataFrame, thresholds: pd.DataFrame | None, threshold_label: str, first: bool
) -> list[go.Scatter]:
    """Dots with whiskers per series, then the targets as tall open bars: the traces of
    :func:`intervals` and of each of :func:`interval_panels`' panels (legend entries on the
    first panel only, grouped so one click hides a series in every panel)."""
    traces = [
        go.Scatter(
            x=part["mean"],
            y=[wrap(label) for label in part["label"]],
            mode="markers",
            name=str(series),
            legendgroup=str(series),
            showlegend=first,
            marker={"symbol": SYMBOLS[i % len(SYMBOLS)], "size": 12, "color": colour(i)},
            error_x={
                "type": "data",
                "symmetric": False,
                "array": (part["ci_high"] - part["mean"]).fillna(0),
                "arrayminus": (part["mean"] - part["ci_low"]).fillna(0),
                "thickness": 2,
                "width": 6,
            },
        )
        for i, (series, part) in enumerate(frame.groupby("series", sort=False))
    ]
    if thresholds is not None and len(thresholds):
        traces.append(
            go.Scatter(
                x=thresholds["threshold"],
                y=[wrap(label) for label in thresholds["label"]],
                mode="markers",
                name=threshold_label,
                legendgroup="threshold",
                showlegend=first,
                text=thresholds["text"],
                hovertemplate="%{text}<extra></extra>",
                marker={
                    "symbol": "line-ns-open",
                    "size": 24,
                    "color": REFERENCE_COLOUR,
                    "line": {"width": 3},
                },
            )
        )
    return traces


def _log_safe(frame: pd.DataFrame) -> pd.DataFrame:
    positive = frame["mean"][frame["mean"] > 0]
    floor = float(positive.min()) / 2 if len(positive) else 1.0
    safe = frame.copy()
    safe["ci_low"] = safe["ci_low"].clip(lower=floor)
    safe["mean"] = safe["mean"].where(safe["mean"] > 0)
    return safe


def interval_panels(
    panels: Sequence[tuple[str, pd.DataFrame, pd.DataFrame]],
    *,
    threshold_label: str,
    percent: bool = False,
) -> go.Figure:
    """One small intervals chart per panel, stacked, each with its own x axis and title.

    ``panels``: (x-axis title, frame, thresholds) as for :func:`intervals`. Measures of
    different kinds (a share that must be at least x, a growth that must be at most y)
    never share an axis whose title would be wrong for one of them."""
    rows = max(1, len(panels))
    height = 70 + PANEL_HEIGHT * rows + PANEL_GAP * (rows - 1)
    fig = make_subplots(rows=rows, cols=1, vertical_spacing=PANEL_GAP / height)
    _layout(fig, "", "", "")  # first: it names the first panel's axis, set per panel below
    for row, (x_title, frame, thresholds) in enumerate(panels, start=1):
        for trace in _interval_traces(frame, thresholds, threshold_label, first=row == 1):
            fig.add_trace(trace, row=row, col=1)
        # Wrapped: on a phone a one-line axis title ran off the chart's right edge.
        fig.update_xaxes(title_text=wrap(x_title, AXIS_TITLE_WIDTH), row=row, col=1)
        if percent:
            fig.update_xaxes(tickformat=".0%", row=row, col=1)
        fig.update_yaxes(autorange="reversed", automargin=True, row=row, col=1)
    fig.update_layout(height=height)
    return fig


def line_panels(frame: pd.DataFrame, *, x_title: str, y_title: str) -> go.Figure:
    """One small panel per ``series`` (e.g. per stage), each with its own y axis, so a
    series near zero is not flattened by a large one; x axes shared. Columns as for
    :func:`lines_with_bands`."""
    names = list(dict.fromkeys(frame["series"]))
    rows = max(1, len(names))
    fig = make_subplots(
        rows=rows,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.35 / rows,
        subplot_titles=[str(n) for n in names],
    )
    for i, label in enumerate(names):
        part = frame[frame["series"] == label]
        c = colour(i)
        fig.add_trace(
            go.Scatter(
                x=list(part["x"]) + list(part["x"])[::-1],
                # A count cannot be negative: the band stops at zero.
                y=list(part["ci_high"]) + list(part["ci_low"].clip(lower=0))[::-1],
                fill="toself",
                fillcolor=_rgba(c, BAND_OPACITY),
                line={"width": 0},
                hoverinfo="skip",
                showlegend=False,
                name=str(label),
            ),
            row=i + 1,
            col=1,
        )
        fig.add_trace(
            go.Scatter(
                x=part["x"],
                y=part["mean"],
                mode="lines",
                name=str(label),
                showlegend=False,
                line={"color": c, "width": 2.5},
            ),
            row=i + 1,
            col=1,
        )
        fig.update_yaxes(rangemode="tozero", title_text="", row=i + 1, col=1)
    _layout(fig, "", "", "")
    fig.update_xaxes(title_text=x_title, row=rows, col=1)
    fig.update_layout(
        height=60 + PANEL_HEIGHT * rows,
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
    )
    del y_title  # the heading above says what is counted; each panel names its stage
    for annotation in fig.layout.annotations:
        annotation.update(xanchor="left", x=0)
    return fig


def stacked_bars(frame: pd.DataFrame, *, title: str, x_title: str, y_title: str) -> go.Figure:
    """Stacked horizontal bars (``label`` rows, ``series`` segments, ``value`` lengths),
    each segment with its own colour and fill pattern."""
    fig = go.Figure()
    for i, (series, part) in enumerate(frame.groupby("series", sort=False)):
        fig.add_trace(
            go.Bar(
                x=part["value"],
                y=[wrap(label) for label in part["label"]],
                orientation="h",
                name=str(series),
                marker={
                    "color": colour(i),
                    "pattern": {"shape": PATTERNS[i % len(PATTERNS)], "fgcolor": "#ffffff"},
                    "line": {"color": "#ffffff", "width": 1},
                },
            )
        )
    _layout(fig, title, x_title, y_title)
    fig.update_layout(barmode="stack")
    fig.update_yaxes(autorange="reversed", automargin=True)
    return fig


def grouped_bars(frame: pd.DataFrame, *, title: str, x_title: str, y_title: str) -> go.Figure:
    """Side-by-side bars (``label`` groups, ``series`` bars) with optional CI whiskers
    (``ci_low``/``ci_high``); each series has its own colour and fill pattern."""
    fig = go.Figure()
    for i, (series, part) in enumerate(frame.groupby("series", sort=False)):
        error = None
        if {"ci_low", "ci_high"} <= set(part.columns) and part["ci_low"].notna().any():
            error = {
                "type": "data",
                "symmetric": False,
                "array": (part["ci_high"] - part["value"]).fillna(0),
                "arrayminus": (part["value"] - part["ci_low"]).fillna(0),
            }
        fig.add_trace(
            go.Bar(
                x=part["value"],
                y=[wrap(label) for label in part["label"]],
                orientation="h",
                name=str(series),
                error_x=error,
                marker={
                    "color": colour(i),
                    "pattern": {"shape": PATTERNS[i % len(PATTERNS)], "fgcolor": "#ffffff"},
                },
            )
        )
    _layout(fig, title, x_title, y_title)
    fig.update_layout(barmode="group")
    fig.update_yaxes(autorange="reversed", automargin=True)
    return fig


def curves(
    frame: pd.DataFrame,
    *,
    title: str,
    x_title: str,
    y_title: str,
    thresholds: Sequence[tuple[float, str]] = (),
    percent: bool = False,
) -> go.Figure:
    """Estimates with error bars along a numeric x (e.g. a target against FTE), one line per
    ``series``; horizontal dashed lines for thresholds. Columns: series, x, mean, ci_low,
    ci_high."""
    fig = go.Figure()
    for i, (series, part) in enumerate(frame.groupby("series", sort=False)):
        c = colour(i)
        fig.add_trace(
            go.Scatter(
                x=part["x"],
                y=part["mean"],
                mode="lines+markers",
                name=str(series),
                line={"color": c, "dash": DASHES[i % len(DASHES)]},
                marker={"symbol": SYMBOLS[i % len(SYMBOLS)], "size": 10, "color": c},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": (part["ci_high"] - part["mean"]).fillna(0),
                    "arrayminus": (part["mean"] - part["ci_low"]).fillna(0),
                },
            )
        )
    for value, label in thresholds:
        fig.add_hline(
            y=value,
            line={"dash": "dash", "color": REFERENCE_COLOUR},
            annotation_text=label,
            annotation_position="top left",
        )
    _layout(fig, title, x_title, y_title)
    if percent:
        fig.update_yaxes(tickformat=".0%")
    return fig
