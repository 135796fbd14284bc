"""ExplainWorker: the one thread that runs the model, on the newest window of the ring.

Live: waits until ``hop`` new frames arrived since the last window, then explains the
window ending at the NEWEST frame, so a slow model skips frames instead of falling
behind. Lossless (files): explains the window ending at every ``hop``-th frame, in
order, releasing ring slots as it goes; when it is behind, the windows already in the
ring (up to ``batch``) go through the model in one pass. Each Result goes to a
latest-wins slot (for a display) and to every subscription (for sinks).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from vgv_core.errors import VGVError
from vgv_live.clip_explainer import ClipExplainer
from vgv_live.publish import LatestSlot, Subscription
from vgv_live.result import Result, Timings
from vgv_live.ring import FrameRing, Window, window_span
from vgv_live.stats import LatencyWindow, RateMeter

POLL_S = 0.25  # how often a waiting worker checks for stop


@dataclass(frozen=True)
class WorkerOptions:
    hop: int = 1  # explain after this many new frames (1 = as fast as the model goes)
    lossless: bool = False  # explain every hop-th window in order (files)
    target: int | None = None  # class to explain; None = top-1 of each window
    batch: int = 1  # lossless: when this many windows are ready (the worker is behind), one pass explains them


class ExplainWorker(threading.Thread):
    def __init__(self, ring: FrameRing, explainer: ClipExplainer, options: WorkerOptions = WorkerOptions()) -> None:
        super().__init__(name="vgv-explain", daemon=True)
        if options.hop < 1 or options.batch < 1:
            raise ValueError("hop and batch must be >= 1")
        self.ring = ring
        self.explainer = explainer
        self.options = options
        self.clip_len = explainer.model.spec.clip_len
        self.stride = explainer.model.spec.frame_stride
        self.span = window_span(self.clip_len, self.stride)
        self.latest: LatestSlot[Result] = LatestSlot()
        self.rate = RateMeter()
        self.latency = LatencyWindow()
        self.results = 0
        self.error: str | None = None
        self._subscriptions: list[Subscription[Result]] = []
        self._target = options.target
        self.ready = threading.Event()  # set once warmed up (or failed): frames may flow
        self._stop_event = threading.Event()
        self._cursor = ring.add_cursor() if options.lossless else None

    def subscribe(self, size: int = 8) -> Subscription[Result]:
        """A queue of every result from now on (lossless when the worker is)."""
        subscription: Subscription[Result] = Subscription(size, lossless=self.options.lossless)
        self._subscriptions.append(subscription)
        return subscription

    def set_target(self, target: int | None) -> None:
        """Explain class ``target`` from the next window on (None = top-1)."""
        self._target = target

    def stop(self, timeout: float = 2.0) -> bool:
        self._stop_event.set()
        for subscription in self._subscriptions:
            subscription.close()
        if self.is_alive():
            self.join(timeout)
        return not self.is_alive()

    def run(self) -> None:
        try:
            self.explainer.warm_up()
            self.ready.set()
            if self.options.lossless:
                self._run_lossless()
            else:
                self._run_live()
        except VGVError as exc:
            self.error = str(exc)
        except RuntimeError as exc:  # torch: out of memory, a layer refusing the input size, ...
            self.error = f"the model failed on a window: {exc}".splitlines()[0]
        finally:
            self.ready.set()
            for subscription in self._subscriptions:
                subscription.close()

    def _run_live(self) -> None:
        last_end = -1
        while not self._stop_event.is_set():
            waited = time.monotonic()
            window = self.ring.latest_window(self.clip_len, self.stride, last_end, self.options.hop, POLL_S)
            if window is None:
                if self.ring.ended or self.ring.stopped:
                    return
                continue
            last_end = int(window.frame_ids[-1])
            self._publish([window], time.monotonic() - waited)

    def _run_lossless(self) -> None:
        end_id = self.span - 1
        while not self._stop_event.is_set():
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

    def _ready_windows_after(self, end_id: int) -> list[Window]:
        """Up to ``batch - 1`` further hop-spaced windows whose frames are already in (no waiting)."""
        windows = []
        for k in range(1, self.options.batch):
            window = self.ring.window_ending_at(end_id + k * self.options.hop, self.clip_len, self.stride, timeout=0)
            if window is None:
                break
            windows.append(window)
        return windows

    def _publish(self, windows: list[Window], wait_s: float) -> None:
        taken = time.monotonic()
        clips = self.explainer.explain_windows([(w.frames, w.frame_ids) for w in windows], self._target)
        done = time.monotonic()
        for window, clip in zip(windows, clips):
            result = Result(
                seq=self.results,
                frame_ids=window.frame_ids,
                timestamps=window.timestamps,
                probs=clip.probs,
                labels=self.explainer.labels,
                target=clip.target,
                method=self.explainer.method,
                maps=clip.maps,
                timings=Timings(wait_s, clip.preprocess_s, clip.explain_s, taken, done),
            )
            self.results += 1
            self.rate.tick(done)
            self.latency.add(result.latency_s)
            self.latest.put(result)
            for subscription in self._subscriptions:
                subscription.put(result)
