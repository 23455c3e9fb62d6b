"""The language catalogues: complete, non-empty, consistent, and used correctly by the code.

Police bodies in Wales work under the Welsh Language Standards, so a missing or empty
Welsh string is a defect, not a cosmetic issue.
"""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from app import i18n
from app.i18n import LANGUAGES, CatalogueError, catalogue

ROOT = Path(__file__).resolve().parents[2]
APP_DIR = ROOT / "app"
KEY = re.compile(r"[a-z_]+(\.[a-z0-9_]+)+")
SAME_IN_BOTH = {
    "lang.en",  # each language's name is written in that language in both menus
    "lang.cy",
    "ui.language",  # the switch's label is bilingual and must not change with the language
    "ui.label_with_unit",  # formats only
    "ui.date",
    "verdict.line",  # formats only
    "compare.shipped",  # a scenario title, in its own language
    "units.percent",
    "scenario.change_line",
    "staffing.change_item",
    "levers.rate",
    "levers.groups.staff",  # "staff" is the Welsh word too
    "levers.fte",
    "export.roles_title",
    # Streamlit's own words: formats, the date boxes' "dd"/"mm", and weekday initials
    # that happen to be the same letter in both languages
    "streamlit.month_year",
    "streamlit.month_value",
    "streamlit.date_hint_day",
    "streamlit.date_hint_month",
    "weekdays.sun_initial",
    "weekdays.sat_initial",
}
"""Keys whose Welsh text may equal the English: anything else identical is untranslated."""
WELSH_TERMS = (
    "Comisiynydd Heddlu a Throseddu",
    "Uned Gwrth-lygredd",
    "ymchwiliad",
    "atgyfeiriad",
    "cyfwng hyder",
    "Ditectif Ringyll",
    "Ditectif Gwnstabl",
)


def format_fields(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def test_both_catalogues_have_the_same_keys():
    en, cy = catalogue("en"), catalogue("cy")
    assert sorted(set(en) - set(cy)) == [], "keys missing in cy.yaml"
    assert sorted(set(cy) - set(en)) == [], "keys missing in en.yaml"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_text_is_empty(lang):
    empty = [key for key, text in catalogue(lang).items() if not text.strip()]
    assert empty == []


def test_format_fields_match_between_languages():
    en, cy = catalogue("en"), catalogue("cy")
    differ = {k: (format_fields(en[k]), format_fields(cy[k])) for k in en if k in cy}
    assert {k: v for k, v in differ.items() if v[0] != v[1]} == {}


def test_welsh_is_translated_not_copied():
    en, cy = catalogue("en"), catalogue("cy")
    copied = sorted(k for k in en if en[k] == cy.get(k) and k not in SAME_IN_BOTH)
    assert copied == []


def test_welsh_uses_the_official_terms():
    text = " ".join(catalogue("cy").values())
    assert [term for term in WELSH_TERMS if term not in text] == []


def test_month_names_complete():
    for lang in LANGUAGES:
        assert [catalogue(lang)[f"months.m{m}"] for m in range(1, 13)]


def test_a_key_written_twice_is_refused(tmp_path, monkeypatch):
    (tmp_path / "xx.yaml").write_text("ui:\n  a: one\n  a: two\n", encoding="utf-8")
    monkeypatch.setattr(i18n, "CATALOGUE_DIR", tmp_path)
    catalogue.cache_clear()
    try:
        with pytest.raises(CatalogueError, match="key 'a' twice"):
            catalogue("xx")
    finally:
        catalogue.cache_clear()


def _code_keys() -> tuple[set[str], set[str], set[str]]:
    """Literal keys, f-string key patterns (as regexes), and keys passed straight to t()."""
    literals, patterns, direct = set(), set(), set()
    namespaces = {key.split(".")[0] for key in catalogue("en")}
    for path in APP_DIR.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        in_fstring = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                in_fstring.update(id(v) for v in node.values)
                first = node.values[0]
                if isinstance(first, ast.Constant) and KEY.match(str(first.value) + "x"):
                    pattern = "".join(
                        re.escape(v.value) if isinstance(v, ast.Constant) else "[a-z0-9_]+"
                        for v in node.values
                    )
                    if str(first.value).split(".")[0] in namespaces:
                        patterns.add(pattern)
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "t"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                direct.add(node.args[0].value)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in in_fstring
                and KEY.fullmatch(node.value)
                and node.value.split(".")[0] in namespaces
            ):
                literals.add(node.value)
    return literals, patterns, direct


def test_every_key_the_code_uses_exists():
    literals, patterns, direct = _code_keys()
    assert direct, "no t('...') calls found: the scan is broken"
    for lang in LANGUAGES:
        keys = catalogue(lang)
        assert sorted((literals | direct) - set(keys)) == [], lang
        unmatched = [p for p in patterns if not any(re.fullmatch(p, k) for k in keys)]
        assert unmatched == [], lang


def test_no_interface_text_in_the_code():
    """Pages call t() for every label: no st.* call gets a bare English sentence."""
    calls = ("title", "header", "subheader", "markdown", "button", "info", "warning", "caption")
    found = []
    for path in APP_DIR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in calls
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and re.search(r"[A-Za-z]{3,}", node.args[0].value)
            ):
                found.append(f"{path.name}:{node.lineno}")
    assert found == []


def test_translation_lookup_and_fallback():
    with i18n.use_language("cy"):
        assert i18n.t("run.button") == "Rhedeg"
        assert i18n.name("roles", "ds", "Detective Sergeant") == "Ditectif Ringyll"
        assert i18n.name("roles", "not_shipped", "Their own title") == "Their own title"
    with i18n.use_language("en"):
        assert i18n.t("ui.ci", level="95%", low="1", high="2", n=3) == "95% CI 1 to 2; 3 runs"
