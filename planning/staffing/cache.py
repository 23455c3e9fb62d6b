"""Replications already simulated, kept so the same world is never simulated twice.

Replication ``r`` of seed ``s`` of a scenario is a pure function of the
scenario's content, ``s`` and ``r`` (``model.engine.streams``), so its target
KPIs can be kept and reused by any later evaluation of the same staffing: in
the same search (a staffing revisited by the bisection, the best-first step,
the step-down and trade-off tables) and across searches in one process (the
app's Staffing page run again with another confidence or date, two browser
sessions on the same scenario).

The key is (content hash of the scenario *with the staffing applied*, seed);
the value is one row of KPIs per replication 0, 1, 2, ... in index order (a
prefix is extended, never recomputed). The row holds the KPIs the runner
(:class:`planning.staffing.runs.CandidateRunner`) keeps: the ``target.*`` KPIs
and, for roles with turnover, their workforce figures - a few floats a
replication. Which KPIs those are follows from the scenario's content, so the
key fixes them too. The cache is a least-recently-used map bounded by the
number of values held, so memory stays small (the default bound, 2 million
values, is about 16 MB of floats).
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

DEFAULT_MAX_VALUES = 2_000_000
"""Most KPI values kept in the process-wide cache (8 bytes each, plus small overheads)."""

Key = tuple[str, int]


class ReplicationCache:
    """KPI rows of replications 0..n-1 per (scenario content hash, seed); LRU, thread-safe."""

    def __init__(self, max_values: int = DEFAULT_MAX_VALUES) -> None:
        self.max_values = max_values
        self._rows: OrderedDict[Key, list[np.ndarray]] = OrderedDict()
        self._values = 0
        self._lock = threading.Lock()

    def get(self, key: Key) -> list[np.ndarray]:
        """The cached rows (in replication order) for ``key``; [] if none."""
        with self._lock:
            have = self._rows.get(key)
            if have is None:
                return []
            self._rows.move_to_end(key)
            return list(have)

    def extend(self, key: Key, first: int, rows: list[np.ndarray]) -> None:
        """Add rows for replications ``first``, ``first + 1``, ... (ignored unless contiguous)."""
        with self._lock:
            have = self._rows.get(key)
            if have is None:
                if first != 0:
                    return
                have = self._rows[key] = []
            if first > len(have):
                return
            new = rows[len(have) - first :]
            have.extend(new)
            self._values += sum(row.size for row in new)
            self._rows.move_to_end(key)
            while self._values > self.max_values and len(self._rows) > 1:
                _, old = self._rows.popitem(last=False)
                self._values -= sum(row.size for row in old)

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()
            self._values = 0

    def __len__(self) -> int:
        return len(self._rows)


SHARED = ReplicationCache()
"""The process-wide cache every search uses unless given its own."""
