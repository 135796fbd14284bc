"""ReplayPlayer: plays a video file into a FrameRing with seek, pause, single steps and speed.

A FrameProducer (vgv_live.producer), the window's for files: a LivePipeline built with
it runs as with a CaptureThread, and the file is paced by the same rule, its own
timestamps (vgv_live.pacing), so it plays at the same speed in the window and headless.
The thread owns its cv2.VideoCapture: opens, reads and releases it. Ring frame ids keep
counting across seeks; ``file_index`` maps a ring frame id back to its index in the file.
A seek clears the ring and feeds the ``span`` frames that end at the target at once, so
the worker can explain exactly the window that ends on the frame the user asked for.
"""

from __future__ import annotations

import threading
import time
from collections import deque

import cv2
import numpy as np

from vgv_core.errors import VideoError
from vgv_live.pacing import FileClock
from vgv_live.producer import ENDED, ERROR, RUNNING, ProducerThread
from vgv_live.ring import FrameRing
from vgv_live.sources import Source, open_capture
from vgv_live.stats import RateMeter

SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0)
IDLE_WAIT_S = 0.25


class FileIndex:
    """Ring frame id -> frame index in the file, as runs of consecutive frames."""

    def __init__(self, runs: int = 256) -> None:
        self._runs: deque[tuple[int, int]] = deque(maxlen=runs)  # (first ring id, its file index)
        self._lock = threading.Lock()

    def add(self, ring_id: int, file_index: int) -> None:
        with self._lock:
            if self._runs and ring_id - self._runs[-1][0] == file_index - self._runs[-1][1]:
                return
            self._runs.append((ring_id, file_index))

    def lookup(self, ring_id: int) -> int | None:
        with self._lock:
            for first_id, first_index in reversed(self._runs):
                if ring_id >= first_id:
                    return first_index + ring_id - first_id
        return None


class ReplayPlayer(ProducerThread):
    def __init__(self, source: Source, ring: FrameRing, span: int, open_timeout_s: float = 10.0,
                 loop: bool = False) -> None:
        super().__init__("vgv-replay")
        self.source = source
        self.ring = ring
        self.span = span
        self.open_timeout_s = open_timeout_s
        self.loop = loop  # start again at the first frame after the last
        self.fps_meter = RateMeter()
        self.native_fps = 0.0
        self.frame_count = 0  # as the container says; 0 until opened
        self.reconnects = 0
        self.file_index = FileIndex()
        self.position = -1  # file index of the newest frame delivered
        self._cond = threading.Condition()
        self._stop_event = threading.Event()
        self._seek_to: int | None = None
        self._steps = 0
        self._paused = False
        self._speed = 1.0
        self._clock: FileClock | None = None  # the player thread's, made when the file opens
        self._restart_clock = True  # a command asked for the next frame to be due at once

    # -- commands (any thread) --------------------------------------------------------------

    @property
    def paused(self) -> bool:
        with self._cond:
            return self._paused

    @property
    def speed(self) -> float:
        with self._cond:
            return self._speed

    def seek(self, index: int) -> None:
        """Show frame ``index`` next (the newest request wins)."""
        with self._cond:
            self._seek_to = max(0, int(index))
            self._cond.notify_all()

    def step(self, frames: int) -> None:
        """Pause, then move ``frames`` frames forward (or back when negative)."""
        with self._cond:
            self._paused = True
            self._steps += frames
            self._cond.notify_all()

    def set_paused(self, paused: bool) -> None:
        with self._cond:
            self._paused = paused
            self._restart_clock = True
            self._cond.notify_all()

    def set_speed(self, speed: float) -> None:
        if speed <= 0:
            raise ValueError("speed must be > 0")
        with self._cond:
            self._speed = speed
            self._restart_clock = True
            self._cond.notify_all()

    def stop(self, timeout: float = 2.0) -> bool:
        self._stop_event.set()
        self.ring.stop()
        with self._cond:
            self._cond.notify_all()
        if self.is_alive():
            self.join(timeout)
        return not self.is_alive()

    # -- thread -------------------------------------------------------------------------------

    def run(self) -> None:
        capture = None
        try:
            capture = open_capture(self.source, self.open_timeout_s, self.open_timeout_s)
            self._clock = FileClock(capture.get(cv2.CAP_PROP_FPS))
            self.native_fps = self._clock.fps
            self.frame_count = max(0, int(capture.get(cv2.CAP_PROP_FRAME_COUNT)))
            self._states.set(RUNNING)
            self._play(capture)
        except VideoError as exc:
            self.error = str(exc)
            self._states.set(ERROR, str(exc))
        except Exception as exc:  # noqa: BLE001 (a bug, or OpenCV failing oddly: this source's error state)
            self._failed(exc)
        finally:
            if capture is not None:
                capture.release()
            self._states.end()
            self.ring.end()

    def _play(self, capture: cv2.VideoCapture) -> None:
        while not self._stop_event.is_set():
            seek_to, steps = self._next_command()
            if seek_to is not None:
                self._seek(capture, seek_to)
            elif steps < 0:
                self._seek(capture, self.position + steps)
            elif steps > 0:
                for _ in range(steps):
                    self._read_and_deliver(capture)
            else:
                self._play_one(capture)

    def _next_command(self) -> tuple[int | None, int]:
        """Wait while paused or at the end; then (seek target, frames to step)."""
        with self._cond:
            while not self._stop_event.is_set():
                if self._seek_to is not None or self._steps:
                    seek_to, steps = self._seek_to, self._steps
                    self._seek_to, self._steps = None, 0
                    return seek_to, steps
                if not self._paused and self._states.current == RUNNING:
                    return None, 0
                self._cond.wait(IDLE_WAIT_S)
        return None, 0

    def _play_one(self, capture: cv2.VideoCapture) -> None:
        """Read the next frame and deliver it when it is due (at once if a command comes first)."""
        ok, frame = capture.read()
        if not ok or frame is None:
            self._states.set(ENDED)
            if self.loop:
                self._seek(capture, 0)
            return
        self._wait_until(self._due(capture))
        self._deliver(frame)

    def _due(self, capture: cv2.VideoCapture) -> float:
        with self._cond:
            if self._restart_clock:
                self._clock.restart(self._speed)
                self._restart_clock = False
        due = self._clock.due(capture.get(cv2.CAP_PROP_POS_MSEC))
        self.native_fps = self._clock.fps
        return due

    def _wait_until(self, due: float) -> None:
        with self._cond:
            while not (self._stop_event.is_set() or self._paused or self._steps or self._seek_to is not None):
                left = due - time.monotonic()
                if left <= 0:
                    return
                self._cond.wait(left)

    def _seek(self, capture: cv2.VideoCapture, index: int) -> None:
        last = self.frame_count - 1 if self.frame_count else index
        index = max(0, min(index, last))
        first = max(0, index - self.span + 1)
        capture.set(cv2.CAP_PROP_POS_FRAMES, first)
        self.ring.clear()
        self.position = first - 1
        self._states.set(RUNNING)
        for _ in range(first, index + 1):
            if not self._read_and_deliver(capture):
                break
        with self._cond:
            self._restart_clock = True

    def _read_and_deliver(self, capture: cv2.VideoCapture) -> bool:
        ok, frame = capture.read()
        if not ok or frame is None:
            self._states.set(ENDED)
            return False
        return self._deliver(frame)

    def _deliver(self, frame: np.ndarray) -> bool:
        now = time.monotonic()
        frame_id = self.ring.put(frame, now)
        if frame_id is None:
            return False
        self.position += 1
        self.file_index.add(frame_id, self.position)
        self._last_frame_t = now
        self.fps_meter.tick(now)
        return True
