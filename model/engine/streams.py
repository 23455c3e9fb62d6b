"""Named random-number streams for common random numbers.

Every source of randomness (each referral source's arrivals and attributes,
each stage's effort and routing, each external delay) draws from its own
stream. A stream is identified by the scenario seed, the replication index
and the stream's *name*, never by the order in which streams are created, so:

* replication ``r`` gets the same numbers whether it runs alone, in a pool of
  N processes or on a Dask cluster (nothing depends on scheduling order);
* changing one stage's staffing, or adding a stage, does not reshuffle the
  numbers any other part of the model sees (common random numbers).
"""

from __future__ import annotations

import hashlib

import numpy as np


def _name_key(name: str) -> int:
    """A stable 64-bit integer for a stream name (Python's hash() is salted per process)."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")


class Streams:
    """Factory of independent generators for one replication."""

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = int(seed)
        self.replication = int(replication)

    def generator(self, name: str) -> np.random.Generator:
        """A fresh generator for the stream called ``name`` in this replication."""
        sequence = np.random.SeedSequence(
            entropy=self.seed, spawn_key=(self.replication, _name_key(name))
        )
        return np.random.Generator(np.random.PCG64(sequence))
