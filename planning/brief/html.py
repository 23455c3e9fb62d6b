"""The brief as one self-contained HTML file: no network, images inline, prints on A4.

Charts are PNG data URIs and the CSS is inline, so the file opens offline and can be
attached to an email. ``@page`` sets A4 with margins; each main section starts a new page
when printed, table rows and figures are not split across pages, and a long table repeats its header
on each page. The root
``lang`` is the first part's language; with both languages each part is a
``<section lang=...>`` so screen readers and spell checkers switch.
"""

from __future__ import annotations

import base64
import html
from pathlib import Path

from model.files import write_atomic
from planning.brief.content import Part

CSS = """
@page { size: A4; margin: 18mm 16mm; }
body { font-family: Arial, Helvetica, sans-serif; font-size: 10pt; color: #111;
       max-width: 180mm; margin: auto; }
h1.title { font-size: 18pt; }
h1 { font-size: 14pt; color: #1b4f72; break-before: page; page-break-before: always; }
h1.title, section > h1:first-of-type { break-before: auto; page-break-before: auto; }
h2 { font-size: 11.5pt; color: #1b4f72; break-after: avoid; page-break-after: avoid; }
h3 { font-size: 10.5pt; break-after: avoid; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0 10pt; font-size: 8pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
th, td { border: 1px solid #999; padding: 2pt 4pt; text-align: left; vertical-align: top; }
th { background: #e8eef3; }
figure { margin: 6pt 0 12pt; break-inside: avoid; page-break-inside: avoid; }
figure img { max-width: 100%; }
figcaption { font-size: 8.5pt; font-style: italic; }
section.part + section.part { break-before: page; page-break-before: always; }
"""


def _block_html(block) -> str:
    e = html.escape
    if block.kind in ("h1", "h2", "h3"):
        return f"<{block.kind}>{e(block.text)}</{block.kind}>"
    if block.kind == "p":
        return f"<p>{e(block.text)}</p>"
    if block.kind == "table":
        head = "".join(f"<th scope='col'>{e(h)}</th>" for h in block.header)
        body = "".join(
            "<tr>" + "".join(f"<td>{e(c)}</td>" for c in row) + "</tr>" for row in block.rows
        )
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    if block.kind == "image":
        data = base64.b64encode(block.png).decode("ascii")
        return (
            f"<figure><img src='data:image/png;base64,{data}' alt='{e(block.text)}'>"
            f"<figcaption>{e(block.text)}</figcaption></figure>"
        )
    return ""


def render_html(parts: list[Part]) -> str:
    sections = []
    for part in parts:
        body = "\n".join(_block_html(b) for b in part.blocks)
        sections.append(
            f"<section class='part' lang='{part.lang}'>"
            f"<h1 class='title'>{html.escape(part.title)}</h1>\n{body}</section>"
        )
    title = " / ".join(p.title for p in parts)
    return (
        f'<!DOCTYPE html>\n<html lang="{parts[0].lang}">\n<head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head>\n<body>\n"
        + "\n".join(sections)
        + "\n</body>\n</html>\n"
    )


def write_html(parts: list[Part], path: Path) -> Path:
    write_atomic(Path(path), render_html(parts))
    return Path(path)
