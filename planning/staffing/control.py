"""Cancelling a staffing search and estimating the time it has left.

Both faces (the CLI's progress bar and Ctrl-C, the app's progress bar and
Cancel button) drive the search through the same two objects, so neither has
to reach into the search:

* :class:`CancelToken` - set from any thread; the search checks it before
  every batch of replications and stops with :class:`SearchCancelled`, so a
  cancel takes effect within one batch (the batch already handed to worker
  processes finishes or is abandoned by the caller's pool shutdown);
* :class:`WorkPlan` - how many replications the search expects to run in
  all, revised as it learns (phases done, replications per evaluation seen
  so far); the time left is the replications still expected at the rate
  measured so far. It is an estimate and says so: the search cannot know in
  advance how many staffings it will try.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field


class SearchCancelled(Exception):
    """The search was cancelled before it had an answer; nothing is returned."""


class CancelToken:
    """A flag one thread sets and the search checks between batches."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def check(self) -> None:
        """Raise :class:`SearchCancelled` if cancel was asked for."""
        if self._event.is_set():
            raise SearchCancelled("the staffing search was cancelled")


@dataclass
class WorkPlan:
    """Replications expected in all, and the rate seen so far: the fraction done, time left."""

    expected: float = 0.0
    done: int = 0
    started: float = field(default_factory=time.perf_counter)

    def revise(self, expected: float) -> None:
        """A new estimate of the replications in all (never below what has run)."""
        self.expected = max(float(expected), float(self.done))

    def fraction(self) -> float | None:
        if self.expected <= 0:
            return None
        return min(1.0, self.done / self.expected)

    def seconds_left(self) -> float | None:
        """Time left at the rate so far; None until some replications have run."""
        elapsed = time.perf_counter() - self.started
        if self.done <= 0 or elapsed <= 0 or self.expected <= 0:
            return None
        rate = self.done / elapsed
        return max(0.0, (self.expected - self.done) / rate)
