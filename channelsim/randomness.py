"""The seed tree: a SeedSequence per scenario, a child per replication, a stream per purpose.

Streams are keyed by name, not by creation order, so adding a partner program or a new purpose
never shifts the draws of another one, and strategies of one replication share their demand
draws (common random numbers).
"""

from __future__ import annotations

import zlib

import numpy as np


def _name_key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


class Streams:
    """Named random streams of one replication.

    Args:
        seed: the scenario seed.
        replication: the replication index (0-based); the same index gives the same streams
            whatever process, worker or strategy asks for them.
    """

    def __init__(self, seed: int, replication: int) -> None:
        self.seed = seed
        self.replication = replication
        self._cache: dict[str, np.random.Generator] = {}

    def seed_sequence(self, name: str) -> np.random.SeedSequence:
        """The SeedSequence behind stream ``name``."""
        return np.random.SeedSequence(self.seed, spawn_key=(self.replication, _name_key(name)))

    def __call__(self, name: str) -> np.random.Generator:
        """The generator for purpose ``name`` (created once, then reused)."""
        gen = self._cache.get(name)
        if gen is None:
            gen = np.random.Generator(np.random.PCG64(self.seed_sequence(name)))
            self._cache[name] = gen
        return gen
