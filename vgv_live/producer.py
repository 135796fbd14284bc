"""FrameProducer: what a LivePipeline needs from the thread that fills its ring with frames.

Two producers implement it: CaptureThread (cameras, streams, and files read straight
through, vgv_live.capture) and ReplayPlayer (files with seek, pause, steps and speed, the
window's, vgv_live.replay). Both pace a file by its own timestamps (vgv_live.pacing).
The pipeline is given a factory and builds its producer around its ring; it never
swaps one in afterwards. States:

    connecting -> running -> reconnecting -> running ...   (live sources)
    connecting -> running -> ended                         (end of file, or stop())
    connecting -> error                                    (cannot open, no retry)
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from vgv_core.exits import EXIT_SOURCE_FAILED, thread_failure
from vgv_live.ring import FrameRing
from vgv_live.sources import Source
from vgv_live.stats import RateMeter

CONNECTING = "connecting"
RUNNING = "running"
RECONNECTING = "reconnecting"
ENDED = "ended"
ERROR = "error"


@dataclass(frozen=True)
class Transition:
    t: float  # monotonic
    state: str
    reason: str


class StateLog:
    """A producer's state and its latest changes: set by the producer's thread, read by any."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current = CONNECTING
        self.transitions: deque[Transition] = deque([Transition(time.monotonic(), CONNECTING, "")], maxlen=64)

    @property
    def current(self) -> str:
        with self._lock:
            return self._current

    def set(self, state: str, reason: str = "") -> None:
        with self._lock:
            if state == self._current:
                return
            self._current = state
        self.transitions.append(Transition(time.monotonic(), state, reason))

    def end(self, reason: str = "") -> None:
        """ENDED, unless the producer failed (an ERROR stays)."""
        if self.current != ERROR:
            self.set(ENDED, reason)


class ProducerThread(threading.Thread):
    """The part both producers share: their state log and the time of their last frame."""

    def __init__(self, name: str) -> None:
        super().__init__(name=name, daemon=True)
        self._states = StateLog()
        self.transitions = self._states.transitions
        self._last_frame_t = 0.0  # monotonic; set by the producer's thread as it delivers
        self.error: str | None = None
        self.error_code = EXIT_SOURCE_FAILED  # what the command line exits with when the state is ERROR

    @property
    def state(self) -> str:
        return self._states.current

    def frame_age(self, now: float | None = None) -> float:
        """Seconds since the last frame (inf before the first)."""
        last = self._last_frame_t
        return float("inf") if not last else (now or time.monotonic()) - last

    def _failed(self, exc: Exception) -> None:
        """The producer's thread ends in ERROR: why, and the exit code it means."""
        self.error, self.error_code = thread_failure(exc)
        self._states.set(ERROR, self.error)


class FrameProducer(Protocol):
    source: Source
    ring: FrameRing
    fps_meter: RateMeter  # frames delivered per second
    native_fps: float  # files: their own rate, from their timestamps; 0 for live sources
    reconnects: int
    error: str | None  # why the state is ERROR (or, while retrying, why the last attempt failed)
    error_code: int  # what the command line exits with when the state is ERROR
    transitions: deque[Transition]  # the latest state changes, oldest first

    @property
    def state(self) -> str: ...

    def frame_age(self, now: float | None = None) -> float:
        """Seconds since the last frame (inf before the first)."""

    def start(self) -> None: ...

    def stop(self, timeout: float = 2.0) -> bool:
        """Stop producing and join; True if the thread ended within ``timeout``."""

    def is_alive(self) -> bool: ...

    def join(self, timeout: float | None = None) -> None: ...


ProducerFactory = Callable[[FrameRing], FrameProducer]
