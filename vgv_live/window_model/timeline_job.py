"""TimelineJob: the whole-video confidence timeline of a file, computed in the worker's idle time.

Replay shows where the model changed its mind before the user gets there. This thread
decodes the file once and cuts the window ending at every ``step``-th frame (OpenCV and
NumPy only); the model work, a forward pass of its own copy of the network for a few
windows at a time, runs on the explain worker's thread whenever no live window is due
(`ExplainWorker`'s idle work). So the process keeps one torch thread team: a second one,
in a thread of its own, slowed every op of the worker about 2x (docs/performance.md).
Points become visible to the window as they are computed; a finished timeline goes to
the TimelineCache and loads at once next time.
"""

from __future__ import annotations

import math
import os
import queue
import threading
from collections import deque
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from vgv_core import ModelSpec, Preprocessor
from vgv_core.errors import VGVError
from vgv_core.video_reader import VideoReader
from vgv_core.window_geometry import sample_positions, window_span, with_edges_repeated
from vgv_live.window_model.timeline_cache import Timeline, TimelineCache, timeline_key

MAX_POINTS = 400
POINTS_PER_SECOND = 4  # when the container does not say how many frames it holds
BATCH = 2  # windows per forward: small, so a live window waits for at most one batch
READY_WINDOWS = 4 * BATCH  # cut windows waiting for the worker
NICENESS = 10  # decoding uses what the worker leaves over
PUT_POLL_S = 0.2


def timeline_step(frame_count: int | None, fps: float) -> int:
    if frame_count:
        return max(1, math.ceil(frame_count / MAX_POINTS))
    return max(1, round(fps / POINTS_PER_SECOND))


def lower_priority() -> None:
    """Run the calling thread at a lower priority (Linux: threads have their own nice value)."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICENESS)
    except (AttributeError, OSError):
        pass  # not Linux, or not allowed: the timeline just competes evenly


class TimelineJob(threading.Thread):
    def __init__(self, video: str | Path, net: nn.Module, spec: ModelSpec, device: torch.device,
                 cache: TimelineCache | None = None) -> None:
        super().__init__(name="vgv-timeline", daemon=True)
        self.video = Path(video)
        self.net = net  # a private copy: the explain worker's hooks must never see these passes
        self.spec = spec
        self.device = device
        self.cache = cache
        self.expected_frames = 0  # the container's claim, for the progress (0 = unknown)
        self.error: str | None = None
        self.from_cache = False
        self._lock = threading.Lock()
        self._indices: list[int] = []
        self._probs: list[np.ndarray] = []
        self._frame_count = 0
        self._stop_event = threading.Event()
        self._ready: queue.Queue[tuple[int, np.ndarray]] = queue.Queue(READY_WINDOWS)
        self._decoded = 0  # frames in the file, once all are decoded and cut (0 before)
        self._all_classified = threading.Event()
        self._preprocess = Preprocessor(spec, device)

    @property
    def points(self) -> int:
        with self._lock:
            return len(self._indices)

    @property
    def finished(self) -> bool:
        with self._lock:
            return self._frame_count > 0

    @property
    def progress(self) -> float:
        """Fraction of the video covered so far (0..1)."""
        with self._lock:
            if self._frame_count:
                return 1.0
            last = self._indices[-1] + 1 if self._indices else 0
        return min(0.99, last / self.expected_frames) if self.expected_frames else 0.0

    def snapshot(self) -> Timeline:
        """The points computed so far (fresh arrays)."""
        with self._lock:
            indices = np.array(self._indices, np.int64)
            probs = np.stack(self._probs) if self._probs else np.zeros((0, self.spec.num_classes), np.float32)
            return Timeline(indices, probs, self._frame_count)

    def request_stop(self) -> None:
        self._stop_event.set()

    def stop(self, timeout: float = 2.0) -> bool:
        self.request_stop()
        if self.is_alive():
            self.join(timeout)
        return not self.is_alive()

    def run(self) -> None:
        lower_priority()
        try:
            with VideoReader(self.video) as reader:
                info = reader.info
                self.expected_frames = info.frame_count or 0
                step = timeline_step(info.frame_count, info.fps)
                key = timeline_key(self.video, self.spec, self.net, step)
                cached = self.cache.load(key) if self.cache else None
                if cached is not None:
                    self.from_cache = True
                    self._publish(list(cached.frame_indices), list(cached.probs), cached.frame_count)
                    return
                frame_count = self._cut_windows(reader, step)
            if frame_count and self._wait_classified() and self.cache is not None:
                self.cache.save(key, self.snapshot())
        except VGVError as exc:
            self.error = str(exc)
        except (RuntimeError, OSError) as exc:
            self.error = f"the confidence timeline failed: {exc}".splitlines()[0]
        finally:
            self._all_classified.set()  # nothing more comes: the worker drops this job

    @property
    def done(self) -> bool:
        """Nothing is left for the worker: every point is in, or the job stopped or failed."""
        return self._all_classified.is_set()

    def run_once(self) -> bool:
        """Classify up to BATCH cut windows (on the worker's thread); False when none was ready."""
        decoded = self._decoded  # read before the queue: once set, every window is already in it
        batch = []
        while len(batch) < BATCH:
            try:
                batch.append(self._ready.get_nowait())
            except queue.Empty:
                break
        if batch:
            try:
                self._run_batch(batch)
            except RuntimeError as exc:  # the live explanations go on without a timeline
                self.error = f"the confidence timeline failed: {exc}".splitlines()[0]
                self.request_stop()
        elif decoded:
            with self._lock:
                self._frame_count = decoded
            self._all_classified.set()
        return bool(batch)

    def _wait_classified(self) -> bool:
        while not self._stop_event.is_set():
            if self._all_classified.wait(PUT_POLL_S):
                return self.finished
        return False

    def _cut_windows(self, reader: VideoReader, step: int) -> int:
        """Queue every step-th window for the worker; the number of frames (0 when stopped early)."""
        span = window_span(self.spec.clip_len, self.spec.frame_stride)
        recent: deque[np.ndarray] = deque(maxlen=span)
        index = -1
        for index, frame in reader.frames():
            recent.append(frame)
            if index % step == 0 and not self._hand_over(index, self._window(recent, index)):
                return 0
        self._decoded = index + 1
        return index + 1

    def _hand_over(self, index: int, window: np.ndarray) -> bool:
        """Queue one window, waiting while the worker is behind; False when stopped."""
        while not self._stop_event.is_set():
            try:
                self._ready.put((index, window), timeout=PUT_POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def _window(self, recent: deque[np.ndarray], end: int) -> np.ndarray:
        """The clip ending on frame ``end``; samples before frame 0 take frame 0."""
        first_held = end - len(recent) + 1
        samples = with_edges_repeated(sample_positions(end, self.spec.clip_len, self.spec.frame_stride))
        return np.stack([recent[sample - first_held] for sample in samples])

    def _run_batch(self, batch: list[tuple[int, np.ndarray]]) -> None:
        with torch.inference_mode():
            clips = torch.cat([self._preprocess(window) for _, window in batch])
            probs = torch.softmax(self.net(clips).float(), dim=1).cpu().numpy()
        self._publish([index for index, _ in batch], list(probs), 0)

    def _publish(self, indices: list[int], probs: list[np.ndarray], frame_count: int) -> None:
        with self._lock:
            self._indices += [int(i) for i in indices]
            self._probs += [np.asarray(p, np.float32) for p in probs]
            self._frame_count = frame_count
