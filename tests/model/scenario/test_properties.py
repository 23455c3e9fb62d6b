"""Properties of validation on arbitrary input (hypothesis).

1. Validation never raises anything but :class:`ScenarioError`, whatever the mapping holds:
   random structures built from the contract's own field names, and valid scenarios with
   one or a few values mutated (text, booleans, huge, negative, tiny, missing, nested).
2. Anything that validates runs one short replication to completion (or is refused as too
   large, again with a :class:`ScenarioError`): nothing that passes validation may crash
   or hang the engine.
"""

from __future__ import annotations

import copy
import signal
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model.replications import run_replications
from model.scenario import ScenarioError, load_scenario, scenario_from_mapping
from tests.conftest import SCENARIOS

BASELINE = load_scenario(SCENARIOS / "baseline.yaml")
VALID = BASELINE.model_dump(mode="json", by_alias=True)
SMALL_RUN = {
    "horizon_years": 0.05,
    "replications": 1,
    "limits": {"max_cases_per_replication": 20_000, "max_stage_visits_per_replication": 100_000},
}

FIELD_NAMES = sorted(
    {
        "name", "start_date", "horizon_years", "warmup_days", "seed", "roles", "sources",
        "stages", "outcomes", "initial_backlog", "targets", "fte", "rate_per_week", "kind",
        "dist", "mean", "cv", "routing", "default", "rules", "when", "routes", "mix",
        "category", "priority", "entry_stage", "extends", "limits", "shape", "scale",
        "weights", "values", "modifiers", "type", "factor", "date", "burst_cv",
    }
)  # fmt: skip

ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["3", "true", "", "2026-01-01", "9999-12-31", "1e20", "assessment", "x" * 300]),
    st.text(max_size=20),
)

STRUCTURES = st.recursive(
    ODD_VALUES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), inner, max_size=5),
    ),
    max_leaves=25,
)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


PATHS = _paths(VALID)


def _leaf(path: tuple) -> Any:
    node: Any = VALID
    for key in path:
        node = node[key]
    return node


NUMERIC_PATHS = [
    p
    for p in PATHS
    if isinstance(_leaf(p), int | float)
    and not isinstance(_leaf(p), bool)
    and not {"mix", "routing", "probability"} & set(map(str, p))  # tables that sum to 1
]


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(VALID)
    for _ in range(draw(st.integers(1, 3))):
        action = draw(st.sampled_from(["replace", "delete", "scale", "scale", "scale"]))
        path = draw(st.sampled_from(NUMERIC_PATHS if action == "scale" else PATHS))
        node = data
        try:
            for key in path[:-1]:
                node = node[key]
            if action == "delete" and isinstance(node, dict):
                node.pop(path[-1], None)
            elif action == "scale" and isinstance(node[path[-1]], int | float):
                factor = draw(st.sampled_from([0, 0.5, 2, 10, 1e3, -1, 1e6, 1e-9]))
                node[path[-1]] = node[path[-1]] * factor
            else:
                node[path[-1]] = draw(STRUCTURES)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this path
    return data


def _validate(data: Any) -> Any:
    try:
        return scenario_from_mapping(data, "prop")
    except ScenarioError as exc:
        assert exc.lines and all("\n" not in line for line in exc.lines)
        assert len(exc.lines) <= 51
        return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(STRUCTURES)
def test_random_structures_raise_only_scenario_errors(data: Any) -> None:
    _validate(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_scenarios_validate_or_fail_cleanly_and_valid_ones_run(data: dict) -> None:
    scenario = _validate(data)
    if scenario is None:
        return
    small = _validate({**scenario.model_dump(mode="json", by_alias=True), **SMALL_RUN})
    if small is None:
        return
    try:
        results = run_replications(small, replications=1)
    except ScenarioError:
        return  # refused as too large, or a runaway case: a clean one-line error
    assert results.n == 1


# --------------------------------------------------------------------------- random networks

EFFORTS = st.one_of(
    st.builds(lambda m: {"dist": "exponential", "mean": m}, st.sampled_from([0.5, 2.0, 8.0])),
    st.builds(lambda v: {"dist": "fixed", "value": v}, st.sampled_from([0.0, 1.0, 4.0])),
    st.builds(lambda v: {"dist": "empirical", "values": [0.0, v]}, st.sampled_from([1.0, 3.0])),
)


@st.composite
def random_network(draw: st.DrawFn) -> dict[str, Any]:
    """A random stage network: routes among stages and outcomes, rules by priority, effort
    that may be zero, pure waiting stages, delays; small rates so a run is short."""
    n = draw(st.integers(1, 5))
    names = [f"s{i}" for i in range(n)]
    outcomes = ["closed", "dropped"]
    targets = names + outcomes

    def routes() -> dict[str, float]:
        chosen = draw(st.lists(st.sampled_from(targets), min_size=1, max_size=3, unique=True))
        weights = [draw(st.sampled_from([1e-6, 0.1, 0.5, 1.0, 3.0])) for _ in chosen]
        total = sum(weights)
        table = {d: w / total for d, w in zip(chosen, weights, strict=True)}
        first = chosen[0]
        table[first] += 1.0 - sum(table.values())  # exact sum, whatever the rounding
        return table

    stages = {}
    for name in names:
        stage: dict[str, Any] = {"title": name, "routing": {"default": routes()}}
        if draw(st.booleans()):
            stage["role"] = "worker"
            stage["effort_hours"] = draw(EFFORTS)
        if draw(st.booleans()):
            stage["routing"]["rules"] = [
                {"when": {"priority": [draw(st.sampled_from(["high", "medium", "low"]))]},
                 "routes": routes()}
            ]  # fmt: skip
        if draw(st.booleans()):
            stage["external_delays"] = [
                {"name": "wait", "probability": draw(st.sampled_from([0.5, 1.0])),
                 "duration_days": draw(EFFORTS)}
            ]  # fmt: skip
        stages[name] = stage
    return {
        "name": "random",
        "start_date": "2026-01-01",
        "horizon_years": 0.1,
        "replications": 1,
        "roles": {
            "worker": {
                "title": "Worker",
                "fte": draw(st.sampled_from([0.0, 1.0, 3.0])),
                "contracted_hours_per_week": 37,
                "abstraction_rate": 0.2,
                "casework_share": 0.8,
            }
        },
        "sources": {
            "referrals": {
                "title": "Referrals",
                "kind": "rate",
                "rate_per_week": draw(st.sampled_from([1.0, 10.0, 50.0])),
                "entry_stage": draw(st.sampled_from(names)),
                "mix": {
                    "category": {"other": 1.0},
                    "apsp_probability": 0.0,
                    "priority": {"high": 0.2, "medium": 0.5, "low": 0.3},
                },
            }
        },
        "stages": stages,
        "outcomes": outcomes,
        "limits": {"max_cases_per_replication": 5_000},
    }


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_network())
def test_random_networks_that_validate_run_to_completion(data: dict) -> None:
    """Routing that passes the check ends: a run of any network it accepts completes (the
    alarm turns a hang into a failure); one it refuses is refused with one line a problem."""
    scenario = _validate(data)
    if scenario is None:
        return
    previous = signal.signal(signal.SIGALRM, _hang)
    signal.alarm(60)
    try:
        results = run_replications(scenario, replications=1)
    except ScenarioError as exc:
        raise AssertionError(f"a validated network failed at run time: {exc.lines}") from None
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert results.n == 1


def _hang(signum, frame):
    raise TimeoutError("a validated network did not finish in 60 s")
