"""Staff as servers whose number changes over time, and caseload slots.

SimPy's ``Resource`` has a fixed capacity, but a staffing plan adds and
removes people on dates. So a role is a pool of individual servers driven by
events:

* each FTE is a server that delivers ``casework_hours_per_day`` hours of
  casework per calendar day (contracted hours less abstraction and
  non-casework time, averaged); a fractional FTE (0.5) is a server working at
  that fraction of the rate, so capacity is exactly proportional to FTE;
* a server works one task at a time, taking the next from a priority queue
  keyed by (stage precedence, priority rank, order of request);
* a joiner starts taking work at once; a leaver finishes the task in hand and
  then leaves (nobody drops a case mid-task).

Caseload slots model investigators' caseload caps: a case holds a slot for
its whole investigation while its effort is drawn from the pool as staff time.
The number of slots follows the role's FTE (cap per FTE x FTE, rounded down);
when it falls, cases already allocated keep their slots and new cases wait.

Busy and on-duty FTE are integrated over time so utilisation is exact.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Callable
from typing import Any

from model.engine.clock import Clock

FTE_EPSILON = 1e-9
"""FTE below this is treated as zero (floating-point noise from plan arithmetic)."""


class Task:
    """One request for staff time. The pool sets ``started`` and calls ``then(task)`` when the
    work is finished (the callback finds its ``owner`` on the task: no closure per task);
    with ``report_start`` it also tells its ``on_start`` when the work begins."""

    __slots__ = ("hours", "owner", "queued", "report_start", "server", "started", "then")

    def __init__(
        self,
        hours: float,
        owner: Any,
        then: Callable[[Task], None] | None = None,
        report_start: bool = False,
    ) -> None:
        self.hours = hours
        self.owner = owner
        self.then = then
        self.report_start = report_start
        self.queued = False
        self.started = math.nan
        self.server: _Server | None = None


class _Server:
    __slots__ = ("retiring", "share", "task", "weight")

    def __init__(self, weight: float) -> None:
        self.weight = weight
        self.task: Task | None = None
        self.retiring = False
        self.share = 1.0  # share of the full work rate (a new starter's ramp-up: workforce.py)


def server_weights(fte: float) -> list[float]:
    """The individual servers an FTE figure stands for: whole people, then one part-timer."""
    whole = math.floor(fte + FTE_EPSILON)
    part = round(fte - whole, 9)
    return [1.0] * whole + ([part] if part > FTE_EPSILON else [])


class StaffPool:
    """The people of one role: a priority queue of tasks and servers that come and go.

    ``on_start(task.owner, now)`` is called when a task with ``report_start`` begins, and
    ``on_finish(task, now)`` when any task is finished (before its ``then``)."""

    def __init__(
        self,
        env: Clock,
        hours_per_day: float,
        on_start: Callable[[Any, float], None],
        on_finish: Callable[[Task, float], None],
    ) -> None:
        self.env = env
        self.hours_per_day = hours_per_day
        self._on_start = on_start
        self._on_finish = on_finish
        self._finished = self._finish  # one bound method, not one per task
        self._queue: list[tuple[int, int, int, Task]] = []  # (precedence, rank, seq, task)
        self._seq = 0
        self._idle: list[_Server] = []
        self._active: list[_Server] = []  # not retiring
        self.busy_fte = 0.0
        self.on_duty_fte = 0.0  # active servers plus leavers still finishing a task
        self.busy_area = 0.0
        self.on_duty_area = 0.0
        self._last = env.now

    # ------------------------------------------------------------ accounting
    def _advance(self) -> None:
        now = self.env._now
        if now > self._last:
            elapsed = now - self._last
            self.busy_area += self.busy_fte * elapsed
            self.on_duty_area += self.on_duty_fte * elapsed
            self._last = now

    def areas(self) -> tuple[float, float]:
        """(busy FTE-days, on-duty FTE-days) up to now."""
        self._advance()
        return self.busy_area, self.on_duty_area

    @property
    def queue_length(self) -> int:
        return len(self._queue)

    # ------------------------------------------------------------ capacity
    def set_fte(self, fte: float) -> None:
        """Make the pool's servers match ``fte``: hire the missing, retire the surplus."""
        self._advance()
        desired = Counter(server_weights(fte))
        current = Counter(s.weight for s in self._active)
        for weight, surplus in (current - desired).items():
            # Idle people leave first so work in hand is not interrupted.
            leavers = sorted(
                (s for s in self._active if s.weight == weight), key=lambda s: s.task is not None
            )[:surplus]
            for server in leavers:
                self._retire(server)
        for weight, missing in (desired - current).items():
            for _ in range(missing):
                self._join(weight, 1.0)

    # ------------------------------------------------------------ workforce hook
    # Used by model.engine.workforce for roles with turnover, instead of set_fte: one
    # server per post-holder, who joins, learns (a rate share) and leaves individually.
    def add_server(self, weight: float, share: float = 1.0) -> _Server:
        """A post-holder joins: a server of ``weight`` FTE working at ``share`` of the rate."""
        self._advance()
        return self._join(weight, share)

    def _join(self, weight: float, share: float) -> _Server:
        server = _Server(weight)
        server.share = share
        self._active.append(server)
        self.on_duty_fte += weight
        self._give_work(server)
        return server

    def retire_server(self, server: _Server) -> None:
        """A post-holder leaves: at once if idle, else after the task in hand."""
        self._advance()
        self._retire(server)

    def _retire(self, server: _Server) -> None:
        self._active.remove(server)
        if server.task is None:
            self._idle.remove(server)
            self.on_duty_fte -= server.weight
        else:
            server.retiring = True

    def set_rate_share(self, server: _Server, share: float) -> None:
        """A post-holder's work rate changes (ramp-up); it applies from their next task."""
        server.share = share

    # ------------------------------------------------------------ work
    def request(self, task: Task, precedence: int, rank: int) -> None:
        """Start ``task`` if someone is free, else queue it by (precedence, rank, order of
        request), smaller first; ``task.then(task)`` is called when it is finished.

        Work started at once is finished by its own wake-up, which calls ``then`` straight
        after the pool's bookkeeping; queued work is finished by a second wake-up at the same
        moment (the order SimPy gave when these were a timeout with two callbacks, and a
        timeout and an event)."""
        if self._idle:
            self._start(self._idle.pop(), task)
        else:
            task.queued = True
            heapq.heappush(self._queue, (precedence, rank, self._seq, task))
            self._seq += 1

    # _start and _finish run once per task each: ``_advance`` and ``_give_work`` are written
    # out in them (the same arithmetic) to save a call on the engine's commonest path.
    def _start(self, server: _Server, task: Task) -> None:
        now = self.env._now
        if now > self._last:  # self._advance()
            elapsed = now - self._last
            self.busy_area += self.busy_fte * elapsed
            self.on_duty_area += self.on_duty_fte * elapsed
            self._last = now
        server.task = task
        task.server = server
        self.busy_fte += server.weight
        task.started = now
        if task.report_start:
            self._on_start(task.owner, now)
        duration = task.hours / (server.weight * server.share * self.hours_per_day)
        self.env.wake(duration, self._finished, task)

    def _finish(self, task: Task) -> None:
        server = task.server
        now = self.env._now
        if now > self._last:  # self._advance()
            elapsed = now - self._last
            self.busy_area += self.busy_fte * elapsed
            self.on_duty_area += self.on_duty_fte * elapsed
            self._last = now
        server.task = None
        self.busy_fte -= server.weight
        self._on_finish(task, now)
        then = task.then
        if task.queued and then is not None:  # wake the waiting case (as an event did)
            self.env.wake(0.0, then, task)
        if server.retiring:
            self.on_duty_fte -= server.weight
        elif self._queue:  # self._give_work(server)
            self._start(server, heapq.heappop(self._queue)[3])
        else:
            self._idle.append(server)
        if not task.queued and then is not None:
            then(task)

    def _give_work(self, server: _Server) -> None:
        if self._queue:
            self._start(server, heapq.heappop(self._queue)[3])
        else:
            self._idle.append(server)


class CaseloadSlots:
    """Caseload places whose number follows the role's FTE; waiting cases queue by key."""

    def __init__(self, env: Clock, cap_per_fte: float) -> None:
        self.env = env
        self.cap_per_fte = cap_per_fte
        self.capacity = 0
        self.in_use = 0
        self._queue: list[tuple[int, int, int, Callable[[Any], None], Any]] = []
        self._seq = 0

    def set_fte(self, fte: float) -> None:
        self.capacity = math.floor(self.cap_per_fte * fte + FTE_EPSILON)
        self._admit()

    def acquire(self, then: Callable[[Any], None], value: Any, precedence: int, rank: int) -> None:
        """Call ``then(value)`` (by a wake-up, as an event's callback was) when a slot is this
        request's: waiting requests queue by (precedence, rank, order of request), as staff
        pools queue tasks."""
        heapq.heappush(self._queue, (precedence, rank, self._seq, then, value))
        self._seq += 1
        self._admit()

    def hold_existing(self) -> None:
        """Count a case already on someone's caseload at the start, even beyond capacity."""
        self.in_use += 1

    def release(self) -> None:
        self.in_use -= 1
        self._admit()

    def _admit(self) -> None:
        while self._queue and self.in_use < self.capacity:
            self.in_use += 1
            _, _, _, then, value = heapq.heappop(self._queue)
            self.env.wake(0.0, then, value)
