"""SimPy's environment with a cheap wake-up for the engine's own callbacks.

A case's steps (work finished, an external delay over, the next arrival, a caseload
place granted) are plain callbacks. As SimPy ``Timeout`` events each cost an event
object with a dictionary, a callbacks list and two method calls to schedule and to
step; that was a fifth of the engine's time. :meth:`Clock.wake` puts the callback and its
argument straight into SimPy's own event queue instead, keyed exactly as SimPy keys an
event: (time, priority, event id from SimPy's counter). So wake-ups and ordinary SimPy
events (the workforce's and staffing plan's timeouts) interleave in one order, the order
SimPy would have given had each wake-up been a ``Timeout`` scheduled at the same moment:
the results of a run do not change.

Only :meth:`Clock.run` and :meth:`Clock.step` know the wake-up entries (five items, not
SimPy's four), so a ``Clock`` must be run through them, not by SimPy's module functions.
This relies on SimPy 4's queue layout (``Environment._queue``, ``_eid``, ``_now``), pinned in
constraints.txt; tests/model/engine/test_clock.py checks the ordering against SimPy's.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import NORMAL, URGENT, Event


class Clock(simpy.Environment):
    """A SimPy environment whose run loop also calls wake-ups: ``fn(arg)`` at a time."""

    def wake(self, delay: float, fn: Callable[[Any], None], arg: Any = None) -> None:
        """Call ``fn(arg)`` ``delay`` days from now: what
        ``Timeout(env, delay, arg).callbacks.append(lambda e: fn(e.value))`` does, without
        the event."""
        heappush(self._queue, (self._now + delay, NORMAL, next(self._eid), fn, arg))

    def step(self) -> None:
        """Process the next entry: a wake-up, or a SimPy event (as SimPy does)."""
        try:
            entry = heappop(self._queue)
        except IndexError:
            raise EmptySchedule from None
        self._now = entry[0]
        if len(entry) == 5:
            entry[3](entry[4])
            return
        _fire(entry[3])

    def run(self, until: float | Event | None = None) -> Any:
        """SimPy's ``run``, with the loop written out so a wake-up costs one call.

        ``until`` a time: stop there, before the events due at that moment (as SimPy, with
        its urgent stop event); an event: stop when it has been processed; None: run until
        nothing is left."""
        if until is not None and not isinstance(until, Event):
            at = float(until)
            if at <= self._now:
                raise ValueError(f"until ({at}) must be greater than the current time")
            stop = Event(self)
            stop._ok = True
            stop._value = None
            self.schedule(stop, URGENT, at - self._now)
            until = stop
        if until is not None:
            if until.callbacks is None:
                return until.value
            until.callbacks.append(StopSimulation.callback)
        queue = self._queue
        try:
            while queue:
                entry = heappop(queue)
                self._now = entry[0]
                if len(entry) == 5:
                    entry[3](entry[4])
                else:
                    _fire(entry[3])
        except StopSimulation as exc:
            return exc.args[0]
        if until is not None:
            raise RuntimeError(
                f'No scheduled events left but "until" event was not triggered: {until}'
            )
        return None


def _fire(event: Event) -> None:
    """What SimPy's ``Environment.step`` does with an event taken from the queue."""
    callbacks, event.callbacks = event.callbacks, None
    try:
        for callback in callbacks:
            callback(event)
    except StopSimulation:
        # As SimPy: the remaining callbacks run when the simulation resumes.
        event.callbacks = callbacks[callbacks.index(callback) + 1 :]
        event.env.schedule(event, URGENT - 1)
        raise
    if not event._ok and not hasattr(event, "_defused"):
        exc = type(event._value)(*event._value.args)
        exc.__cause__ = event._value
        raise exc
