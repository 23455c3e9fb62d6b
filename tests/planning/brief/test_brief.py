"""The decision brief: it opens, holds every section, adds up, and speaks one language."""

from __future__ import annotations

import re
from pathlib import Path

import docx
import pytest

from planning.brief.content import build_parts, catalogue, names
from planning.brief.figures import BriefFigures, gather
from planning.brief.html import render_html
from planning.brief.write import write_brief
from tests.conftest import TEST_SCENARIOS

BASE = TEST_SCENARIOS / "brief_tiny.yaml"
OPTIONS = [
    TEST_SCENARIOS / "brief_tiny_more_devices.yaml",
    TEST_SCENARIOS / "brief_tiny_more_reports.yaml",
]

SECTIONS = ["s1", "s2", "s3", "s3_1", "s3_2", "s3_3", "s3_4", "s4", "s4_1", "s4_2", "s5"]
TABLES = ["t_referrals", "t_categories", "t_hours", "t_establishment", "t_cost", "t_backlog"]


@pytest.fixture(scope="module")
def figures() -> BriefFigures:
    return gather(BASE, OPTIONS, replications=3, workers=1, command="acusim brief (test)")


def _docx_text(path: Path) -> tuple[list[str], str]:
    document = docx.Document(str(path))
    headings = [
        p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))
    ]
    text = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            text.extend(cell.text for cell in row.cells)
    return headings, "\n".join(text)


def _html_text(html: str) -> str:
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    html = re.sub(r"<img[^>]*>", "", html)
    import html as h

    return h.unescape(re.sub(r"<[^>]+>", "\n", html))


def test_the_document_opens_and_holds_every_section_in_order(figures, tmp_path):
    written = write_brief(figures, tmp_path, "en")
    assert {p.name for p in written} >= {"brief.docx", "brief.html", "financial_years.csv"}
    headings, text = _docx_text(tmp_path / "brief.docx")
    en = catalogue("en")
    positions = [headings.index(en[key]) for key in SECTIONS]
    assert positions == sorted(positions), "sections out of order"
    for key in TABLES:
        assert en[key] in headings
    for option in ["brief_tiny_more_devices", "brief_tiny_more_reports"]:
        assert option in text
    document = docx.Document(str(tmp_path / "brief.docx"))
    assert len(document.inline_shapes) == 2  # the referrals chart and the sensitivity chart
    html = (tmp_path / "brief.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in html
    assert html.count("data:image/png;base64,") == 2
    assert "http://" not in html and "https://" not in html  # nothing fetched: offline
    assert "@page { size: A4" in html


def test_financial_years_add_up_to_the_weekly_series(figures):
    run = figures.base.run
    table = figures.base.years
    for metric, series in (("arrivals", "arrivals"), ("staff_hours", "staff_hours")):
        keys = run.replications[0].labels[series]
        for i, key in enumerate(keys):
            total = sum(r.series[series][:, i].sum() for r in run.replications) / run.n
            years = table[(table["metric"] == metric) & (table["key"] == key)]["mean"].sum()
            assert years == pytest.approx(total, rel=1e-9, abs=1e-9)
    weeks = table.drop_duplicates("financial_year")["weeks"].sum()
    assert weeks == run.replications[0].series["arrivals"].shape[0]


def test_the_category_table_adds_up_to_total_referrals(figures):
    for fig in figures.all:
        cats = fig.case_years[fig.case_years["metric"] == "referrals_by_category"]
        assert len(set(cats["key"])) == 12
        by_year = cats.groupby("financial_year")["mean"].sum()
        refs = fig.years[(fig.years["metric"] == "arrivals") & (fig.years["key"] == "all")]
        refs = refs.set_index("financial_year")["mean"]
        assert by_year.to_dict() == pytest.approx(refs.to_dict())
        # every referral received in the whole weeks of the run (the weekly series)
        total = sum(r.series["arrivals"].sum() for r in fig.run.replications) / fig.run.n
        assert by_year.sum() == pytest.approx(total)


def _fragments(lang: str) -> set[str]:
    """The literal text of every catalogue string (slots removed), long enough to be words."""
    out = set()
    for value in catalogue(lang).values():
        for piece in re.split(r"\{[a-z_]+\}", value):
            piece = piece.strip(" .,:;()'\"–-")
            if len(piece) >= 8 and " " in piece:
                out.add(piece)
    return out


def test_the_catalogues_have_the_same_keys_and_real_translations():
    en, cy = catalogue("en"), catalogue("cy")
    assert set(en) == set(cy)
    assert all(isinstance(v, str) and v.strip() for v in [*en.values(), *cy.values()])
    for kind, known in names("en").items():
        assert set(known) == set(names("cy")[kind])
    for key, text in en.items():  # the same {slots} in both
        assert set(re.findall(r"\{([a-z_]+)\}", text)) == set(re.findall(r"\{([a-z_]+)\}", cy[key]))
    same = [k for k in en if en[k] == cy[k] and re.sub(r"\{[a-z_]+\}", "", en[k]).strip(" /")]
    assert same == []


@pytest.mark.parametrize(("lang", "other"), [("cy", "en"), ("en", "cy")])
def test_one_language_holds_no_catalogue_text_of_the_other(figures, tmp_path, lang, other):
    write_brief(figures, tmp_path, lang)
    html = (tmp_path / "brief.html").read_text(encoding="utf-8")
    assert f'<html lang="{lang}">' in html
    _, docx_text = _docx_text(tmp_path / "brief.docx")
    own = _fragments(lang)
    for text in (_html_text(html), docx_text):
        leaked = [f for f in _fragments(other) - own if f in text]
        assert leaked == []
        assert catalogue(lang)["title"] in text


def test_both_languages_in_one_document_welsh_first(figures, tmp_path):
    parts = build_parts(figures, "both")
    assert [p.lang for p in parts] == ["cy", "en"]
    html = render_html(parts)
    assert '<html lang="cy">' in html
    assert "<section class='part' lang='en'>" in html
    assert html.index(catalogue("cy")["s1"]) < html.index(catalogue("en")["s1"])
    write_brief(figures, tmp_path, "both")
    headings, _ = _docx_text(tmp_path / "brief.docx")
    for lang in ("cy", "en"):
        for key in SECTIONS:
            assert catalogue(lang)[key] in headings


def test_the_method_section_says_how_to_reproduce(figures):
    part = build_parts(figures, "en")[0]
    cells = [c for b in part.blocks if b.kind == "table" for row in b.rows for c in row]
    assert "acusim brief (test)" in cells
    for fig in figures.all:
        assert any(fig.scenario.content_hash() in c for c in cells)
