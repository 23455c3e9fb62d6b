"""The assumptions register: every input's value and its basis, read from the scenario file.

The scenario contract's rule is that a value standing for a real-world number says where
it comes from in a comment next to it (a source, ``assumption``, or the ``fitted ... (95%
CI a to b); n=...`` line calibration writes). The comments are the only machine-readable
record of that basis, so the register reads them: YAML is composed into nodes (which keep
their line numbers), and each value takes the comment on its own line, or else the
nearest comment on an enclosing key's line (``category:  # assumption`` covers the whole
mix). A file that ``extends`` another inherits its comments, overridden where it sets a
value again. A value with no comment anywhere is listed as "not stated".

Chosen over adding a ``basis:`` field to every value of the contract: the comments are
already there in every scenario, calibrated files already write them, and the scenario
file stays the one place the basis is kept.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

PUBLISHED, CALIBRATED, ASSUMED, NOT_STATED = "published", "calibrated", "assumed", "not_stated"
"""The kinds of basis: a published source, calibrated from the force's extract (with its
interval), an assumption, or nothing stated."""

SETTINGS = {
    "name",
    "description",
    "extends",
    "seed",
    "replications",
    "horizon_years",
    "warmup_days",
    "start_date",
    "staffing_search",
    "reporting",
    "outcomes",
}
"""Top-level keys that are run settings or labels, not inputs about the world."""

SKIPPED = {"when", "title", "description", "kind", "entry_stage", "role", "stage", "source"}
"""Keys that are conditions or labels, not numbers about the world."""

_INTERVAL = re.compile(r"CI\s+(-?[\d.,eE+-]+)\s+to\s+(-?[\d.,eE+-]+)")
_N = re.compile(r"\bn=(\d+)")


@dataclass(frozen=True)
class Entry:
    """One input of the register."""

    path: str
    value: str
    kind: str
    note: str
    interval: tuple[str, str] | None = None
    n: int | None = None


def _comment(line: str) -> str | None:
    """The text after `` #`` on a line (None if none, or if the line is only a comment)."""
    stripped = line.lstrip()
    if not stripped or stripped.startswith("#"):
        return None
    match = re.search(r"\s#\s?(.*)$", line)
    return match.group(1).strip() if match else None


def classify(note: str | None) -> tuple[str, tuple[str, str] | None, int | None]:
    """The kind of basis a comment states, and a calibrated value's interval and n."""
    if not note:
        return NOT_STATED, None, None
    lowered = note.lower()
    if "fitted" in lowered or "calibrated" in lowered:
        interval = _INTERVAL.search(note)
        n = _N.search(note)
        return (
            CALIBRATED,
            (interval.group(1), interval.group(2)) if interval else None,
            int(n.group(1)) if n else None,
        )
    if "assumption" in lowered:
        return ASSUMED, None, None
    return PUBLISHED, None, None


def _scalar_text(node: yaml.Node) -> str:
    return str(node.value)


def _flat(node: yaml.Node) -> str:
    """A compact text of a small mapping or list: ``gamma, mean 3, cv 0.6``."""
    if isinstance(node, yaml.ScalarNode):
        return _scalar_text(node)
    if isinstance(node, yaml.MappingNode):
        parts = []
        for key, value in node.value:
            text = _flat(value)
            parts.append(text if key.value == "dist" else f"{key.value} {text}")
        return ", ".join(parts)
    return "; ".join(_flat(item) for item in node.value)


def _is_leafy(node: yaml.Node) -> bool:
    """A mapping or list of scalars (a mix, a distribution, a routing table)."""
    if isinstance(node, yaml.MappingNode):
        return all(isinstance(v, yaml.ScalarNode) for _, v in node.value)
    if isinstance(node, yaml.SequenceNode):
        return all(isinstance(v, yaml.ScalarNode) for v in node.value)
    return False


def _comment_above(lines: list[str], line: int) -> str | None:
    """Whole-line comments directly above ``line`` (a note on the block that follows)."""
    notes: list[str] = []
    i = line - 1
    while i >= 0 and lines[i].lstrip().startswith("#"):
        notes.insert(0, lines[i].lstrip().lstrip("#").strip())
        i -= 1
    return " ".join(notes) or None if i >= 0 else None


def _own_comments(node: yaml.Node, lines: list[str]) -> bool:
    """Whether any line of ``node``'s own carries a comment (then its values are listed one
    by one)."""
    first, last = node.start_mark.line, node.end_mark.line
    if getattr(node, "flow_style", False):
        first += 1  # a flow mapping starts on its key's line: that comment is the key's
    return any(_comment(lines[i]) for i in range(first, min(last + 1, len(lines))))


def _walk(
    node: yaml.Node, path: str, inherited: str | None, lines: list[str], out: dict[str, Any]
) -> None:
    if isinstance(node, yaml.MappingNode):
        items = [(str(k.value), k, v) for k, v in node.value]
    elif isinstance(node, yaml.SequenceNode):
        items = [(str(i), item, item) for i, item in enumerate(node.value)]
    else:
        return
    for name, key, value in items:
        child = f"{path}.{name}" if path else name
        if (not path and name in SETTINGS) or name in SKIPPED:
            continue
        line = key.start_mark.line
        own = _comment(lines[line]) or (_comment_above(lines, line) if path else None)
        note = own or inherited
        if isinstance(value, yaml.ScalarNode):
            if value.tag.endswith(("int", "float")):
                out[child] = (_scalar_text(value), note)
            continue
        if _is_leafy(value) and not _own_comments(value, lines):
            out[child] = (_flat(value), note)
            continue
        _walk(value, child, note, lines, out)


def _read(path: Path) -> tuple[dict[str, Any], str | None]:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    root = yaml.compose(text)
    found: dict[str, Any] = {}
    if root is not None:
        _walk(root, "", None, lines, found)
    data = yaml.safe_load(text) or {}
    return found, data.get("extends") if isinstance(data, dict) else None


def register(path: str | Path) -> list[Entry]:
    """The inputs of a scenario file (and the files it extends), each with its basis."""
    chain: list[Path] = []
    current: Path | None = Path(path)
    while current is not None and current not in chain and len(chain) < 10:
        chain.append(current)
        _, parent = _read(current)
        current = (current.parent / parent) if parent else None
    merged: dict[str, Any] = {}
    for file in reversed(chain):
        found, _ = _read(file)
        for key in [k for k in merged if any(f.startswith(k + ".") for f in found)]:
            merged.pop(key)  # a child file that sets part of a block replaces that part
        merged.update(found)
    entries = []
    for name, (value, note) in merged.items():
        kind, interval, n = classify(note)
        entries.append(Entry(name, value, kind, note or "", interval, n))
    return entries


def changed(base: list[Entry], other: list[Entry]) -> list[Entry]:
    """The entries of ``other`` that differ from (or are not in) ``base``."""
    before = {e.path: e.value for e in base}
    return [e for e in other if before.get(e.path) != e.value]
