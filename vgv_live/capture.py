"""CaptureThread: owns one cv2.VideoCapture and fills a FrameRing, reconnecting as needed.

A FrameProducer (vgv_live.producer, which lists its states). The capture is opened, read
and released by this thread only. Files are read straight through, paced by their own
timestamps (vgv_live.pacing) unless read losslessly. A live source that stops delivering (read failures, or no frame for ``stale_timeout_s``,
which is also FFmpeg's read timeout) is reopened with capped exponential backoff and
jitter. After every (re)connect the backlog FFmpeg or the driver buffered is discarded,
so the ring only holds frames that are fresh.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass

import cv2
import numpy as np

from vgv_core.errors import VideoError
from vgv_live.pacing import FileClock
from vgv_live.producer import CONNECTING, ERROR, RECONNECTING, RUNNING, ProducerThread
from vgv_live.ring import FrameRing
from vgv_live.sources import FILE, Source, open_capture
from vgv_live.stats import RateMeter
from vgv_live.wakeup import peer_addresses, shutdown_connections

MAX_FAST_READ_FAILURES = 5  # a closed stream fails every read at once: reconnect, don't spin
BACKLOG_GRAB_S = 0.005  # a grab quicker than this came from a buffer, not from the camera
MAX_BACKLOG_FRAMES = 300
WATCHDOG_FRACTION = 0.95  # a read this close to the read timeout was ended by it


@dataclass(frozen=True)
class CaptureOptions:
    open_timeout_s: float = 10.0
    stale_timeout_s: float = 5.0  # watchdog: no frame for this long = hung source; also the read timeout
    retry: bool = False  # keep retrying when the first open fails (later outages always reconnect)
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    backoff_jitter: float = 0.25  # +/- fraction, so many cameras don't reconnect in lockstep
    paced: bool = True  # files: deliver at native speed (False = as fast as the ring takes them)
    loop: bool = False  # files: start again at the end


def backoff_delay(attempt: int, options: CaptureOptions, rng: random.Random) -> float:
    """Capped exponential delay before open attempt ``attempt`` (0-based), with jitter."""
    base = min(options.backoff_max_s, options.backoff_initial_s * 2**attempt)
    return base * (1.0 + rng.uniform(-options.backoff_jitter, options.backoff_jitter))


class CaptureThread(ProducerThread):
    def __init__(self, source: Source, ring: FrameRing, options: CaptureOptions = CaptureOptions()) -> None:
        super().__init__(f"vgv-capture {source.text}")
        self.source = source
        self.ring = ring
        self.options = options
        self.fps_meter = RateMeter()
        self.native_fps = 0.0  # files: measured from frame timestamps; live: see fps_meter
        self.reconnects = 0
        self.open_attempts = 0
        self.read_failures = 0
        self.backlog_dropped = 0
        self._stop_event = threading.Event()
        self._rng = random.Random()

    # -- public ------------------------------------------------------------------------------

    def stop(self, timeout: float = 2.0) -> bool:
        """Stop capturing and join; True if the thread ended within ``timeout``."""
        self._stop_event.set()
        self.ring.stop()
        deadline = time.monotonic() + timeout
        endpoint = self.source.endpoint if self.is_alive() else None
        addresses = peer_addresses(endpoint[0]) if endpoint else set()
        while self.is_alive() and time.monotonic() < deadline:
            if addresses:  # wakes an open or a read stuck on a hung server
                shutdown_connections(addresses, endpoint[1])
            self.join(min(0.1, max(0.0, deadline - time.monotonic())))
        return not self.is_alive()

    # -- thread ------------------------------------------------------------------------------

    def run(self) -> None:
        capture = None
        try:
            capture = self._connect(first=True)
            while capture is not None and not self._stop_event.is_set():
                if self._pump(capture):
                    break
                capture.release()
                capture = None
                if self._stop_event.is_set():
                    break
                self.reconnects += 1
                self.ring.clear()
                capture = self._connect(first=False)
        except Exception as exc:  # noqa: BLE001 (a bug, or OpenCV failing oddly: this source's error state)
            self._failed(exc)
        finally:
            if capture is not None:
                capture.release()
            self._states.end("stopped" if self._stop_event.is_set() else "end of stream")
            self.ring.end()

    def _connect(self, first: bool) -> cv2.VideoCapture | None:
        """Open with backoff; None when stopped or (first open, no retry) failed."""
        self._states.set(CONNECTING if first else RECONNECTING, "" if first else "source lost")
        attempt = 0
        while not self._stop_event.is_set():
            self.open_attempts += 1
            try:
                capture = open_capture(self.source, self.options.open_timeout_s, self.options.stale_timeout_s)
            except VideoError as exc:
                if self._stop_event.is_set():
                    return None
                if first and not self.options.retry:
                    self.error = str(exc)
                    self._states.set(ERROR, str(exc))
                    return None
                delay = backoff_delay(attempt, self.options, self._rng)
                self.error = f"{exc}; retrying in {delay:.1f} s"
                attempt += 1
                if self._stop_event.wait(delay):
                    return None
                continue
            self.error = None
            if self.source.live:
                self._drop_backlog(capture)
            self._states.set(RUNNING)
            return capture
        return None

    def _drop_backlog(self, capture: cv2.VideoCapture) -> None:
        """Discard frames the decoder or driver had buffered: they are seconds old."""
        for _ in range(MAX_BACKLOG_FRAMES):
            if self._stop_event.is_set():
                return
            started = time.monotonic()
            if not capture.grab():
                return
            if time.monotonic() - started >= BACKLOG_GRAB_S:
                return  # this grab waited for the camera: we are live now (its frame is dropped too)
            self.backlog_dropped += 1

    def _pump(self, capture: cv2.VideoCapture) -> bool:
        """Read until the source fails (False: reconnect) or ends or we stop (True)."""
        if self.source.kind == FILE:
            return self._pump_file(capture)
        self.fps_meter.reset()
        self._last_frame_t = time.monotonic()
        fast_failures = 0
        frame = None
        while not self._stop_event.is_set():
            started = time.monotonic()
            ok, frame = capture.read(frame)
            now = time.monotonic()
            if now - started >= WATCHDOG_FRACTION * self.options.stale_timeout_s:
                return False  # the read timeout fired: a frame it returns is a stale leftover
            if ok and frame is not None:
                fast_failures = 0
                self._deliver(frame, now)
                continue
            self.read_failures += 1
            fast_failures += 1
            if self._stop_event.is_set():
                return True
            if fast_failures >= MAX_FAST_READ_FAILURES or self.frame_age(now) >= self.options.stale_timeout_s:
                return False
            time.sleep(0.01)
        return True

    def _pump_file(self, capture: cv2.VideoCapture) -> bool:
        clock = FileClock(capture.get(cv2.CAP_PROP_FPS))
        frame, read_since_start = None, 0
        while not self._stop_event.is_set():
            ok, frame = capture.read(frame)
            if not ok or frame is None:
                if not self.options.loop or read_since_start == 0:
                    return True
                capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                clock.restart()
                read_since_start = 0
                continue
            read_since_start += 1
            due = clock.due(capture.get(cv2.CAP_PROP_POS_MSEC))
            if self.options.paced and self._stop_event.wait(max(0.0, due - time.monotonic())):
                return True
            self.native_fps = clock.fps
            if not self._deliver(frame, time.monotonic()):
                return True
        return True

    def _deliver(self, frame: np.ndarray, now: float) -> bool:
        if self.ring.put(frame, now) is None:
            return False
        self._last_frame_t = now
        self.fps_meter.tick(now)
        return True
