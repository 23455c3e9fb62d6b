"""The brief's charts as PNG images, drawn with matplotlib.

Plotly's static export (kaleido 1.x) needs a Chrome browser on the machine; a board
paper is often produced where none may be installed, and the brief must work offline,
so the brief draws its two charts with matplotlib (no browser, deterministic bytes).
Labels come from the catalogue through the caller's ``Words``.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from planning.brief.figures import BriefFigures

COLOURS = ["#1b4f72", "#c0392b", "#117a65", "#7d3c98", "#b9770e"]


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=150, bbox_inches="tight", metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def referrals_chart(figures: BriefFigures, w: Any) -> bytes:
    """Total referrals by financial year, one bar per scenario, with 95% CIs."""
    from model.results import financial_year_label

    years = figures.financial_years
    fig, ax = plt.subplots(figsize=(7, 3.2))
    width = 0.8 / len(figures.all)
    for i, f in enumerate(figures.all):
        part = f.years[(f.years["metric"] == "arrivals") & (f.years["key"] == "all")]
        part = part.set_index("financial_year").reindex(years)
        x = np.arange(len(years)) + i * width
        title = w.scenario(f.scenario)
        label = f"{w('today')} ({title})" if i == 0 else title
        ax.bar(
            x,
            part["mean"],
            width,
            yerr=part["half_width"].fillna(0),
            capsize=3,
            color=COLOURS[i % len(COLOURS)],
            label=label,
        )
    ax.set_xticks(np.arange(len(years)) + width * (len(figures.all) - 1) / 2)
    ax.set_xticklabels([financial_year_label(y) for y in years])
    ax.set_ylabel(w("row_referrals"))
    ax.legend(frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)


def sensitivity_chart(table: pd.DataFrame, w: Any) -> bytes:
    """A tornado chart: each factor's low and high effect on the FTE the work needs (95% CI)."""
    factors = list(dict.fromkeys(table["factor"]))
    fig, ax = plt.subplots(figsize=(7, 0.5 * len(factors) + 1.2))
    y = np.arange(len(factors))[::-1]
    for level, colour, offset, label in (
        ("low", COLOURS[0], 0.18, w("legend_low")),
        ("high", COLOURS[1], -0.18, w("legend_high")),
    ):
        part = table[table["level"] == level].set_index("factor").reindex(factors)
        ax.barh(
            y + offset,
            part["fte_difference"],
            0.34,
            xerr=part["fte_half_width"].fillna(0),
            color=colour,
            capsize=2,
            label=label,
        )
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(y)
    ax.set_yticklabels([w(f"f_{f}") for f in factors], fontsize=8)
    ax.set_xlabel(w("axis_fte"))
    ax.legend(frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    return _png(fig)
