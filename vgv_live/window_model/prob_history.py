"""ProbabilityHistory: the latest class probabilities with their times, in fixed-size numpy rings.

Each sample is written twice, at ``i`` and ``i + capacity``, so the last ``capacity``
samples are always one contiguous slice in time order: plots read views, nothing grows
and nothing is reallocated however long the window runs.
"""

from __future__ import annotations

import numpy as np


class ProbabilityHistory:
    def __init__(self, capacity: int, classes: int) -> None:
        self.capacity = capacity
        self._times = np.zeros(2 * capacity, np.float64)
        self._probs = np.zeros((2 * capacity, classes), np.float32)
        self._next = 0

    def __len__(self) -> int:
        return min(self._next, self.capacity)

    def add(self, t: float, probs: np.ndarray) -> None:
        slot = self._next % self.capacity
        self._times[[slot, slot + self.capacity]] = t
        self._probs[[slot, slot + self.capacity]] = probs
        self._next += 1

    def clear(self) -> None:
        self._next = 0

    def view(self) -> tuple[np.ndarray, np.ndarray]:
        """(times (n,), probs (n, K)) of the last n samples, oldest first (read-only views)."""
        count = len(self)
        start = (self._next - count) % self.capacity
        times, probs = self._times[start:start + count], self._probs[start:start + count]
        times.flags.writeable = probs.flags.writeable = False
        return times, probs
