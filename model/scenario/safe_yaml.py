"""Reading a YAML file a stranger may have written, without letting it read, hang or exhaust.

Every YAML file the tool reads (scenario files, ``extends`` parents, sweep files, the
scenario a user uploads to the app) goes through :func:`read_yaml_file` or
:func:`parse_yaml_text`, so the rules live in one place (their bases are in
docs/limits.md):

- only regular files are read; the type is checked with ``os.stat`` *before* the file is
  opened for its content (``/dev/zero``, FIFOs, ``/dev/stdin`` and folders are refused),
  opened non-blocking and checked again on the open descriptor (a file swapped for a FIFO
  in between cannot block), and at most :data:`MAX_FILE_BYTES` are read;
- libyaml's parser (``yaml.CSafeLoader``: safe tags only, about 10x faster than the pure
  Python parser on a large file), with dates left as text so pydantic validates them and
  names the field;
- nesting deeper than :data:`MAX_DEPTH` is refused before any value is constructed
  (libyaml itself stops at 1,000 levels; the walk below is iterative and the constructor
  never sees more than :data:`MAX_DEPTH`, so a 20,000-deep file cannot raise
  ``RecursionError``);
- anchors and aliases stay allowed (the shipped baseline shares a mix with ``*alert_mix``)
  but the size of the document *with every alias expanded* is counted without expanding it
  (memoised per node) and refused beyond :data:`MAX_EXPANDED_NODES`, so a "billion laughs"
  file fails in milliseconds instead of hanging validation or error formatting;
- a key given twice in one mapping is an error naming both lines (YAML says keys are unique;
  PyYAML would silently keep the last);
- integers longer than :data:`MAX_INT_DIGITS` digits are refused with the line (Python's own
  limit would raise a ``ValueError`` deep inside the constructor).

Every failure is a :class:`ScenarioError` with one line that names the file.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

import yaml

from model.scenario.contract import ScenarioError

MAX_FILE_BYTES = 2_000_000
"""Largest YAML file read (2 MB). Basis: the shipped baseline is 16 KB; a calibrated
scenario with empirical distributions of a few thousand observed values is a few hundred KB."""

MAX_DEPTH = 32
"""Deepest nesting of mappings and lists. Basis: the deepest scenario path
(stages.x.routing.rules.0.when.category.0) is 7 levels; 32 leaves ample room."""

MAX_EXPANDED_NODES = 1_000_000
"""Most YAML nodes in a document once every alias is expanded. Basis: a 2 MB file without
aliases holds at most about 400,000 values; validation of this many takes seconds."""

MAX_INT_DIGITS = 30
"""Longest integer literal. Basis: the largest integer a scenario takes is a seed below
2**63 (19 digits)."""

_TIMESTAMP = "tag:yaml.org,2002:timestamp"


class _Loader(yaml.CSafeLoader):
    """libyaml's safe loader that leaves dates as text (pydantic validates them with a field
    path), refuses duplicate keys and over-long integers."""

    origin = "<yaml>"

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else id(key_node)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise ScenarioError(
                    [
                        f"{self.origin}: line {line}: key '{_short(key)}' given twice "
                        f"(first on line {seen[key]}); each key may appear once"
                    ]
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        digits = str(node.value).lstrip("+-").replace("_", "")
        if len(digits) > MAX_INT_DIGITS:
            raise ScenarioError(
                [
                    f"{self.origin}: line {node.start_mark.line + 1}: number with "
                    f"{len(digits):,} digits is too long (at most {MAX_INT_DIGITS})"
                ]
            )
        return super().construct_yaml_int(node)


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP]
    for first, resolvers in yaml.CSafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_yaml_map)


def _short(value: Any, limit: int = 60) -> str:
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _yaml_problem(origin: str, exc: yaml.YAMLError) -> ScenarioError:
    mark = getattr(exc, "problem_mark", None)
    where = f" line {mark.line + 1}:" if mark is not None else ""
    problem = getattr(exc, "problem", None) or (str(exc).splitlines() or ["syntax error"])[0]
    return ScenarioError([f"{origin}:{where} not valid YAML ({_short(problem, 120)})"])


def _expanded_size(root: yaml.Node, origin: str) -> int:
    """Nodes in the document with every alias expanded, counted without expanding it
    (memoised per node), and the nesting depth checked on the way down (iteratively, so
    deep nesting cannot raise ``RecursionError`` here)."""
    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, list[yaml.Node] | None]] = [(root, 1, None)]
    while stack:
        node, depth, children = stack.pop()
        if children is not None:  # second visit: every child is sized
            total = 1 + sum(1 if c.id == "scalar" else size[id(c)] for c in children)
            if total > MAX_EXPANDED_NODES:
                raise ScenarioError(
                    [
                        f"{origin}: line {node.start_mark.line + 1}: anchors and aliases expand "
                        f"to more than {MAX_EXPANDED_NODES:,} values"
                    ]
                )
            size[id(node)] = total
            continue
        if id(node) in size or node.id == "scalar":
            continue
        if depth > MAX_DEPTH:
            raise ScenarioError(
                [f"{origin}: line {node.start_mark.line + 1}: nested more than {MAX_DEPTH} deep"]
            )
        if node.id == "mapping":
            children = [n for pair in node.value for n in pair]
        else:
            children = list(node.value)
        stack.append((node, depth, children))
        stack.extend(
            (c, depth + 1, None) for c in children if c.id != "scalar" and id(c) not in size
        )
    return size.get(id(root), 1)


def parse_yaml_text(text: str, origin: str) -> Any:
    """The data of one YAML document, under the limits above; errors name ``origin``."""
    if len(text) > MAX_FILE_BYTES:
        raise ScenarioError([f"{origin}: larger than {MAX_FILE_BYTES:,} bytes"])
    try:
        loader = _Loader(text)
        loader.origin = origin
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            _expanded_size(node, origin)
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        raise _yaml_problem(origin, exc) from None
    except RecursionError:
        raise ScenarioError([f"{origin}: nested too deeply to read"]) from None
    except (ValueError, OverflowError, TypeError) as exc:
        raise ScenarioError([f"{origin}: cannot be read ({_short(exc, 120)})"]) from None


def read_regular_file(path: Path, origin: str | None = None) -> str:
    """The text of a regular file of at most :data:`MAX_FILE_BYTES`, checked before reading."""
    origin = str(path) if origin is None else origin
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise ScenarioError([f"{origin}: file not found"]) from None
    except OSError as exc:
        raise ScenarioError([f"{origin}: cannot be read ({exc.strerror})"]) from None
    if stat.S_ISDIR(info.st_mode):
        raise ScenarioError([f"{origin}: is a folder, not a file"])
    if not stat.S_ISREG(info.st_mode):
        raise ScenarioError([f"{origin}: not a regular file (a device, pipe or socket)"])
    if info.st_size > MAX_FILE_BYTES:
        raise ScenarioError(
            [f"{origin}: {info.st_size:,} bytes is larger than the limit of {MAX_FILE_BYTES:,}"]
        )
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise ScenarioError([f"{origin}: cannot be read ({exc.strerror})"]) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped since the check above
            raise ScenarioError([f"{origin}: not a regular file (a device, pipe or socket)"])
        chunks: list[bytes] = []
        remaining = MAX_FILE_BYTES + 1
        while remaining > 0:
            try:
                chunk = os.read(fd, min(remaining, 1 << 20))
            except OSError as exc:
                if exc.errno == errno.EAGAIN:
                    raise ScenarioError([f"{origin}: not a regular file"]) from None
                raise ScenarioError([f"{origin}: cannot be read ({exc.strerror})"]) from None
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > MAX_FILE_BYTES:
        raise ScenarioError([f"{origin}: larger than the limit of {MAX_FILE_BYTES:,} bytes"])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError([f"{origin}: not UTF-8 text"]) from None


def read_yaml_file(path: Path, origin: str | None = None) -> Any:
    """Read and parse a YAML file under every limit of this module."""
    origin = str(path) if origin is None else origin
    return parse_yaml_text(read_regular_file(path, origin), origin)
