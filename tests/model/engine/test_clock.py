"""The engine's clock calls wake-ups in the order SimPy would have processed the same
callbacks as ``Timeout`` events: results of a run cannot depend on which of the two is used."""

from __future__ import annotations

import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from model.engine.clock import Clock

# A plan: for each of a few starting callbacks, its delay and what it schedules when it runs
# (a list of (delay, plain SimPy timeout?)); delays from a small set so that ties are common.
DELAYS = st.sampled_from([0.0, 0.0, 0.5, 1.0, 1.0, 2.0, 3.5])
CHILDREN = st.lists(st.tuples(DELAYS, st.booleans()), max_size=3)
PLAN = st.lists(st.tuples(DELAYS, st.booleans(), CHILDREN), min_size=1, max_size=12)


def _trace(env: simpy.Environment, plan, use_wake: bool, until: float | None) -> list:
    """Run ``plan`` on ``env``; wake-ups (or Timeouts on plain SimPy) record their label."""
    log: list[tuple[float, str]] = []

    def schedule(delay: float, plain: bool, label: str, children) -> None:
        def fire(_arg) -> None:
            log.append((env.now, label))
            for k, (d, p) in enumerate(children):
                schedule(d, p, f"{label}.{k}", [])

        if use_wake and not plain:
            env.wake(delay, fire, None)
        else:
            env.timeout(delay).callbacks.append(fire)

    for i, (delay, plain, children) in enumerate(plan):
        schedule(delay, plain, str(i), children)
    env.run(until=until)
    return log


@settings(max_examples=200, deadline=None)
@given(PLAN, st.sampled_from([None, 1.0, 2.0, 10.0]))
def test_wake_ups_keep_simpy_order(plan, until) -> None:
    expected = _trace(simpy.Environment(), plan, use_wake=False, until=until)
    assert _trace(Clock(), plan, use_wake=True, until=until) == expected


def test_step_processes_wake_ups_and_events() -> None:
    env = Clock()
    seen = []
    env.wake(1.0, seen.append, "wake")
    env.timeout(2.0).callbacks.append(lambda _e: seen.append("timeout"))
    env.step()
    env.step()
    assert seen == ["wake", "timeout"] and env.now == 2.0


def test_run_until_an_event_returns_its_value() -> None:
    env = Clock()
    env.wake(1.0, lambda _a: None)
    assert env.run(until=env.timeout(3.0, value="v")) == "v"
    assert env.now == 3.0
