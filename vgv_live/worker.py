"""ExplainWorker: the one thread that runs the model, on the newest window of the ring.

Live: waits until ``hop`` new frames arrived since the last window, then explains the
window ending at the NEWEST frame, so a slow model skips frames instead of falling
behind. Lossless (files): explains the window ending at every ``hop``-th frame, in
order, releasing ring slots as it goes; when it is behind, the windows already in the
ring (up to ``batch``) go through the model in one pass. Each Result goes out
through the worker's ResultOutlet: a latest-wins slot (for a display) and every
subscription (for sinks).

Other model work of the process (the window's confidence timeline) is handed to this
thread as ``idle_work`` and runs, a small piece at a time, while no live window is due:
torch ops on a second long-lived thread would slow every op of this one.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from typing import Any, Protocol

from vgv_core.errors import VGVError
from vgv_core.exits import EXIT_PART_FAILED, thread_failure
from vgv_core.window_geometry import window_span
from vgv_live.clip_explainer import LiveExplainer
from vgv_live.requests import UNCHANGED, Requests
from vgv_live.result import Timings
from vgv_live.result_outlet import ResultOutlet
from vgv_live.ring import FrameRing, RingFrames

POLL_S = 0.25  # how often a waiting worker checks for stop
IDLE_POLL_S = 0.02  # idle work waiting for input: how soon it is tried again
IDLE_SHARE = 0.05  # a worker never idle still gives idle work this share of its time


class IdleWork(Protocol):
    """Model work that runs on the worker's thread while no live window is due."""

    @property
    def done(self) -> bool:
        """Nothing more will come: the worker forgets this work."""

    def run_once(self) -> bool:
        """Run one small piece (a forward pass or two); False when none was ready."""


def model_failure(exc: Exception) -> tuple[str, int]:
    """A model thread's error in one line, and the exit code it calls for."""
    if isinstance(exc, VGVError):
        return str(exc), EXIT_PART_FAILED
    if isinstance(exc, RuntimeError):  # torch: out of memory, a layer refusing the input size, ...
        return f"the model failed on a window: {exc}".splitlines()[0], EXIT_PART_FAILED
    return thread_failure(exc)  # a bug


@dataclass(frozen=True)
class WorkerOptions:
    hop: int = 1  # explain after this many new frames (1 = as fast as the model goes)
    lossless: bool = False  # explain every hop-th window in order (files)
    target: int | None = None  # class to explain; None = top-1 of each window
    batch: int = 1  # lossless: when this many windows are ready (the worker is behind), one pass explains them


class ExplainWorker(threading.Thread, ResultOutlet):
    def __init__(self, ring: FrameRing, explainer: LiveExplainer, options: WorkerOptions = WorkerOptions()) -> None:
        threading.Thread.__init__(self, name="vgv-explain", daemon=True)
        ResultOutlet.__init__(self, options.lossless)
        if options.hop < 1 or options.batch < 1:
            raise ValueError("hop and batch must be >= 1")
        self.ring = ring
        self.explainer = explainer
        self.options = options
        self.clip_len = explainer.model.spec.clip_len
        self.stride = explainer.model.spec.frame_stride
        self.span = window_span(self.clip_len, self.stride)
        self.error: str | None = None
        self.error_code = EXIT_PART_FAILED  # what the command line exits with for self.error
        self._target = options.target
        self._requests = Requests()
        self.ready = threading.Event()  # set once warmed up (or failed): frames may flow
        self._stop_event = threading.Event()
        self._cursor = ring.add_cursor() if options.lossless else None
        self.idle_work: IdleWork | None = None  # live only; set before start
        self._live_since: float | None = None
        self._last_explain_s = 0.0
        self._forced_idle_s = 0.0  # idle work run while live windows waited

    def request(self, *, hop: Any = UNCHANGED, target: Any = UNCHANGED) -> None:
        """From the next window on: explain after every ``hop`` new frames, for class ``target``
        (None: each window's top-1). Applied by this thread between passes."""
        if hop is not UNCHANGED and hop < 1:
            raise ValueError("hop must be >= 1")
        self._requests.put(hop=hop, target=target)

    def stop(self, timeout: float = 2.0) -> bool:
        """Stop after the pass under way, whose result still reaches the sinks (live); True once ended.

        Lossless, a sink that stopped reading would hold the worker at a full subscription, so
        the subscriptions are closed first."""
        self._stop_event.set()
        deadline = time.monotonic() + timeout
        if not self.options.lossless and self.is_alive():
            self.join(timeout)
        self.close_subscriptions()
        if self.is_alive():
            self.join(max(0.0, deadline - time.monotonic()))
        return not self.is_alive()

    def run(self) -> None:
        try:
            self.explainer.warm_up()
            self.ready.set()
            if self.options.lossless:
                self._run_lossless()
            else:
                self._run_live()
        except Exception as exc:  # noqa: BLE001 (it becomes this thread's error, not a traceback)
            self.error, self.error_code = model_failure(exc)
        finally:
            self.explainer.close()
            self.ready.set()
            self.close_subscriptions()

    def _apply_requests(self) -> None:
        changes = self._requests.take()
        if "hop" in changes:
            self.options = replace(self.options, hop=changes["hop"])
        self._target = changes.get("target", self._target)

    def _run_live(self) -> None:
        last_end = -1
        while not self._stop_event.is_set():
            self._apply_requests()
            waited = time.monotonic()
            window = self._next_live_window(last_end)
            if window is None:
                if self.ring.ended or self.ring.stopped:
                    return
                continue
            last_end = int(window.frame_ids[-1])
            self._publish([window], time.monotonic() - waited)

    def _next_live_window(self, last_end: int) -> RingFrames | None:
        """The next window to explain, or None; idle work runs while none is due."""
        work = self.idle_work
        if work is None or work.done:
            self.idle_work = None
            return self._live_window(last_end, POLL_S)
        window = self._live_window(last_end, 0.0)
        if window is None:
            if not work.run_once():
                window = self._live_window(last_end, IDLE_POLL_S)
        elif self._idle_share_due():
            started = time.monotonic()
            work.run_once()
            self._forced_idle_s += time.monotonic() - started
        return window

    def _idle_share_due(self) -> bool:
        """Whether one more piece (costing about one explanation) keeps idle work within IDLE_SHARE."""
        now = time.monotonic()
        if self._live_since is None:
            self._live_since = now
        return self._forced_idle_s + self._last_explain_s <= IDLE_SHARE * (now - self._live_since)

    def _live_window(self, last_end: int, timeout: float) -> RingFrames | None:
        return self.ring.latest_window(self.clip_len, self.stride, last_end, self.options.hop, timeout)

    def _run_lossless(self) -> None:
        end_id = self.span - 1
        while not self._stop_event.is_set():
            self._apply_requests()
            waited = time.monotonic()
            window = self.ring.window_ending_at(end_id, self.clip_len, self.stride, POLL_S)
            if window is None:
                if self.ring.stopped or self.ring.ended and self.ring.newest_id < end_id:
                    return
                continue
            windows = [window] + self._ready_windows_after(end_id)
            self._publish(windows, time.monotonic() - waited)
            end_id += self.options.hop * len(windows)
            self.ring.release(self._cursor, end_id - self.span)

    def _ready_windows_after(self, end_id: int) -> list[RingFrames]:
        """Up to ``batch - 1`` further hop-spaced windows whose frames are already in (no waiting)."""
        windows = []
        for k in range(1, self.options.batch):
            window = self.ring.window_ending_at(end_id + k * self.options.hop, self.clip_len, self.stride, timeout=0)
            if window is None:
                break
            windows.append(window)
        return windows

    def _publish(self, windows: list[RingFrames], wait_s: float) -> None:
        taken = time.monotonic()
        clips = self.explainer.explain_windows([(w.frames, w.frame_ids) for w in windows], self._target)
        done = time.monotonic()
        self._last_explain_s = done - taken
        for window, clip in zip(windows, clips):
            timings = Timings(wait_s, clip.preprocess_s, clip.explain_s, taken, done, clip.guard_s)
            self.publish(window, clip, self.explainer.labels, self.explainer.method, timings)
