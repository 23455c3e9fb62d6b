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

The queue's entries have five items here (SimPy's four and the argument), so a ``Clock``
is run by its own ``run`` and ``step``. This relies on SimPy 4's queue layout
(``Environment._queue``, ``_eid``, ``_now``, ``schedule``), pinned in constraints.txt;
tests/model/engine/test_clock.py checks the order against SimPy's.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.core import EmptySchedule, StopSimulation
from simpy.events import NORMAL, URGENT, Event, EventPriority


class Clock(simpy.Environment):
    """A SimPy environment whose run loop also calls wake-ups: ``fn(arg)`` at a time.

    Every queue entry is (time, priority, event id, function, argument): a wake-up's
    function is the engine's callback; a SimPy event is scheduled (by ``schedule``, which
    every SimPy event goes through) with :func:`_fire`, which does what SimPy's ``step``
    does with an event. So the loop has one kind of entry and makes one call per entry."""

    def schedule(self, event: Event, priority: EventPriority = NORMAL, delay: float = 0) -> None:
        """As SimPy's: the event is queued at (now + delay, priority, next event id)."""
        heappush(self._queue, (self._now + delay, priority, next(self._eid), _fire, event))

    def wake(self, delay: float, fn: Callable[[Any], None], arg: Any = None) -> None:
        """Call ``fn(arg)`` ``delay`` days from now: what
        ``Timeout(env, delay, arg).callbacks.append(lambda e: fn(e.value))`` does, without
        the event."""
        heappush(self._queue, (self._now + delay, NORMAL, next(self._eid), fn, arg))

    def step(self) -> None:
        """Process the next entry."""
        try:
            self._now, _, _, fn, arg = heappop(self._queue)
        except IndexError:
            raise EmptySchedule from None
        fn(arg)

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
                self._now, _, _, fn, arg = heappop(queue)
                fn(arg)
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
