"""Write a mapping as YAML with a comment on any line, keyed by the value's path.

PyYAML cannot write comments, and a calibrated scenario's point is that every fitted
value says, beside it, where it came from. This emitter covers what scenario files use
(mappings, lists, strings, numbers, booleans, dates) in block style; a small mapping or
list with no comments inside is written in flow style to stay readable. Numbers are
written positionally (never ``1e-07``, which YAML 1.1 reads as a string).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from typing import Any

import numpy as np

Path = tuple[str | int, ...]

_PLAIN = re.compile(r"^[a-z][a-z0-9_]*$")
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "none", "nan", "inf"}
SIGNIFICANT_DIGITS = 6
"""Enough to keep every fitted number well inside its confidence interval."""


def number(value: float) -> str:
    """A float as plain positional text with up to 6 significant digits."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if not math.isfinite(value):
        raise ValueError(f"cannot write a non-finite number ({value}) into a scenario")
    text = np.format_float_positional(
        float(value), precision=SIGNIFICANT_DIGITS, unique=False, fractional=False, trim="-"
    )
    return "0" if text in ("-0", "") else text


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | float | np.integer | np.floating):
        return number(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if _PLAIN.match(text) and text not in _YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)


def _key(key: str | int) -> str:
    return _scalar(str(key))


def _comment(text: str | None) -> str:
    if not text:
        return ""
    return "  # " + " ".join(text.split())


def _has_comments(path: Path, comments: dict[Path, str]) -> bool:
    n = len(path)
    return any(p[:n] == path and len(p) > n for p in comments)


def _flow(value: Any) -> str | None:
    """Flow style for small scalar-only containers (``{dist: gamma, mean: 3}``)."""
    if isinstance(value, dict):
        if not value or any(isinstance(v, dict | list) for v in value.values()):
            return None
        text = "{" + ", ".join(f"{_key(k)}: {_scalar(v)}" for k, v in value.items()) + "}"
    elif isinstance(value, list):
        if any(isinstance(v, dict | list) for v in value):
            return None
        text = "[" + ", ".join(_scalar(v) for v in value) + "]"
    else:
        return None
    return text if len(text) <= 80 else None


def _emit(value: Any, path: Path, indent: int, comments: dict[Path, str], out: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, dict):
        for key, child in value.items():
            child_path = (*path, key)
            note = _comment(comments.get(child_path))
            if isinstance(child, dict | list) and child:
                flow = None if _has_comments(child_path, comments) else _flow(child)
                if flow is not None:
                    out.append(f"{pad}{_key(key)}: {flow}{note}")
                else:
                    out.append(f"{pad}{_key(key)}:{note}")
                    _emit(child, child_path, indent + 2, comments, out)
            else:
                empty = (
                    "{}" if isinstance(child, dict) else "[]" if isinstance(child, list) else None
                )
                out.append(f"{pad}{_key(key)}: {empty or _scalar(child)}{note}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            item_path = (*path, i)
            note = _comment(comments.get(item_path))
            if isinstance(item, dict) and item:
                flow = None if _has_comments(item_path, comments) else _flow(item)
                if flow is not None:
                    out.append(f"{pad}- {flow}{note}")
                    continue
                lines: list[str] = []
                _emit(item, item_path, indent + 2, comments, lines)
                lines[0] = f"{pad}- {lines[0][indent + 2 :]}"
                if note:
                    out.append(f"{pad}- {note.strip()}")
                    lines[0] = " " * (indent + 2) + lines[0][indent + 2 :]
                out.extend(lines)
            else:
                out.append(f"{pad}- {_scalar(item)}{note}")


def dump(mapping: dict[str, Any], comments: dict[Path, str], header: list[str]) -> str:
    """The YAML text of ``mapping`` with ``comments`` at their paths and a header."""
    out = [f"# {line}".rstrip() for line in header]
    if header:
        out.append("")
    _emit(mapping, (), 0, comments, out)
    return "\n".join(out) + "\n"
