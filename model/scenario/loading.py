"""Reading scenario files: YAML, ``extends`` chains, field-path error lines, overrides.

Every path from text to a validated :class:`~model.scenario.contract.Scenario`
goes through here, so the rules for reading untrusted input live in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from model.scenario.contract import Scenario, ScenarioError
from model.scenario.safe_yaml import read_yaml_file

REPLACED_WHOLE = frozenset(
    {"category", "priority", "apsp_probability_by_category", "default", "routes"}
)
"""Probability tables: a variant's table replaces the base's, since half a table means nothing."""


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Override wins; mappings merge key by key, except probability tables (replaced whole);
    lists are replaced; `null` removes a key (back to its default)."""
    merged = dict(base)
    for key, value in override.items():
        if value is None:
            merged.pop(key, None)
        elif (
            isinstance(value, dict)
            and isinstance(merged.get(key), dict)
            and key not in REPLACED_WHOLE
        ):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


SHIPPED_SCENARIOS_DIR = Path(__file__).resolve().parents[2] / "scenarios"
"""The scenarios shipped with the tool: the only files an uploaded scenario may extend."""

MAX_EXTENDS_DEPTH = 16
"""Longest `extends` chain. Basis: the shipped variants extend the baseline directly (depth 1);
a planner's own chain of variants of variants is a handful deep."""

_BARE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")


@dataclass(frozen=True)
class ExtendsFrom:
    """Where a scenario's `extends:` may point.

    ``folder=None`` (:data:`ANY_FILE`, the CLI's rule): any path, relative to the referring
    file's folder, or absolute: the user reads their own files. With a folder
    (:data:`SHIPPED_ONLY`, the app's rule for uploads): only a bare file name (``baseline``
    or ``baseline.yaml``) of a ``.yaml`` file in that folder; anything else is refused from
    the text of the name alone, without reading or even stat-ing the path it names.
    """

    folder: Path | None = None

    def parent_of(self, referring: Path, name: str) -> Path:
        if self.folder is None:
            return referring.parent / name
        candidate = name if name.endswith((".yaml", ".yml")) else f"{name}.yaml"
        allowed = sorted(p.name for p in self.folder.glob("*.yaml"))
        if not _BARE_NAME.fullmatch(candidate) or ".." in candidate or candidate not in allowed:
            raise ScenarioError(
                [
                    f"{referring.name}: extends: an uploaded scenario may only extend a "
                    f"shipped scenario by name (one of: {', '.join(allowed)})"
                ]
            )
        return self.folder / candidate


ANY_FILE = ExtendsFrom()
SHIPPED_ONLY = ExtendsFrom(SHIPPED_SCENARIOS_DIR)


def read_yaml_mapping(path: Path, origin: str | None = None) -> dict[str, Any]:
    """Read a YAML file that must hold a mapping (see :mod:`model.scenario.safe_yaml` for
    the limits); errors name the file."""
    origin = str(path) if origin is None else origin
    data = read_yaml_file(path, origin)
    if not isinstance(data, dict):
        raise ScenarioError([f"{origin}: must be a mapping of fields (got {type(data).__name__})"])
    return data


def resolve_extends(
    path: Path, extends_from: ExtendsFrom = ANY_FILE, _seen: tuple[Path, ...] = ()
) -> dict[str, Any]:
    """The raw mapping of a scenario with its `extends:` chain merged in.

    A problem in a parent file names the parent and the file that extends it."""
    path = Path(path)
    if len(_seen) > MAX_EXTENDS_DEPTH:
        raise ScenarioError(
            [f"{_seen[0]}: extends: chain longer than {MAX_EXTENDS_DEPTH} files (at {path.name})"]
        )
    if path.resolve() in _seen:
        chain = " -> ".join(p.name for p in (*_seen, path.resolve()))
        raise ScenarioError([f"{path}: extends: circular ({chain})"])
    data = read_yaml_mapping(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError([f"{path}: extends: must be a file name"])
    parent_path = extends_from.parent_of(path, parent)
    try:
        base = resolve_extends(parent_path, extends_from, (*_seen, path.resolve()))
    except ScenarioError as exc:
        raise ScenarioError(
            [
                line if "(extended by " in line else f"{line} (extended by {path})"
                for line in exc.lines
            ]
        ) from None
    return _deep_merge(base, data)


def _field_path(loc: tuple[Any, ...], data: Any) -> str:
    """Dotted path of an error, without pydantic's union-tag and validator entries."""
    parts: list[str] = []
    node = data
    for item in loc:
        in_dict = isinstance(node, dict) and item in node
        in_list = isinstance(node, list) and isinstance(item, int) and item < len(node)
        if in_dict or in_list:
            parts.append(str(item))
            node = node[item]
        elif isinstance(item, str) and (
            isinstance(node, dict)
            and item in {str(v) for v in node.values() if isinstance(v, str | int | float)}
        ):  # scalars only: str() of an aliased mapping would expand it
            continue  # a discriminated union's tag (e.g. 'gamma'): not a field
        elif isinstance(item, str) and item.startswith(("function-", "json-or-python")):
            continue
        else:
            parts.append(str(item))
            node = None
    return ".".join(parts)


def _message(error: dict[str, Any]) -> str:
    msg = str(error["msg"])
    for prefix in ("Value error, ", "Assertion failed, "):
        msg = msg.removeprefix(prefix)
    if error["type"] == "extra_forbidden":
        return "unknown field (check the spelling; see docs/scenario-reference.md)"
    if error["type"] == "missing":
        return "required field is missing"
    ctx = error.get("ctx") or {}
    tag_field = str(ctx.get("discriminator", "kind")).strip("'")
    if error["type"] == "union_tag_invalid":
        return (
            f"unknown {tag_field} {ctx.get('tag')!r} (expected one of {ctx.get('expected_tags')})"
        )
    if error["type"] == "union_tag_not_found":
        return f"needs a '{tag_field}' field saying which kind it is"
    value = error.get("input")
    if error["type"] not in ("model_type", "dict_type") and isinstance(value, str | int | float):
        shown = repr(value)
        if len(shown) > 80:  # a 2 MB string in the wrong field is not worth echoing whole
            shown = shown[:77] + "..."
        msg = f"{msg} (got {shown})"
    return msg


def validation_lines(exc: ValidationError, data: Any, origin: str) -> list[str]:
    """One line per problem: `file: field.path: what is wrong`."""
    lines = []
    for error in exc.errors(include_url=False, include_context=True, include_input=True):
        path = _field_path(tuple(error["loc"]), data)
        for message in _message(error).splitlines():
            inner = _INNER_FIELD.match(message) if path else None
            if inner:  # a model-level check naming its field ('value: must be a number')
                path, message = f"{path}.{inner[1]}", inner[2]
            lines.append(f"{origin}: {path + ': ' if path else ''}{message}")
            if inner:
                path = path.rsplit(".", inner[1].count(".") + 1)[0]
    return lines


_INNER_FIELD = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*): (must be a number.*)$")


def scenario_from_mapping(data: dict[str, Any], origin: str = "<scenario>") -> Scenario:
    """Validate a raw mapping (e.g. a sweep variant or an app upload)."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(validation_lines(exc, data, origin)) from None


def load_scenario(path: str | Path, extends_from: ExtendsFrom = ANY_FILE) -> Scenario:
    """Load, merge `extends`, and validate a scenario file."""
    path = Path(path)
    return scenario_from_mapping(resolve_extends(path, extends_from), str(path))


def with_overrides(
    scenario: Scenario, changes: dict[str, Any], origin: str = "<override>"
) -> Scenario:
    """A re-validated copy of ``scenario`` with dotted-path changes (``roles.ds.fte``: 3)."""
    data = scenario.model_dump(mode="json", by_alias=True, exclude_unset=False)
    for path, value in changes.items():
        node = data
        parts = path.split(".")
        for part in parts[:-1]:
            if not isinstance(node, dict) or part not in node:
                raise ScenarioError([f"{origin}: {path}: no such field in the scenario"])
            node = node[part]
        if not isinstance(node, dict):
            raise ScenarioError([f"{origin}: {path}: no such field in the scenario"])
        node[parts[-1]] = value
    return scenario_from_mapping(data, origin)
