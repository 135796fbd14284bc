"""LivePipeline: source -> FrameProducer -> FrameRing -> ExplainWorker (-> SinkPump -> sinks).

With several cameras, each camera's pipeline has a CameraLane of the model's shared
CameraWorker in place of its own ExplainWorker (vgv_live.camera_set).

Builds the threads in the right order (lossless readers register before frames flow),
starts them, reports their stats, and stops them with bounded joins. The headless
runner and the window both drive one of these.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from vgv_core import VideoModel, frame_rate
from vgv_core.attention_guard import AttentionGuard
from vgv_core.regions import Regions
from vgv_core.render import HeatStyle
from vgv_core.window_geometry import window_span
from vgv_live.camera_worker import CameraLane
from vgv_live.capture import CaptureOptions, CaptureThread
from vgv_live.clip_explainer import ClipExplainer, LiveExplainer
from vgv_live.producer import ENDED, ERROR, FrameProducer, ProducerFactory
from vgv_live.result import Result
from vgv_live.ring import FrameRing, RingFrames
from vgv_live.sink_pump import SinkPump
from vgv_live.sinks import Sink
from vgv_live.sources import Source
from vgv_live.stats import StatsSnapshot
from vgv_live.worker import ExplainWorker, WorkerOptions

RESULT_QUEUE = 8  # lossless: the worker waits when the sinks are this many results behind
LIVE_RESULT_QUEUE = 64  # live: results the sinks may lag behind before the oldest are skipped
LIVE_SLACK_FRAMES = 32  # room for frames arriving while the sinks draw the previous ones


@dataclass(frozen=True)
class Failure:
    """Why a pipeline cannot go on: which part, in one line, and the exit code it calls for."""

    part: str | None  # None for the source: its messages name it
    message: str
    code: int

    def line(self) -> str:
        return f"{self.part} failed: {self.message}" if self.part else self.message
SINK_FINISH_TIMEOUT_S = 60.0


def ring_capacity(span: int, hop: int, lossless: bool) -> int:
    """Enough slots that neither the worker's window nor the sinks' backlog is overwritten.

    Lossless: the worker may run RESULT_QUEUE results ahead of the sinks, which hold
    their frames until drawn, so fewer slots would stall the producer for good.
    """
    if lossless:
        return span + hop * (RESULT_QUEUE + 2)
    return 2 * span + hop + LIVE_SLACK_FRAMES


class LivePipeline:
    def __init__(
        self,
        source: Source,
        explainer: LiveExplainer,
        capture_options: CaptureOptions,
        worker_options: WorkerOptions,
        sinks: list[Sink] = (),
        ring_frames: int | None = None,  # at least this many slots (more when the window needs them)
        producer: ProducerFactory | None = None,  # builds the thread that fills the ring; default a CaptureThread
        style: HeatStyle = HeatStyle(),
        regions: Regions | None = None,  # outlined on the sinks' frames
        worker: Callable[[FrameRing], ExplainWorker | CameraLane] | None = None,  # default: an ExplainWorker
    ) -> None:
        spec = explainer.model.spec
        span = window_span(spec.clip_len, spec.frame_stride)
        needed = ring_capacity(span, worker_options.hop, worker_options.lossless)
        self.source = source
        self.ring = FrameRing(max(ring_frames or 0, needed), lossless=worker_options.lossless)
        self.worker = worker(self.ring) if worker else ExplainWorker(self.ring, explainer, worker_options)
        self.pump = (
            SinkPump(self.ring, self.worker.subscribe(RESULT_QUEUE if worker_options.lossless else LIVE_RESULT_QUEUE),
                     list(sinks), self.fps, style, regions)
            if sinks else None
        )
        make = producer or (lambda ring: CaptureThread(source, ring, capture_options))
        self.producer: FrameProducer = make(self.ring)
        self.started_t = 0.0

    @classmethod
    def for_model(
        cls, source: Source, model: VideoModel, method: str, map_size: int, exact: bool = False,
        guard: AttentionGuard | None = None, **kwargs
    ) -> "LivePipeline":
        explainer = ClipExplainer(model, method, map_size, exact, guard)
        return cls(source, explainer, regions=guard.regions if guard else None, **kwargs)

    def start(self, warm_up_timeout: float = 300.0) -> None:
        """Start the worker, let it warm up, then start capturing (so no frame waits on it)."""
        self.worker.start()
        self.worker.ready.wait(warm_up_timeout)
        self.started_t = time.monotonic()
        if self.worker.error:
            return
        for thread in (self.producer, self.pump):
            if thread is not None:
                thread.start()

    def stop(self, timeout: float = 2.0) -> bool:
        """Stop capture, then the worker, then let the sinks finish their files."""
        deadline = time.monotonic() + timeout
        stopped = self.producer.stop(timeout)
        stopped &= self.worker.stop(max(0.1, deadline - time.monotonic()))
        if self.pump is not None and self.pump.is_alive():  # not cut short: an MP4 without its index is lost
            self.pump.join(SINK_FINISH_TIMEOUT_S)
        return stopped

    def join_finished(self, timeout: float) -> bool:
        """Wait up to ``timeout`` for a file to be fully processed; True when all threads ended."""
        deadline = time.monotonic() + timeout
        for thread in self._threads():
            if thread.is_alive():
                thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in self._threads())

    @property
    def finished(self) -> bool:
        """The source ended (or failed) and everything it produced went through."""
        return self.producer.state in (ENDED, ERROR) and not self.worker.is_alive() and not (
            self.pump and self.pump.is_alive()
        )

    @property
    def error(self) -> str | None:
        failure = self.failure
        return failure.message if failure else None

    @property
    def failure(self) -> Failure | None:
        """The first part that failed, in the order frames flow through them."""
        if self.producer.state == ERROR:
            return Failure(None, self.producer.error, self.producer.error_code)
        if self.worker.error:
            return Failure("the model", self.worker.error, self.worker.error_code)
        if self.pump is not None and self.pump.error:
            return Failure("the outputs", self.pump.error, self.pump.error_code)
        return None

    def latest(self) -> Result | None:
        """The newest result (latest wins), for a display that pulls at its own rate."""
        return self.worker.latest.get()

    def latest_frame(self) -> RingFrames | None:
        """A fresh copy of the newest captured frame, or None before the first."""
        newest = self.ring.newest_id
        frames = self.ring.frames_between(newest, newest)
        return frames if len(frames.frame_ids) else None

    def fps(self) -> float:
        """The source's frame rate: measured from timestamps (files: their own timestamps)."""
        rate = self.producer.native_fps if not self.source.live else self.producer.fps_meter.rate()
        return frame_rate.or_fallback(rate)

    def stats(self) -> StatsSnapshot:
        now = time.monotonic()
        return StatsSnapshot(
            state=self.producer.state,
            capture_fps=self.producer.fps_meter.rate(now),
            explain_fps=self.worker.rate.rate(now),
            frames=self.ring.newest_id + 1,
            dropped=self.ring.dropped,
            results=self.worker.results,
            latency_p50_ms=self.worker.latency.percentile(50) * 1000,
            latency_p95_ms=self.worker.latency.percentile(95) * 1000,
            reconnects=self.producer.reconnects,
            frame_age_s=self.producer.frame_age(now),
            looked_elsewhere=self.worker.looked_elsewhere,
        )

    def _threads(self) -> list:
        return [t for t in (self.producer, self.worker, self.pump) if t is not None]
