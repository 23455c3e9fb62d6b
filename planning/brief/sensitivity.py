"""Which assumptions move the answer: each varied over a stated range, on the sweep machinery.

The factors and their ranges are in ``factors.yaml`` beside this module (each with its
basis). Every factor's low and high values become one variant of a sweep (the
``variants`` design) around a central scenario - an option at its recommended staffing -
so every variant runs with the sweep's seed: common random numbers, and the effect of a
factor is the paired per-replication difference from the central variant. The measure is
two cheap proxies for the staffing answer: the FTE the work needs at 100% utilisation,
all roles (how much more or less staff the assumption implies), and the binding target's
KPI at the recommended staffing (does the answer still hold if the assumption is wrong?).
"""

from __future__ import annotations

import copy
import fnmatch
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from model.engine.sources import DAYS_PER_YEAR
from model.replications import DEFAULT_CONFIDENCE, Estimate, estimate, meets, one_sided_bound
from model.scenario import Scenario
from planning.sweeps.design import Sweep, sweep_from_mapping
from planning.sweeps.run import LocalBackend, run_sweep
from planning.sweeps.store import SweepStore, read_store

FACTORS_FILE = Path(__file__).with_name("factors.yaml")
CENTRAL = "central"


@dataclass(frozen=True)
class Factor:
    name: str
    paths: tuple[str, ...]
    scale: tuple[float, float] | None
    values: tuple[float, float] | None
    share: bool


def load_factors(path: Path = FACTORS_FILE) -> list[Factor]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        Factor(
            name,
            tuple(spec["paths"]),
            tuple(spec["scale"]) if "scale" in spec else None,
            tuple(spec["values"]) if "values" in spec else None,
            bool(spec.get("share", False)),
        )
        for name, spec in data.items()
    ]


def _matches(raw: Any, parts: list[str], prefix: list[str]) -> list[list[str]]:
    """Concrete paths in ``raw`` matching ``parts`` (``*`` for any key or list index)."""
    if not parts:
        return [prefix]
    head, rest = parts[0], parts[1:]
    if isinstance(raw, dict):
        keys = [k for k in raw if fnmatch.fnmatchcase(str(k), head)]
        return [p for k in keys for p in _matches(raw[k], rest, [*prefix, str(k)])]
    if isinstance(raw, list):
        keys = range(len(raw)) if head == "*" else [int(head)] if head.isdigit() else []
        return [p for k in keys if k < len(raw) for p in _matches(raw[k], rest, [*prefix, str(k)])]
    return []


def _get(raw: Any, path: list[str]) -> Any:
    for part in path:
        raw = raw[int(part)] if isinstance(raw, list) else raw[part]
    return raw


def level_overrides(scenario: Scenario, factor: Factor, level: int) -> dict[str, Any]:
    """The sweep ``set`` changes for one level (0: low, 1: high) of a factor; {} if the
    factor names nothing in this scenario. A change inside a list sets the whole list
    (sweeps set lists whole)."""
    raw = scenario.model_dump(mode="json", by_alias=True)
    edited = copy.deepcopy(raw)
    touched: set[str] = set()
    for pattern in factor.paths:
        for path in _matches(raw, pattern.split("."), []):
            value = _get(raw, path)
            if not isinstance(value, int | float) or isinstance(value, bool):
                continue
            new = value * factor.scale[level] if factor.scale else factor.values[level]
            parent = _get(edited, path[:-1])
            key = int(path[-1]) if isinstance(parent, list) else path[-1]
            parent[key] = new
            if factor.share and isinstance(parent, dict):
                others = [k for k in parent if k != key]
                rest = sum(float(parent[k]) for k in others)
                for k in others:
                    parent[k] = float(parent[k]) * (1 - new) / rest if rest else 0.0
            # the override path stops at the first list (a sweep sets a list whole)
            cut = next((i for i in range(len(path)) if isinstance(_get(raw, path[:i]), list)), None)
            touched.add(".".join(path if cut is None else path[:cut]))
    if factor.share:
        touched = {p.rsplit(".", 1)[0] for p in touched}
    return {p: _get(edited, p.split(".")) for p in sorted(touched)}


def sensitivity_sweep(
    scenario_file: Path,
    scenario: Scenario,
    settings: dict[str, Any],
    factors: list[Factor],
    replications: int,
    seed: int,
) -> tuple[Sweep, dict[str, tuple[str, int]]]:
    """The sweep: ``central`` plus a low and a high variant per factor that applies."""
    variants: dict[str, dict[str, Any]] = {CENTRAL: {}}
    meaning: dict[str, tuple[str, int]] = {}
    for factor in factors:
        for level, word in enumerate(("low", "high")):
            changes = level_overrides(scenario, factor, level)
            if changes:
                variants[f"{factor.name}_{word}"] = changes
                meaning[f"{factor.name}_{word}"] = (factor.name, level)
    data = {
        "name": "brief_sensitivity",
        "base": str(Path(scenario_file).resolve()),
        "seed": seed,
        "replications": replications,
        "set": settings,
        "design": {"kind": "variants", "variants": variants},
    }
    return sweep_from_mapping(data, Path(scenario_file).resolve()), meaning


def _workload_fte(wide: pd.DataFrame, scenario: Scenario) -> pd.Series:
    """Per replication: staff-hours a year over one FTE's casework hours a year, summed over
    roles (the FTE equivalent of :mod:`planning.demand`: people busy all the time)."""
    total = pd.Series(0.0, index=wide.index)
    for role, definition in scenario.roles.items():
        column = f"staff_hours_per_year.{role}"
        hours = definition.casework_hours_per_day * DAYS_PER_YEAR
        if column in wide.columns and hours > 0:
            total = total + wide[column] / hours
    return total


def run_sensitivity(
    scenario_file: Path,
    scenario: Scenario,
    settings: dict[str, Any],
    target: str,
    out: Path,
    replications: int,
    seed: int,
    workers: int = 1,
    factors: list[Factor] | None = None,
    confidence: float = DEFAULT_CONFIDENCE,
) -> pd.DataFrame:
    """Run the sensitivity sweep into ``out`` (a sweep results folder) and measure each
    factor's effect, as paired differences from ``central`` (CI, n): on the FTE the work
    needs at 100% utilisation, all roles (``fte_*``: what moves the staffing answer), and on
    ``target``'s KPI at the recommended staffing (``target_*``), with whether the target is
    still met with confidence there (``met``). Rows by falling FTE swing."""
    factors = load_factors() if factors is None else factors
    sweep, meaning = sensitivity_sweep(
        scenario_file, scenario, settings, factors, replications, seed
    )
    resume = (out / "manifest.json").is_file()
    with SweepStore.open(out, sweep, resume=resume) as store, LocalBackend(workers) as backend:
        run_sweep(sweep, store, backend)
    wide = read_store(out).kpi_wide()
    kpi = f"target.{target}"
    rule = scenario.targets[target]
    central = wide.loc[CENTRAL]
    central_fte = _workload_fte(central, sweep.variant(CENTRAL).scenario)
    by_name = {f.name: f for f in factors}

    def met(values: pd.Series) -> bool:
        bound = one_sided_bound(values, rule.direction, confidence)
        return meets(bound, rule.direction, rule.threshold)

    rows = []
    for variant, (name, level) in meaning.items():
        here = wide.loc[variant]
        common = central.index.intersection(here.index)
        fte = _workload_fte(here, sweep.variant(variant).scenario)
        d_fte: Estimate = estimate(fte[common] - central_fte[common], confidence)
        d_kpi: Estimate = estimate(here.loc[common, kpi] - central.loc[common, kpi], confidence)
        factor = by_name[name]
        rows.append(
            {
                "factor": name,
                "level": "low" if level == 0 else "high",
                "scale": factor.scale[level] if factor.scale else np.nan,
                "value": factor.values[level] if factor.values else np.nan,
                "fte_difference": d_fte.mean,
                "fte_half_width": d_fte.half_width,
                "target_mean": estimate(here[kpi], confidence).mean,
                "target_difference": d_kpi.mean,
                "target_half_width": d_kpi.half_width,
                "n": d_fte.n,
                "met": met(here[kpi]),
            }
        )
    table = pd.DataFrame(rows)
    table.attrs.update(
        target=target,
        threshold=rule.threshold,
        direction=rule.direction,
        central_target=estimate(central[kpi], confidence),
        central_fte=estimate(central_fte, confidence),
        central_met=met(central[kpi]),
    )
    if not table.empty:
        swing = table.groupby("factor")["fte_difference"].apply(lambda d: d.abs().max())
        table["swing"] = table["factor"].map(swing)
        table = table.sort_values(["swing", "factor", "level"], ascending=[False, True, False])
        table = table.reset_index(drop=True)
    return table
