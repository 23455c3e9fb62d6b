"""Text catalogues (one YAML file per language), read the same way by every face.

The app, the calibration report and the board brief keep their words in
``en.yaml`` and ``cy.yaml``. YAML keeps the last of two equal keys silently, so a
key written twice would lose a translation without a word: reading refuses it,
naming the file and line. Nested sections flatten to dotted keys
(``ui.download_csv``), the form code looks words up by.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class CatalogueError(ValueError):
    """A catalogue file that would silently lose text (e.g. a key written twice)."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                mark = key_node.start_mark
                raise CatalogueError(f"{mark.name}: line {mark.line + 1}: key '{key}' twice")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def read_catalogue(path: Path) -> dict[str, Any]:
    """A catalogue file as written (nested sections kept)."""
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_UniqueKeyLoader) or {}


def flatten(node: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """Nested sections as dotted keys; an empty value is the empty string."""
    flat: dict[str, str] = {}
    for key, value in node.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, path + "."))
        else:
            flat[path] = "" if value is None else str(value)
    return flat


def flat_catalogue(path: Path) -> dict[str, str]:
    """A catalogue file by dotted key."""
    return flatten(read_catalogue(path))
