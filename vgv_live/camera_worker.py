"""CameraWorker: one model's thread, explaining the newest window of every ready camera in one pass.

Each pass takes, from every camera whose ring got ``hop`` new frames since its last window,
the window ending at its newest frame, and explains them together as one batch (B = the
cameras ready; one batch per explanation method when cameras use different ones). A camera
that is down has no new frames and costs nothing. Every ready camera goes into the pass (up
to ``max_batch``; the cameras left out go first in the next pass), so a fast camera cannot
starve a slow one. Each camera's LivePipeline sees its CameraLane in place of an ExplainWorker.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

from vgv_core.errors import VGVError
from vgv_core.exits import EXIT_PART_FAILED
from vgv_core.attention_guard import AttentionGuard
from vgv_core.window_geometry import window_span
from vgv_core.explain.methods import validate_methods
from vgv_live.clip_explainer import CameraWindow, ClipExplainer
from vgv_live.requests import UNCHANGED, Requests
from vgv_live.result import Timings
from vgv_live.result_outlet import ResultOutlet
from vgv_live.ring import FrameRing, RingFrames
from vgv_live.worker import model_failure

WAIT_S = 0.005  # no camera ready: how soon the rings are looked at again
POLL_S = 0.25  # a worker with no camera running checks for stop this often


class CameraLane(ResultOutlet):
    """One camera's side of a CameraWorker: its ring, its settings, and where its results go."""

    def __init__(self, worker: "CameraWorker", name: str, ring: FrameRing, explainer: ClipExplainer, hop: int = 1,
                 guard: AttentionGuard | None = None) -> None:
        super().__init__()
        if hop < 1:
            raise ValueError("hop must be >= 1")
        self.worker = worker
        self.name = name
        self.ring = ring
        self.explainer = explainer
        self.hop = hop
        self.guard = guard
        self.span = worker.span
        self.notice: str | None = None  # why the last request was refused
        self.requests = Requests()  # taken by the worker between passes
        self._last_end = -1
        self._stopped = False

    def request(self, *, method: Any = UNCHANGED, hop: Any = UNCHANGED) -> None:
        """From the camera's next window on: explain it with ``method``, after every ``hop`` new frames
        (applied by the worker's thread between passes)."""
        if method is not UNCHANGED:
            validate_methods(method)
        if hop is not UNCHANGED and hop < 1:
            raise ValueError("hop must be >= 1")
        self.requests.put(method=method, hop=hop)

    # -- what a LivePipeline uses of its worker ----------------------------------------------

    @property
    def ready(self) -> threading.Event:
        return self.worker.ready

    @property
    def error(self) -> str | None:
        return self.worker.error

    @property
    def error_code(self) -> int:
        return self.worker.error_code

    def start(self) -> None:
        """Nothing to start: the camera's worker is shared, started by its owner."""

    def stop(self, timeout: float = 2.0) -> bool:
        self._stopped = True
        self.close_subscriptions()
        return True

    def is_alive(self) -> bool:
        return not self._stopped and self.worker.is_alive()

    def join(self, timeout: float | None = None) -> None:
        """The shared worker is joined by its owner."""

    # -- the worker's side -----------------------------------------------------------------------

    def next_window(self) -> RingFrames | None:
        """The window ending at the newest frame once ``hop`` frames came since the last one; no wait."""
        if self._stopped:
            return None
        spec = self.explainer.model.spec
        window = self.ring.latest_window(spec.clip_len, spec.frame_stride, self._last_end, self.hop, 0.0)
        if window is not None:
            self._last_end = int(window.frame_ids[-1])
        return window

    @property
    def finished(self) -> bool:
        return self._stopped or self.ring.ended or self.ring.stopped


class CameraWorker(threading.Thread):
    def __init__(self, explainers: Sequence[ClipExplainer], target: int | None = None,
                 max_batch: int | None = None) -> None:
        super().__init__(name="vgv-explain-cameras", daemon=True)
        models = {id(explainer.model) for explainer in explainers}
        if len(models) != 1:
            raise ValueError("one CameraWorker runs one model: give it that model's explainers")
        self.explainers = list(explainers)
        spec = self.explainers[0].model.spec
        self.span = window_span(spec.clip_len, spec.frame_stride)
        self.target = target
        self.max_batch = max_batch
        self.lanes: list[CameraLane] = []
        self.passes = 0
        self.error: str | None = None
        self.error_code = EXIT_PART_FAILED
        self.ready = threading.Event()  # set once warmed up (or failed): frames may flow
        self._stop_event = threading.Event()
        self._first = 0  # the lane first in line in the next pass

    def lane(self, name: str, ring: FrameRing, explainer: ClipExplainer, hop: int = 1,
             guard: AttentionGuard | None = None) -> CameraLane:
        """Add a camera (before start)."""
        if explainer not in self.explainers:
            raise ValueError("the lane's explainer must be one of the worker's")
        lane = CameraLane(self, name, ring, explainer, hop, guard)
        self.lanes.append(lane)
        return lane

    def stop(self, timeout: float = 2.0) -> bool:
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout)
        return not self.is_alive()

    def run(self) -> None:
        try:
            for explainer in self.explainers:
                explainer.warm_up()
            self.ready.set()
            self._run()
        except Exception as exc:  # noqa: BLE001 (it becomes this thread's error, not a traceback)
            self.error, self.error_code = model_failure(exc)
        finally:
            self.ready.set()
            for lane in self.lanes:
                lane.close_subscriptions()

    def _run(self) -> None:
        while not self._stop_event.is_set():
            self._apply_requests()
            waited = time.monotonic()
            ready = self._ready_windows()
            if not ready:
                if self.lanes and all(lane.finished for lane in self.lanes):
                    return
                self._stop_event.wait(WAIT_S)
                continue
            for explainer in self.explainers:
                batch = [(lane, window) for lane, window in ready if lane.explainer is explainer]
                if batch:
                    self._explain(explainer, batch, time.monotonic() - waited)
            self.passes += 1

    def _apply_requests(self) -> None:
        for lane in self.lanes:
            changes = lane.requests.take()
            lane.hop = changes.get("hop", lane.hop)
            method = changes.get("method", lane.explainer.method)
            if method != lane.explainer.method:
                lane.explainer, lane.notice = self._explainer_for(method, lane.explainer)

    def _explainer_for(self, method: str, current: ClipExplainer) -> tuple[ClipExplainer, str | None]:
        """The worker's explainer for ``method`` (made and tried on a blank clip when new); the current
        one and why when the model cannot be explained with it."""
        for explainer in self.explainers:
            if explainer.method == method:
                return explainer, None
        explainer = ClipExplainer(current.model, method, current.map_long_side, current.exact)
        try:
            explainer.warm_up()
        except (VGVError, RuntimeError, ValueError) as exc:
            return current, f"cannot explain with {method}: {exc}".splitlines()[0]
        self.explainers.append(explainer)
        return explainer, None

    def _ready_windows(self) -> list[tuple[CameraLane, RingFrames]]:
        """The newest window of each ready camera, starting after the last pass's first; at most max_batch."""
        count = len(self.lanes)
        order = [self.lanes[(self._first + k) % count] for k in range(count)]
        limit = self.max_batch or count
        ready = []
        for position, lane in enumerate(order):
            if len(ready) == limit:  # the cameras not looked at go first next time
                self._first = (self._first + position) % count
                return ready
            window = lane.next_window()
            if window is not None:
                ready.append((lane, window))
        return ready

    def _explain(self, explainer: ClipExplainer, batch: list[tuple[CameraLane, RingFrames]], wait_s: float) -> None:
        taken = time.monotonic()
        clips = explainer.explain_cameras(
            [CameraWindow(lane.name, window.frames, window.frame_ids, lane.guard) for lane, window in batch], self.target)
        done = time.monotonic()
        for (lane, window), clip in zip(batch, clips):
            timings = Timings(wait_s, clip.preprocess_s, clip.explain_s, taken, done, clip.guard_s)
            lane.publish(window, clip, explainer.labels, explainer.method, timings)
