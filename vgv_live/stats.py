"""Live statistics: rates and latencies measured from timestamps, and the stats line.

Rates are measured, never taken from CAP_PROP_FPS. Every meter is thread-safe: the
capture or worker thread records, any thread reads.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

import numpy as np


class RateMeter:
    """Events per second over the last ``window_s`` seconds (at least two events needed)."""

    def __init__(self, window_s: float = 2.0, max_events: int = 512) -> None:
        self.window_s = window_s
        self._times: deque[float] = deque(maxlen=max_events)
        self._lock = threading.Lock()

    def tick(self, t: float) -> None:
        with self._lock:
            self._times.append(t)

    def reset(self) -> None:
        with self._lock:
            self._times.clear()

    def rate(self, now: float | None = None) -> float:
        with self._lock:
            times = [t for t in self._times if now is None or t >= now - self.window_s]
        if len(times) < 2 or times[-1] <= times[0]:
            return 0.0
        if now is not None and now - times[-1] > self.window_s:
            return 0.0
        return (len(times) - 1) / (times[-1] - times[0])


class LatencyWindow:
    """The last ``size`` latencies (seconds) with their percentiles."""

    def __init__(self, size: int = 256) -> None:
        self._values: deque[float] = deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, seconds: float) -> None:
        with self._lock:
            self._values.append(seconds)

    def percentile(self, q: float) -> float:
        with self._lock:
            values = list(self._values)
        return float(np.percentile(values, q)) if values else float("nan")


@dataclass(frozen=True)
class StatsSnapshot:
    """What the stats line (stderr, status bar) shows at one instant."""

    state: str
    capture_fps: float
    explain_fps: float
    frames: int
    dropped: int
    results: int
    latency_p50_ms: float
    latency_p95_ms: float
    reconnects: int
    frame_age_s: float
    looked_elsewhere: int = 0  # results whose confident class's map lay outside its regions

    def line(self) -> str:
        return (
            f"[{self.state}] capture {self.capture_fps:5.1f} fps | explain {self.explain_fps:5.1f}/s"
            f" | latency p50 {self.latency_p50_ms:4.0f} ms p95 {self.latency_p95_ms:4.0f} ms"
            f" | frames {self.frames} dropped {self.dropped} | results {self.results}"
            f" looked elsewhere {self.looked_elsewhere} | reconnects {self.reconnects}"
        )
