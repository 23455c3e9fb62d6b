"""A chart as an SVG file, drawn on the server by the machine's own Chromium.

Why on the server: Plotly's toolbar buttons cannot be reached by keyboard, so a real
download button (``st.download_button``) serves the SVG. Plotly draws SVG only in a
browser, so Kaleido drives the local Chromium (``BROWSER_PATH``, else ``chromium`` /
``chromium-browser`` / ``google-chrome`` on the PATH). Nothing is fetched: Kaleido is
given plotly.py's own ``plotly.min.js`` and MathJax is switched off (Kaleido would
otherwise load MathJax from a CDN), and no browser is ever downloaded
(``kaleido.get_chrome_sync`` is never called). Where no browser is installed the page
shows no SVG button; the PNG in Plotly's toolbar still works.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import plotly
import plotly.graph_objects as go

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
"""Executables looked for on the PATH when ``BROWSER_PATH`` is not set."""

SVG_SIZE = (900, 500)
"""Width and height in CSS pixels of a chart drawn without its own size."""

RENDER_TIMEOUT_S = 60
"""Longest wait for one chart (a cold Chromium start takes about 2 s)."""


def local_browser() -> str | None:
    """The installed Chromium/Chrome to draw with, or None (never downloads one)."""
    explicit = os.environ.get("BROWSER_PATH", "")
    if explicit:
        return explicit if Path(explicit).is_file() else None
    for name in BROWSER_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def plotly_js() -> Path:
    """plotly.py's own copy of plotly.js (so Kaleido does not use its CDN default)."""
    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def figure_svg(fig: go.Figure, browser: str | None = None) -> bytes:
    """The figure as SVG bytes, drawn by the local browser, offline.

    Raises RuntimeError when there is no local browser."""
    import kaleido  # lazy: only a click on the button pays for it

    path = browser or local_browser()
    if path is None:
        raise RuntimeError("no local Chromium or Chrome to draw the chart with")
    layout = fig.layout
    width = layout.width or SVG_SIZE[0]
    height = layout.height or SVG_SIZE[1]
    return kaleido.calc_fig_sync(
        fig.to_dict(),
        opts={"format": "svg", "width": width, "height": height, "scale": 1},
        kopts={**offline_page(), "path": path, "timeout": RENDER_TIMEOUT_S},
    )


def offline_page() -> dict[str, object]:
    """Kaleido's page options that keep every script local: plotly.py's plotly.js, and
    no MathJax (Kaleido's default loads it from a CDN)."""
    return {"plotlyjs": str(plotly_js()), "mathjax": False}
