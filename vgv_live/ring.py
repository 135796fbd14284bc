"""FrameRing: a preallocated uint8 ring of frames between the capture thread and its readers.

Every frame gets a frame id (0, 1, 2, ... across reconnects) and the monotonic time it
was captured. Live mode overwrites the oldest slot (the producer never blocks) and counts
each frame overwritten before any window covered it as dropped. Lossless mode (files)
makes the producer wait until every registered cursor has released the slot it needs.
Readers always get fresh copies, never views of a slot. `end()` is the EOF sentinel;
`stop()` wakes every waiter for shutdown.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import numpy as np

from vgv_core.memory_budget import check_fits
from vgv_core.window_geometry import sample_positions, window_span


@dataclass(frozen=True)
class RingFrames:
    """Frames (T, H, W, 3) uint8 BGR with their ids and capture times; a private copy."""

    frames: np.ndarray
    frame_ids: np.ndarray  # (T,) int64
    timestamps: np.ndarray  # (T,) float64, time.monotonic() at capture


class FrameRing:
    def __init__(self, capacity: int, lossless: bool = False) -> None:
        if capacity < 2:
            raise ValueError("a FrameRing needs room for at least 2 frames")
        self.capacity = capacity
        self.lossless = lossless
        self._cond = threading.Condition()
        self._frames: np.ndarray | None = None  # allocated at the first frame, shape known then
        self._ids = np.full(capacity, -1, np.int64)
        self._times = np.zeros(capacity, np.float64)
        self._covered = np.zeros(capacity, bool)
        self._next_id = 0
        self._first_held = 0  # frames before this id were cleared
        self._released: dict[int, int] = {}  # cursor -> highest id it no longer needs
        self._dropped = 0
        self._ended = False
        self._stopped = False

    # -- producer ---------------------------------------------------------------------------

    def put(self, frame: np.ndarray, timestamp: float | None = None) -> int | None:
        """Store a copy of ``frame``; return its frame id, or None once stopped (lossless wait)."""
        timestamp = time.monotonic() if timestamp is None else timestamp
        with self._cond:
            if self.lossless and not self._cond.wait_for(self._has_room, timeout=None):
                return None
            if self._stopped:
                return None
            self._ensure_storage(frame.shape)
            frame_id = self._next_id
            slot = frame_id % self.capacity
            if self._ids[slot] >= self._first_held and not self._covered[slot]:
                self._dropped += 1
            self._frames[slot] = frame
            self._ids[slot] = frame_id
            self._times[slot] = timestamp
            self._covered[slot] = False
            self._next_id += 1
            self._cond.notify_all()
            return frame_id

    def end(self) -> None:
        """No more frames will come (end of file)."""
        with self._cond:
            self._ended = True
            self._cond.notify_all()

    def clear(self) -> None:
        """Forget every held frame (stale after a reconnect); ids keep counting."""
        with self._cond:
            for slot in np.flatnonzero(self._ids >= self._first_held):
                self._dropped += int(not self._covered[slot])
            self._first_held = self._next_id
            self._cond.notify_all()

    def stop(self) -> None:
        """Wake every waiter; later waits return at once."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    # -- lossless flow control ----------------------------------------------------------------

    def add_cursor(self) -> int:
        """Register a lossless reader; the producer never overwrites what it has not released."""
        with self._cond:
            cursor = len(self._released)
            self._released[cursor] = -1
            return cursor

    def release(self, cursor: int, upto_id: int) -> None:
        """The reader ``cursor`` no longer needs frames with id <= ``upto_id``."""
        with self._cond:
            self._released[cursor] = max(self._released[cursor], upto_id)
            self._cond.notify_all()

    def _has_room(self) -> bool:
        if self._stopped or not self._released:
            return True
        return self._next_id - self.capacity <= min(self._released.values())

    # -- readers -----------------------------------------------------------------------------

    def latest_window(
        self, clip_len: int, stride: int = 1, after_id: int = -1, hop: int = 1, timeout: float | None = None
    ) -> RingFrames | None:
        """The window ending at the newest frame, once that frame is ``hop`` past ``after_id``.

        None on timeout, stop, or end of stream with no such window left.
        """
        span = window_span(clip_len, stride)
        self._check_span(span)

        def ready() -> bool:
            newest = self._next_id - 1
            return newest >= after_id + hop and newest - span + 1 >= self._oldest_held()

        with self._cond:
            if not self._wait(ready, timeout):
                return None
            return self._copy_window(self._next_id - 1, clip_len, stride)

    def window_ending_at(
        self, end_id: int, clip_len: int, stride: int = 1, timeout: float | None = None
    ) -> RingFrames | None:
        """The window whose newest frame is ``end_id`` (lossless reading); None as above."""
        span = window_span(clip_len, stride)
        self._check_span(span)
        with self._cond:
            if not self._wait(lambda: self._next_id > end_id, timeout):
                return None
            if end_id - span + 1 < self._oldest_held():
                return None
            return self._copy_window(end_id, clip_len, stride)

    def frames_between(self, first_id: int, last_id: int) -> RingFrames:
        """Copies of the frames with ids in [first_id, last_id] that are still held."""
        with self._cond:
            first = max(first_id, self._oldest_held())
            ids = np.arange(first, min(last_id, self._next_id - 1) + 1, dtype=np.int64)
            slots = ids % self.capacity
            frames = self._frames[slots] if self._frames is not None else np.empty((0, 0, 0, 3), np.uint8)
            return RingFrames(frames, ids, self._times[slots].copy())

    # -- state -------------------------------------------------------------------------------

    @property
    def newest_id(self) -> int:
        """Id of the newest frame, -1 before the first."""
        with self._cond:
            return self._next_id - 1

    @property
    def dropped(self) -> int:
        """Frames overwritten or cleared before any window covered them."""
        with self._cond:
            return self._dropped

    @property
    def ended(self) -> bool:
        with self._cond:
            return self._ended

    @property
    def stopped(self) -> bool:
        with self._cond:
            return self._stopped

    @property
    def nbytes(self) -> int:
        """Memory held by the frame storage (constant once the first frame arrived)."""
        with self._cond:
            return 0 if self._frames is None else self._frames.nbytes

    # -- internals ---------------------------------------------------------------------------

    def _oldest_held(self) -> int:
        return max(self._first_held, self._next_id - self.capacity)

    def _check_span(self, span: int) -> None:
        if span > self.capacity:
            raise ValueError(f"a window spans {span} frames but the ring holds only {self.capacity}")

    def _wait(self, predicate, timeout: float | None) -> bool:
        """Wait for ``predicate``; False on timeout, stop, or end of stream without it."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while not predicate():
            if self._stopped or self._ended:
                return False
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            self._cond.wait(left)
        return not self._stopped

    def _copy_window(self, end_id: int, clip_len: int, stride: int) -> RingFrames:
        ids = np.array(sample_positions(end_id, clip_len, stride), np.int64)
        slots = ids % self.capacity
        self._covered[np.arange(ids[0], end_id + 1) % self.capacity] = True
        return RingFrames(self._frames[slots], ids, self._times[slots].copy())

    def _ensure_storage(self, shape: tuple[int, ...]) -> None:
        if self._frames is not None and self._frames.shape[1:] == shape:
            return
        if len(shape) != 3 or shape[2] != 3:
            raise ValueError(f"frames must be (H, W, 3) uint8, got shape {shape}")
        if self._frames is not None:  # a reconnect brought a new resolution: old frames are unusable
            self._first_held = self._next_id
            self._frames = None
        height, width = shape[:2]
        check_fits(self.capacity * height * width * 3, f"a ring of {self.capacity} frames of {width}x{height}",
                   "lower --ring-frames, or use a smaller source resolution")
        self._frames = np.empty((self.capacity, *shape), np.uint8)
