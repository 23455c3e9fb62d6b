"""Input uncertainty: bootstrap the extract into parameter sets, and propagate them.

Fitted inputs are estimates. A 95% interval from replications of one fitted scenario
covers only the randomness of the process, as if the inputs were known exactly. To
cover both, calibration resamples the extract (a *bootstrap*), refits every value with
the same model structure, and keeps each refit as a *parameter set*: the scenario's
fitted values as ``with_overrides`` paths. They are stored beside the scenario
(``NAME.input-sets.json``) so ``acusim run SCENARIO --input-uncertainty N`` can run
``R`` replications of each of ``N`` sets and split the spread of every KPI into

* process randomness: the variance between replications of the same set, and
* input uncertainty: the extra variance between sets' means (nested one-way random
  effects, e.g. Barton 2012, "Tutorial: input uncertainty in output analysis").

The resampling is a Poisson bootstrap of referrals (each appears Poisson(1) times, its
stage events with it), so the number of referrals varies as a count does; where a
source's weekly counts are over-dispersed, the Poisson mean is a weekly gamma multiplier
with the fitted burst cv, so bursty demand keeps its extra uncertainty.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from concurrent.futures import Executor
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from calibration.calibrate import fit_extract
from calibration.estimates import fmt
from calibration.extract import Extract
from calibration.types import Calibration, CalibrationError
from calibration.wording import Message
from calibration.writer import json_safe, override_values, render_scenario
from model.problems import Problems
from model.replications import process_pool, run_replications
from model.scenario import Scenario, ScenarioError, read_yaml_mapping, with_overrides

SCHEMA = "acusim.input-sets/1"
SUFFIX = ".input-sets.json"
MAX_ATTEMPTS_PER_SET = 3
"""A resample can lack what a fit needs (no finished visit at a rare stage); it is
redrawn, at most this many times per set, and the number redrawn is reported."""


class InputUncertaintyError(Problems):
    """Input uncertainty cannot be run; ``lines`` holds one message per problem."""


# --------------------------------------------------------------------------- bootstrap


def _weights(extract: Extract, calibration: Calibration, rng: np.random.Generator) -> np.ndarray:
    """Copies of each referral in one Poisson bootstrap sample."""
    refs = extract.referrals
    mean = np.ones(len(refs))
    week = np.floor(refs["received"].to_numpy() / 7.0).astype(int)
    for source, fit in calibration.arrivals.items():
        if fit.burst_cv is None:
            continue
        shape = 1.0 / fit.burst_cv.value**2
        multipliers = rng.gamma(shape, 1.0 / shape, int(week.max()) + 1)
        rows = (refs["source"] == source).to_numpy()
        mean[rows] = multipliers[week[rows]]
    return rng.poisson(mean)


def _one_set(
    extract: Extract, calibration: Calibration, seed: int, index: int
) -> tuple[dict[str, Any] | None, str | None, int]:
    """Parameter set ``index`` (redrawn if a resample cannot be fitted)."""
    last_error = None
    for attempt in range(MAX_ATTEMPTS_PER_SET):
        rng = np.random.default_rng([seed, index, attempt])
        sample = extract.resampled(_weights(extract, calibration, rng))
        try:
            refit = fit_extract(
                sample,
                calibration.settings,
                calibration.template,
                structure=calibration.structure,
                light=True,
            )
            _, mapping, _ = render_scenario(refit)
        except CalibrationError as exc:
            last_error = exc.lines[0]
            continue
        return json_safe(override_values(mapping)), None, attempt
    return None, last_error, MAX_ATTEMPTS_PER_SET


def _chunk(
    extract: Extract, calibration: Calibration, seed: int, indices: list[int]
) -> list[tuple[dict[str, Any] | None, str | None, int]]:
    return [_one_set(extract, calibration, seed, i) for i in indices]


def bootstrap_parameter_sets(
    extract: Extract,
    calibration: Calibration,
    n: int,
    seed: int = 1,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[dict[str, Any]], list[dict[str, object]]]:
    """``n`` parameter sets and the spread of each fitted value across them.

    Set ``i`` depends only on (extract, seed, i), so the sets are the same whatever the
    number of workers."""
    if n < 1:
        return [], []
    indices = list(range(n))
    results: dict[int, tuple[dict[str, Any] | None, str | None, int]] = {}
    if workers <= 1:
        for i in indices:
            results[i] = _one_set(extract, calibration, seed, i)
            if progress:
                progress(1)
    else:
        light = _light_calibration(calibration)
        parts = [list(p) for p in np.array_split(np.asarray(indices), workers * 4) if len(p)]
        with process_pool(workers) as pool:
            futures = {
                pool.submit(_chunk, extract, light, seed, [int(i) for i in part]): part
                for part in parts
            }
            for future, part in futures.items():
                for i, result in zip(part, future.result(), strict=True):
                    results[int(i)] = result
                if progress:
                    progress(len(part))
    failures = [results[i][1] for i in indices if results[i][0] is None]
    if failures:
        raise CalibrationError(
            [
                Message(
                    "fit_messages.bootstrap_failed",
                    failed=len(failures),
                    n=n,
                    draws=MAX_ATTEMPTS_PER_SET,
                    reason=failures[0],
                )
            ]
        )
    sets = [results[i][0] for i in indices]
    redrawn = sum(results[i][2] for i in indices)
    base = json_safe(override_values(render_scenario(calibration)[1]))
    spread = spread_table(base, sets)  # type: ignore[arg-type]
    if spread and redrawn:
        spread[0]["redrawn"] = redrawn
    return sets, spread  # type: ignore[return-value]


def _light_calibration(calibration: Calibration) -> Calibration:
    """The calibration without plot data, to send to worker processes."""
    import copy

    light = copy.copy(calibration)
    light.stages = {k: copy.copy(v) for k, v in calibration.stages.items()}
    for stage in light.stages.values():
        for name in ("wait", "service", "sojourn"):
            fit = getattr(stage, name)
            if fit is not None:
                fit = copy.copy(fit)
                fit.km = None
                setattr(stage, name, fit)
    return light


def _leaves(value: Any, prefix: str) -> dict[str, float]:
    if isinstance(value, dict):
        out: dict[str, float] = {}
        for k, v in value.items():
            out.update(_leaves(v, f"{prefix}.{k}"))
        return out
    if isinstance(value, list):
        out = {}
        for i, v in enumerate(value):
            out.update(_leaves(v, f"{prefix}.{i}"))
        return out
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {prefix: float(value)}
    return {}


def spread_table(base: dict[str, Any], sets: list[dict[str, Any]]) -> list[dict[str, object]]:
    """Percentiles of each fitted number across the sets (attribute mixes left out: many
    small shares, shown with their multinomial intervals instead)."""
    fitted = {
        k: v
        for path, value in base.items()
        if ".mix" not in path
        for k, v in _leaves(value, path).items()
    }
    samples: dict[str, list[float]] = {k: [] for k in fitted}
    for one in sets:
        leaves = {}
        for path, value in one.items():
            leaves.update(_leaves(value, path))
        for key in samples:
            if key in leaves:
                samples[key].append(leaves[key])
    rows = []
    for key, values in samples.items():
        if len(values) < 2 or key.endswith(".probability"):
            continue
        lo, mid, hi = np.percentile(values, [2.5, 50, 97.5])
        rows.append(
            {
                "path": key,
                "fitted": fitted[key],
                "p2_5": float(lo),
                "median": float(mid),
                "p97_5": float(hi),
                "n": len(values),
            }
        )
    return rows


# --------------------------------------------------------------------------- sidecar file


def parameter_sets_path(scenario_file: Path) -> Path:
    """Where a scenario's parameter sets live: beside it, ``NAME.input-sets.json``."""
    return scenario_file.with_name(scenario_file.stem + SUFFIX)


def parameter_sets_json(scenario: Scenario, sets: list[dict[str, Any]], seed: int) -> str:
    """The parameter-set file's text (JSON; only fitted values, no case data)."""
    payload = {
        "schema": SCHEMA,
        "scenario": scenario.name,
        "content_hash": scenario.content_hash(),
        "seed": seed,
        "n": len(sets),
        "method": "Poisson bootstrap of referrals (weekly gamma multiplier where "
        "over-dispersed), refitted with the calibrated structure",
        "sets": sets,
    }
    return json.dumps(payload, indent=1) + "\n"


def write_parameter_sets(
    scenario_file: Path, scenario: Scenario, sets: list[dict[str, Any]], seed: int
) -> Path:
    path = parameter_sets_path(scenario_file)
    path.write_text(parameter_sets_json(scenario, sets, seed), encoding="utf-8")
    return path


def find_parameter_sets(scenario_file: Path) -> Path:
    """The parameter sets of a scenario, or of the scenario it ``extends`` (a variant)."""
    seen: list[Path] = []
    current = scenario_file
    while current not in seen:
        seen.append(current)
        candidate = parameter_sets_path(current)
        if candidate.is_file():
            return candidate
        try:
            parent = read_yaml_mapping(current).get("extends")
        except ScenarioError:
            break
        if not isinstance(parent, str):
            break
        current = current.parent / parent
    raise InputUncertaintyError(
        [
            f"{parameter_sets_path(scenario_file)}: not found: --input-uncertainty needs the "
            "parameter sets that `acusim calibrate --bootstrap N` writes beside the "
            "calibrated scenario"
        ]
    )


def read_parameter_sets(path: Path, n: int) -> list[dict[str, Any]]:
    """The first ``n`` sets of a parameter-set file, checked."""
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputUncertaintyError([f"{path}: cannot be read as parameter sets ({exc})"]) from None
    if not isinstance(payload, dict) or payload.get("schema") != SCHEMA:
        raise InputUncertaintyError([f"{path}: not an acusim parameter-set file ({SCHEMA})"])
    sets = payload.get("sets")
    if not isinstance(sets, list) or not all(isinstance(s, dict) for s in sets):
        raise InputUncertaintyError([f"{path}: 'sets' must be a list of mappings"])
    if len(sets) < n:
        raise InputUncertaintyError(
            [
                f"{path}: holds {len(sets)} parameter sets but --input-uncertainty asks for "
                f"{n}; calibrate again with --bootstrap {n} or more"
            ]
        )
    return sets[:n]


# --------------------------------------------------------------------------- propagation


def input_scenarios(scenario: Scenario, sets: list[dict[str, Any]], origin: str) -> list[Scenario]:
    """The scenario with each parameter set applied (for the staffing search, sweeps...)."""
    scenarios = []
    problems = []
    for i, overrides in enumerate(sets):
        try:
            scenarios.append(with_overrides(scenario, overrides, f"{origin} (set {i + 1})"))
        except ScenarioError as exc:
            problems.extend(exc.lines[:3])
    if problems:
        raise InputUncertaintyError(
            [
                *problems,
                "the parameter sets do not fit this scenario (was it edited after calibration?)",
            ]
        )
    return scenarios


@dataclass
class InputUncertainty:
    """KPIs with their spread split between process randomness and input uncertainty."""

    table: pd.DataFrame
    sets: int
    replications: int
    seed: int
    confidence: float

    def as_dict(self) -> dict[str, Any]:
        records = {}
        for row in self.table.to_dict(orient="records"):
            kpi = row.pop("kpi")
            records[kpi] = {
                k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()
            }
        return {
            "schema": "acusim.input-uncertainty/1",
            "sets": self.sets,
            "replications_per_set": self.replications,
            "seed": self.seed,
            "confidence": self.confidence,
            "kpis": records,
        }


def decompose(frames: list[pd.DataFrame], confidence: float = 0.95) -> pd.DataFrame:
    """Per KPI: mean, interval covering input and process, and the variance split.

    ``frames``: one per parameter set, one row per replication. With K sets of R
    replications, MSW (within sets) estimates the process variance; (MSB - MSW) / R the
    input variance. The interval for the KPI's mean is mean +- t(K-1) x
    sqrt(input variance + MSB / (K R)): the spread of the inputs plus the simulation
    error of the mean; a plain run's interval is mean +- t x sqrt(MSW / (K R))."""
    kpis = [c for c in frames[0].columns if all(c in f.columns for f in frames)]
    rows = []
    for kpi in kpis:
        groups = [f[kpi].to_numpy(dtype=float) for f in frames]
        groups = [g[np.isfinite(g)] for g in groups]
        groups = [g for g in groups if len(g) >= 2]
        if len(groups) < 2:
            rows.append({"kpi": kpi, "mean": math.nan, "n_sets": len(groups)})
            continue
        k = len(groups)
        r = float(np.mean([len(g) for g in groups]))
        means = np.array([g.mean() for g in groups])
        grand = float(np.concatenate(groups).mean())
        msw = float(
            sum(((g - g.mean()) ** 2).sum() for g in groups) / sum(len(g) - 1 for g in groups)
        )
        msb = float(r * ((means - means.mean()) ** 2).sum() / (k - 1))
        var_input = max(0.0, (msb - msw) / r)
        total = var_input + msw
        t = float(stats.t.ppf(0.5 + confidence / 2, k - 1))
        half = t * math.sqrt(var_input + msb / (k * r))
        t_process = float(stats.t.ppf(0.5 + confidence / 2, int(k * (r - 1))))
        rows.append(
            {
                "kpi": kpi,
                "mean": grand,
                # A mean of values that cannot be negative (waits, counts) cannot be either.
                "ci_low": max(grand - half, 0.0)
                if all((g >= 0).all() for g in groups)
                else grand - half,
                "ci_high": grand + half,
                "half_width": half,
                "process_only_half_width": t_process * math.sqrt(msw / (k * r)),
                "sd_input": math.sqrt(var_input),
                "sd_process": math.sqrt(msw),
                "share_input": var_input / total if total > 0 else math.nan,
                "share_process": msw / total if total > 0 else math.nan,
                "n_sets": k,
            }
        )
    return pd.DataFrame(rows)


def run_input_uncertainty(
    scenario: Scenario,
    sets: list[dict[str, Any]],
    replications: int,
    seed: int,
    workers: int = 1,
    origin: str = "<scenario>",
    progress: Callable[[int], None] | None = None,
    confidence: float = 0.95,
) -> InputUncertainty:
    """``replications`` of each parameter set (distinct replication numbers per set, so
    sets do not share random numbers) and the decomposition of every KPI."""
    if replications < 2:
        raise InputUncertaintyError(
            [
                "--replications: at least 2 per parameter set are needed to measure process "
                "randomness"
            ]
        )
    scenarios = input_scenarios(scenario, sets, origin)
    frames = []
    pool: Executor | None = process_pool(workers) if workers > 1 else None
    with nullcontext() if pool is None else pool:
        for i, one in enumerate(scenarios):
            results = run_replications(
                one,
                replications=replications,
                seed=seed,
                workers=workers,
                first_replication=i * replications,
                executor=pool,
                progress=progress,
            )
            frames.append(results.kpi_frame())
    return InputUncertainty(
        decompose(frames, confidence), len(sets), replications, seed, confidence
    )


HEADLINE_PREFIXES = (
    "referrals_total",
    "arrivals_per_year.",
    "wait_mean_days.",
    "backlog_end_total",
    "utilisation.",
    "pcc_investigations_over_share",
    "target.",
)
"""The KPIs the command-line table shows (all of them go to --json and --out)."""


def input_uncertainty_command(
    scenario_file: Path,
    scenario: Scenario,
    n_sets: int,
    replications: int,
    seed: int | None,
    workers: int,
    out_dir: Path | None,
    json_output: bool,
    out: Any,
    err: Any,
) -> None:
    """``acusim run SCENARIO --input-uncertainty N``: run, decompose, report.

    Raises :class:`InputUncertaintyError` (one line per problem) for the CLI to print."""
    from rich.table import Table

    sets = read_parameter_sets(find_parameter_sets(scenario_file), n_sets)
    seed = scenario.seed if seed is None else seed
    if err.is_terminal:
        err.print(f"Simulating {n_sets} parameter sets x {replications} replications ...")
    result = run_input_uncertainty(
        scenario,
        sets,
        replications,
        seed,
        workers=min(workers, replications),
        origin=str(scenario_file),
    )
    payload = result.as_dict()
    if out_dir is not None:
        try:
            out_dir.mkdir(parents=True, exist_ok=True)
            target = out_dir / "input_uncertainty.json"
            target.write_text(json.dumps(payload, indent=1) + "\n", encoding="utf-8")
        except OSError as exc:
            raise InputUncertaintyError(
                [f"{out_dir}: cannot write results ({exc.strerror or exc})"]
            ) from None
        err.print(f"Wrote {target}", highlight=False, soft_wrap=True)
    if json_output:
        sys.stdout.write(json.dumps(payload) + "\n")
        return
    level = f"{result.confidence:.0%}"
    out.print(
        f"[bold]{scenario.name}[/bold]: {n_sets} bootstrap parameter sets x {replications} "
        f"replications, seed {seed}. Intervals cover input uncertainty and process randomness; "
        "'plain run' is the interval replications alone would give."
    )
    table = Table(title="KPIs with input uncertainty")
    for column in ("KPI", "mean", f"{level} interval", "plain run ±", "spread from inputs"):
        table.add_column(column, justify="left" if column == "KPI" else "right", overflow="fold")
    for row in result.table.to_dict(orient="records"):
        if not row["kpi"].startswith(HEADLINE_PREFIXES) or not math.isfinite(
            row.get("mean", math.nan)
        ):
            continue
        share = row["share_input"]
        table.add_row(
            row["kpi"],
            fmt(row["mean"]),
            f"{fmt(row['ci_low'])} to {fmt(row['ci_high'])}",
            fmt(row["process_only_half_width"]),
            "-" if not math.isfinite(share) else f"{share:.0%}",
        )
    out.print(table)
