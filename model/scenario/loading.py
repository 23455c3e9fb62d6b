"""Reading scenario files: YAML, ``extends`` chains, field-path error lines, overrides.

Every path from text to a validated :class:`~model.scenario.contract.Scenario`
goes through here, so the rules for reading untrusted input live in one place.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from model.scenario.contract import Scenario, ScenarioError

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


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so pydantic validates them with a field path."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """Read a YAML file that must hold a mapping; errors name the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([f"{path}: file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ScenarioError([f"{path}: cannot be read ({exc})"]) from None
    try:
        data = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError([f"{path}:{where}: not valid YAML ({problem})"]) from None
    if not isinstance(data, dict):
        raise ScenarioError([f"{path}: must be a mapping of fields (got {type(data).__name__})"])
    return data


def resolve_extends(path: Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The raw mapping of a scenario with its `extends:` chain merged in."""
    if path.resolve() in _seen:
        chain = " -> ".join(p.name for p in (*_seen, path.resolve()))
        raise ScenarioError([f"{path}: extends: circular ({chain})"])
    data = read_yaml_mapping(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ScenarioError([f"{path}: extends: must be a file name"])
    base = resolve_extends(path.parent / parent, (*_seen, path.resolve()))
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
            isinstance(node, dict) and item in {str(v) for v in node.values()}
        ):
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
        msg = f"{msg} (got {value!r})"
    return msg


def validation_lines(exc: ValidationError, data: Any, origin: str) -> list[str]:
    """One line per problem: `file: field.path: what is wrong`."""
    lines = []
    for error in exc.errors():
        path = _field_path(tuple(error["loc"]), data)
        for message in _message(error).splitlines():
            lines.append(f"{origin}: {path + ': ' if path else ''}{message}")
    return lines


def scenario_from_mapping(data: dict[str, Any], origin: str = "<scenario>") -> Scenario:
    """Validate a raw mapping (e.g. a sweep variant or an app upload)."""
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(validation_lines(exc, data, origin)) from None


def load_scenario(path: str | Path) -> Scenario:
    """Load, merge `extends`, and validate a scenario file."""
    path = Path(path)
    return scenario_from_mapping(resolve_extends(path), str(path))


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
