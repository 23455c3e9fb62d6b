"""Sweep files: a base scenario, the fields a planner varies, and how they are combined.

A sweep file (``scenarios/sweeps/*.yaml``) names a base scenario, changes applied to
every variant (``set``), a design that says which variants to simulate (a full grid of
axes, a list of named variants, or a Latin hypercube over ranges), and the replications
and seed. Fields are named by their dotted path in the scenario
(``roles.dc_investigator.fte``), exactly as :func:`model.scenario.with_overrides` takes
them.

Loading expands the design and validates every variant as a scenario, so every mistake
(an axis path that does not exist, an empty axis, reversed bounds, a value a scenario
would refuse) is reported one line per problem before anything runs.

Every variant is simulated with the sweep's seed, so replication ``r`` of every variant
draws from the same random streams (common random numbers): differences between variants
come from the variants, not from luck. A run (variant, replication) is a pure function of
(variant scenario, seed, replication), which is what lets any backend run it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, ValidationError, field_validator, model_validator
from scipy.stats import qmc

from model.engine.size import check_run_size
from model.scenario import (
    Name,
    Scenario,
    ScenarioError,
    StrictModel,
    load_scenario,
    read_yaml_mapping,
    validation_lines,
    with_overrides,
)

AxisPath = Annotated[str, Field(pattern=r"^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$", max_length=200)]

MAX_VARIANTS = 100_000
"""Largest design a sweep file may expand to. Every variant is validated and kept in memory
before anything runs (about 20 KB and a few milliseconds each), so a typo such as a grid of
ten axes with ten values each (10^10 variants) is refused instead of exhausting memory."""


# --------------------------------------------------------------------------- the file


def _canonical(value: Any) -> str:
    """A value's identity for duplicate checks (1 and 1.0 are the same setting)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return json.dumps(value, sort_keys=True)
    return repr(float(value))


class GridDesign(StrictModel):
    """Every combination of the axes' values (the full factorial)."""

    kind: Literal["grid"]
    axes: dict[AxisPath, list[Any]] = Field(
        min_length=1, description="Scenario field path -> the values it takes (at least one)."
    )

    @field_validator("axes")
    @classmethod
    def _values(cls, axes: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for path, values in axes.items():
            if not values:
                raise ValueError(f"{path}: lists no values (an axis needs at least one)")
            seen: set[str] = set()
            for value in values:
                key = _canonical(value)
                if key in seen:
                    raise ValueError(f"{path}: lists {value!r} twice")
                seen.add(key)
        size = math.prod(len(values) for values in axes.values())
        if size > MAX_VARIANTS:
            raise ValueError(f"the grid has {size:,} variants; at most {MAX_VARIANTS:,}")
        return axes


class VariantsDesign(StrictModel):
    """An explicit list of named variants, each a set of changes to the base."""

    kind: Literal["variants"]
    variants: dict[Name, dict[AxisPath, Any]] = Field(
        min_length=1,
        description="Variant name -> scenario field path -> value ({} is the base itself).",
    )


class Range(StrictModel):
    """The interval a Latin hypercube axis is sampled from."""

    low: float = Field(description="Smallest value.")
    high: float = Field(description="Largest value (must be above `low`).")
    integer: bool = Field(
        default=False,
        description="Whole numbers only, each of low..high equally likely (e.g. a head count).",
    )

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if not self.low < self.high:
            raise ValueError(
                f"low ({self.low:g}) must be below high ({self.high:g}): bounds reversed or equal"
            )
        if self.integer and not (self.low.is_integer() and self.high.is_integer()):
            raise ValueError("integer ranges need whole-number low and high")
        return self


class LatinHypercubeDesign(StrictModel):
    """`samples` points spread over the ranges so each axis's range is covered evenly."""

    kind: Literal["latin_hypercube"]
    samples: int = Field(ge=1, le=MAX_VARIANTS, description="Number of variants to draw.")
    seed: int = Field(
        ge=0, le=2**63 - 1, description="Seed of the design (which points are drawn; below 2^63)."
    )
    ranges: dict[AxisPath, Range] = Field(
        min_length=1, description="Scenario field path -> range it is sampled from."
    )


Design = Annotated[GridDesign | VariantsDesign | LatinHypercubeDesign, Field(discriminator="kind")]


class SweepFile(StrictModel):
    """The contract of a sweep file: see docs/sweeps.md for every field."""

    name: Name = Field(description="Short name of the sweep (used in reports).")
    description: str = Field(default="", description="What the sweep explores.")
    base: str = Field(description="Base scenario file, relative to the sweep file.")
    seed: int = Field(
        ge=0,
        le=2**63 - 1,
        description="Seed of every run (all variants share it; below 2^63, as the results "
        "store keeps it in a signed 64-bit BIGINT column).",
    )
    replications: int = Field(ge=1, le=10_000, description="Replications of every variant.")
    overrides: dict[AxisPath, Any] = Field(
        default_factory=dict,
        alias="set",
        description="Changes applied to every variant before the design's values.",
    )
    design: Design = Field(description="Which variants to simulate.")


# --------------------------------------------------------------------------- expanded


@dataclass(frozen=True)
class Axis:
    """A scenario field the design varies; `label` is the shortest unambiguous name."""

    path: str
    label: str
    values: tuple[Any, ...] | None  # the grid's values; None for a Latin hypercube range


@dataclass(frozen=True)
class Variant:
    """One scenario of the sweep: the base with this variant's values set."""

    id: str
    label: str
    values: dict[str, Any]
    scenario: Scenario


@dataclass(frozen=True)
class Sweep:
    """A validated sweep file with its design expanded into variants."""

    path: Path
    spec: SweepFile
    base: Scenario
    axes: tuple[Axis, ...]
    variants: tuple[Variant, ...]
    content_hash: str

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def seed(self) -> int:
        return self.spec.seed

    @property
    def replications(self) -> int:
        return self.spec.replications

    @property
    def design_kind(self) -> str:
        return self.spec.design.kind

    @property
    def total_runs(self) -> int:
        return len(self.variants) * self.replications

    def variant(self, variant_id: str) -> Variant:
        for variant in self.variants:
            if variant.id == variant_id:
                return variant
        raise KeyError(variant_id)


def format_value(value: Any) -> str:
    """A value as a planner reads it in labels and chart ticks (numpy scalars too, as
    they come out of tables)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def short_labels(paths: list[str]) -> list[str]:
    """The shortest trailing part of each path, of two names at least, that tells the paths
    apart (``sources.ict_monitoring.devices_covered`` -> ``ict_monitoring.devices_covered``):
    one name alone is often ambiguous to a reader (``fte`` of which role?)."""
    labels = []
    split = [p.split(".") for p in paths]
    for parts in split:
        for k in range(min(2, len(parts)), len(parts) + 1):
            tail = parts[-k:]
            clashes = [other for other in split if other is not parts and other[-k:] == tail]
            if not clashes:
                labels.append(".".join(tail))
                break
        else:
            labels.append(".".join(parts))
    return labels


def _path_problem(data: dict[str, Any], path: str) -> str | None:
    """Why ``path`` names no field of the scenario (None if it does)."""
    node: Any = data
    walked: list[str] = []
    for part in path.split("."):
        if isinstance(node, list):
            return (
                f"{'.'.join(walked)} is a list: a sweep sets a whole list "
                f"(use {'.'.join(walked)} as the path)"
            )
        if not isinstance(node, dict) or part not in node:
            where = ".".join(walked) or "the scenario"
            known = ", ".join(sorted(node)) if isinstance(node, dict) else "no fields"
            return f"no such field in the base scenario ({where} has: {known})"
        node = node[part]
        walked.append(part)
    return None


def latin_hypercube(design: LatinHypercubeDesign) -> list[dict[str, Any]]:
    """The design's points: one per stratum of every axis, in a seeded random pairing."""
    paths = list(design.ranges)
    unit = qmc.LatinHypercube(d=len(paths), rng=np.random.default_rng(design.seed)).random(
        design.samples
    )
    points = []
    for row in unit:
        point: dict[str, Any] = {}
        for path, u in zip(paths, row, strict=True):
            r = design.ranges[path]
            if r.integer:
                count = int(r.high - r.low) + 1
                point[path] = int(r.low) + min(int(u * count), count - 1)
            else:
                point[path] = float(r.low + u * (r.high - r.low))
        points.append(point)
    return points


def _design_points(design: Design) -> tuple[list[Axis], list[tuple[str, dict[str, Any]]]]:
    """Axes and (variant id, values) pairs, in the design's order."""
    if isinstance(design, VariantsDesign):
        paths = sorted({p for values in design.variants.values() for p in values})
        axes = [
            Axis(path, label, None) for path, label in zip(paths, short_labels(paths), strict=True)
        ]
        return axes, [(name, dict(values)) for name, values in design.variants.items()]
    if isinstance(design, GridDesign):
        paths = list(design.axes)
        axes = [
            Axis(path, label, tuple(design.axes[path]))
            for path, label in zip(paths, short_labels(paths), strict=True)
        ]
        points = [
            dict(zip(paths, combo, strict=True))
            for combo in itertools.product(*(design.axes[p] for p in paths))
        ]
    else:
        paths = list(design.ranges)
        axes = [
            Axis(path, label, None) for path, label in zip(paths, short_labels(paths), strict=True)
        ]
        points = latin_hypercube(design)
    width = max(2, len(str(len(points))))
    return axes, [(f"v{i + 1:0{width}d}", point) for i, point in enumerate(points)]


def _sweep_hash(spec: SweepFile, variants: list[Variant]) -> str:
    """What the sweep means, not how the file is written: the seed, the replications and
    every variant's scenario. Editing the base scenario changes it; comments do not."""
    canonical = json.dumps(
        {
            "seed": spec.seed,
            "replications": spec.replications,
            "variants": [[v.id, v.scenario.content_hash()] for v in variants],
        },
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def sweep_from_mapping(data: dict[str, Any], path: Path) -> Sweep:
    """Validate a sweep file's mapping, load its base and expand and check every variant."""
    origin = str(path)
    try:
        spec = SweepFile.model_validate(data)
    except ValidationError as exc:
        lines = validation_lines(exc, data, origin)
        raise ScenarioError(
            [line.replace("docs/scenario-reference.md", "docs/sweeps.md") for line in lines]
        ) from None

    base_path = path.parent / spec.base
    if not base_path.is_file():
        raise ScenarioError([f"{origin}: base: file not found ({base_path})"])
    base = load_scenario(base_path)
    raw = base.model_dump(mode="json", by_alias=True)

    problems = [
        f"{origin}: set.{p}: {why}" for p in spec.overrides if (why := _path_problem(raw, p))
    ]
    design = spec.design
    if isinstance(design, VariantsDesign):
        for name, values in design.variants.items():
            problems += [
                f"{origin}: design.variants.{name}.{p}: {why}"
                for p in values
                if (why := _path_problem(raw, p))
            ]
    else:
        grid = isinstance(design, GridDesign)
        prefix, paths = ("design.axes", design.axes) if grid else ("design.ranges", design.ranges)
        problems += [
            f"{origin}: {prefix}.{p}: {why}" for p in paths if (why := _path_problem(raw, p))
        ]
    if problems:
        raise ScenarioError(problems)
    if spec.overrides:
        base = with_overrides(base, spec.overrides, f"{origin}: set")

    axes, points = _design_points(design)
    variants, failures = _expand(base, axes, points, named=isinstance(design, VariantsDesign))
    if failures:
        raise ScenarioError(
            [
                f"{origin}: variant {where[0]}: {message}"
                + (
                    f" (and {len(where) - 1} more variant{'s' if len(where) > 2 else ''})"
                    if len(where) > 1
                    else ""
                )
                for message, where in failures.items()
            ]
        )
    return Sweep(
        path=path,
        spec=spec,
        base=base,
        axes=tuple(axes),
        variants=tuple(variants),
        content_hash=_sweep_hash(spec, variants),
    )


def _expand(
    base: Scenario, axes: list[Axis], points: list[tuple[str, dict[str, Any]]], named: bool
) -> tuple[list[Variant], dict[str, list[str]]]:
    """Every variant's scenario. Problems are grouped by message, so one bad axis value
    shared by many grid variants is one line naming the first of them."""
    label_of = {axis.path: axis.label for axis in axes}
    variants: list[Variant] = []
    failures: dict[str, list[str]] = {}
    marker = "\x00"
    for variant_id, values in points:
        settings = ", ".join(f"{label_of[p]}={format_value(v)}" for p, v in values.items())
        label = variant_id if named else settings
        try:
            scenario = with_overrides(base, values, marker)
            check_run_size(scenario, marker)  # refused before the sweep starts, not mid-way
        except ScenarioError as exc:
            where = f"{variant_id} ({settings or 'the base'})"
            for line in exc.lines:
                message = line.removeprefix(f"{marker}: ").replace(marker, "")
                failures.setdefault(message, []).append(where)
            continue
        variants.append(Variant(variant_id, label, values, scenario))
    return variants, failures


def load_sweep(
    path: str | Path, replications: int | None = None, horizon_years: float | None = None
) -> Sweep:
    """Load and validate a sweep file; raises :class:`ScenarioError` with one line a problem.

    ``replications`` and ``horizon_years`` override the file's (a quick trial of a big
    sweep); they change what the sweep means, and so its content hash."""
    path = Path(path)
    data = read_yaml_mapping(path)
    if replications is not None:
        data["replications"] = replications
    if horizon_years is not None:
        overrides = data.get("set")
        data["set"] = {
            **(overrides if isinstance(overrides, dict) else {}),
            "horizon_years": horizon_years,
        }
    return sweep_from_mapping(data, path)
