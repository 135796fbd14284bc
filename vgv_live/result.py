"""Result: the immutable payload the explain worker publishes for one clip window."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Timings:
    """Where one result's time went (seconds), plus when it was taken and finished (monotonic)."""

    wait_s: float  # waiting for the window
    preprocess_s: float  # upload, resize, crop, normalise
    explain_s: float  # forward + backward + maps, until the host copy is done
    taken_t: float  # window taken from the ring
    done_t: float  # result published
    guard_s: float = 0.0  # of explain_s, the attention guard's measure (0 without regions)


@dataclass(frozen=True)
class Result:
    """One explained window. Arrays are private, read-only copies: safe to hand to any thread.

    ``maps[i]`` (uint8, 0..255) belongs to frame ``frame_ids[i]`` and covers the whole
    frame at reduced size (zero where the model's centre crop saw nothing).
    """

    seq: int
    frame_ids: np.ndarray  # (T,) int64
    timestamps: np.ndarray  # (T,) float64, capture time (monotonic)
    probs: np.ndarray  # (K,) float32
    labels: tuple[str, ...]
    target: int  # the class explained
    method: str
    maps: np.ndarray  # (T, h, w) uint8
    timings: Timings
    attention_in_region: float | None = None  # share of the map's mass in the target's regions (attention guard)
    looked_elsewhere: bool = False  # the target is confident but attention_in_region is below its limit

    def __post_init__(self) -> None:
        for array in (self.frame_ids, self.timestamps, self.probs, self.maps):
            array.flags.writeable = False

    @property
    def latency_s(self) -> float:
        """Capture of the newest frame in the window -> result published."""
        return self.timings.done_t - float(self.timestamps[-1])

    @property
    def top(self) -> tuple[str, float]:
        index = int(np.argmax(self.probs))
        return self.labels[index], float(self.probs[index])

    def map_for(self, frame_id: int) -> np.ndarray:
        """The map of the window frame nearest to ``frame_id``."""
        index = int(np.abs(self.frame_ids - frame_id).argmin())
        return self.maps[index]
