"""DisplayMeter: how the window keeps up: new frames shown per second and GUI-thread time per update."""

from __future__ import annotations

import time
from collections import deque

import numpy as np

from vgv_live.stats import RateMeter


class DisplayMeter:
    def __init__(self, samples: int = 300) -> None:
        self.frames = RateMeter()
        self.frames_shown = 0  # distinct frames put on screen
        self._update_s: deque[float] = deque(maxlen=samples)

    def frame_shown(self) -> None:
        self.frames_shown += 1
        self.frames.tick(time.monotonic())

    def update_took(self, seconds: float) -> None:
        self._update_s.append(seconds)

    @property
    def fps(self) -> float:
        return self.frames.rate(time.monotonic())

    def update_ms(self, q: float = 50) -> float:
        """Percentile ``q`` of the GUI-thread time per display update that drew a frame, in ms."""
        return float(np.percentile(self._update_s, q)) * 1000 if self._update_s else float("nan")
