"""Write a brief: brief.docx, brief.html and the financial-year tables as CSV."""

from __future__ import annotations

from pathlib import Path

from model.files import write_atomic
from planning.brief.content import build_parts, tables_frame
from planning.brief.docx import render_docx
from planning.brief.figures import BriefFigures
from planning.brief.html import write_html


def write_brief(figures: BriefFigures, out: Path, lang: str = "both") -> list[Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    parts = build_parts(figures, lang)
    written = [render_docx(parts, out / "brief.docx"), write_html(parts, out / "brief.html")]
    for name, frame in tables_frame(figures).items():
        written.append(write_atomic(out / name, frame.to_csv(index=False)))
    return written
