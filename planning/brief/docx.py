"""The brief as an editable Word document (python-docx): the form a board paper takes.

Headings use Word's own heading styles (so the navigation pane and a table of contents
work), tables the built-in grid style, charts are PNG images; each language part sets the
proofing language of its text, so Word checks Welsh as Welsh.
"""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.enum.text import WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from planning.brief.content import Part

PROOFING = {"en": "en-GB", "cy": "cy-GB"}


def _language(document: Document, lang: str) -> None:
    """Set the default proofing language of the document's styles."""
    for style in document.styles:
        rpr = getattr(style.element, "get_or_add_rPr", None)
        if rpr is None:
            continue
        element = rpr()
        lang_el = element.find(qn("w:lang"))
        if lang_el is None:
            lang_el = element.makeelement(qn("w:lang"), {})
            element.append(lang_el)
        lang_el.set(qn("w:val"), PROOFING[lang])


def _run_language(paragraph, lang: str) -> None:
    for run in paragraph.runs:
        rpr = run._r.get_or_add_rPr()
        el = rpr.makeelement(qn("w:lang"), {qn("w:val"): PROOFING[lang]})
        rpr.append(el)


def render_docx(parts: list[Part], path: Path) -> Path:
    document = Document()
    section = document.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    for margin in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, margin, Cm(2))
    document.styles["Normal"].font.name = "Arial"
    document.styles["Normal"].font.size = Pt(10)
    _language(document, parts[0].lang)
    for k, part in enumerate(parts):
        if k:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        _run_language(document.add_heading(part.title, level=0), part.lang)
        for block in part.blocks:
            if block.kind in ("h1", "h2", "h3"):
                _run_language(document.add_heading(block.text, level=int(block.kind[1])), part.lang)
            elif block.kind == "p":
                _run_language(document.add_paragraph(block.text), part.lang)
            elif block.kind == "table":
                table = document.add_table(rows=1, cols=len(block.header))
                table.style = "Table Grid"
                for cell, text in zip(table.rows[0].cells, block.header, strict=True):
                    cell.text = text
                    for run in cell.paragraphs[0].runs:
                        run.bold = True
                for row in block.rows:
                    cells = table.add_row().cells
                    for cell, text in zip(cells, row, strict=True):
                        cell.text = text
                for row in table.rows:
                    for cell in row.cells:
                        for paragraph in cell.paragraphs:
                            _run_language(paragraph, part.lang)
                            for run in paragraph.runs:
                                run.font.size = Pt(8)
                document.add_paragraph()
            elif block.kind == "image":
                document.add_picture(io.BytesIO(block.png), width=Cm(16))
                caption = document.add_paragraph(block.text)
                caption.style = document.styles["Caption"]
                _run_language(caption, part.lang)
            elif block.kind == "pagebreak":
                document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    document.save(tmp)
    tmp.replace(path)
    return path
