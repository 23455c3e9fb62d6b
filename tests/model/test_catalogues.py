"""Catalogues: a key written twice is refused (YAML would keep the last silently)."""

from __future__ import annotations

import pytest

from model.catalogues import CatalogueError, flat_catalogue


def test_sections_flatten_to_dotted_keys(tmp_path) -> None:
    path = tmp_path / "en.yaml"
    path.write_text("ui:\n  ok: Fine\n  empty:\ntop: Yes please\n", encoding="utf-8")
    assert flat_catalogue(path) == {"ui.ok": "Fine", "ui.empty": "", "top": "Yes please"}


def test_a_key_written_twice_is_refused_with_its_line(tmp_path) -> None:
    path = tmp_path / "cy.yaml"
    path.write_text("ui:\n  a: un\n  a: dau\n", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"line 3: key 'a' twice"):
        flat_catalogue(path)
