"""Live throughput: frames pushed at a fixed rate through the real ring and ExplainWorker.

This is what `vgv bench --live` reports: explanations per second and the latency from a
frame's arrival to its published result, as a live camera would see them; with regions,
also what the attention guard's measure costs of each result. With ``--cameras N``, N
streams (their frames out of phase, as independent cameras) go through one CameraWorker,
batched, and again with one camera per pass, in the same run. Frames are
synthetic (the content does not change the cost) and pushed from this thread, so no
decoder competes with the worker.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from vgv_core import VideoModel
from vgv_core.attention_guard import AttentionGuard
from vgv_core.window_geometry import window_span
from vgv_live.camera_worker import CameraWorker
from vgv_live.clip_explainer import ClipExplainer
from vgv_live.pipeline import ring_capacity
from vgv_live.ring import FrameRing
from vgv_live.worker import ExplainWorker, WorkerOptions

DISTINCT_FRAMES = 16


@dataclass(frozen=True)
class LiveFigures:
    model: str
    device: str
    method: str
    clip: str  # "T x S x S" the model reads
    input_fps: float
    seconds: float
    frames: int
    explanations: int
    explanations_per_s: float
    latency_p50_ms: float
    latency_p95_ms: float
    latency_max_ms: float
    guard_ms_p50: float | None = None  # with regions: the attention guard's time per result
    guard_share_p50: float | None = None  # with regions: the guard's share of each result's explain time

    def line(self) -> str:
        guard = "" if self.guard_ms_p50 is None else (
            f"; attention guard {self.guard_ms_p50:.2f} ms per result, {100 * self.guard_share_p50:.2f} % of a step")
        return (
            f"live {self.model} {self.clip} {self.method} on {self.device}: {self.explanations_per_s:.1f} explanations/s "
            f"from {self.input_fps:g} fps, latency p50 {self.latency_p50_ms:.1f} ms p95 {self.latency_p95_ms:.1f} ms "
            f"max {self.latency_max_ms:.1f} ms ({self.explanations} results, {self.frames} frames){guard}"
        )

    def to_json(self) -> dict:
        return asdict(self)


def measure_live(
    model: VideoModel,
    name: str,
    method: str = "gradcam",
    seconds: float = 20.0,
    fps: float = 60.0,
    frame_size: tuple[int, int] = (360, 640),
    guard: AttentionGuard | None = None,
) -> LiveFigures:
    """Push ``seconds`` of ``fps`` frames through an ExplainWorker at hop 1 (as fast as it goes),
    with the attention ``guard`` measuring every result when given."""
    spec = model.spec
    ring = FrameRing(ring_capacity(window_span(spec.clip_len, spec.frame_stride), 1, lossless=False))
    worker = ExplainWorker(ring, ClipExplainer(model, method, guard=guard), WorkerOptions(hop=1))
    results = worker.subscribe(size=int(seconds * fps) + 1)
    worker.start()
    worker.ready.wait()
    if worker.error:
        raise RuntimeError(worker.error)
    frames = np.random.default_rng(0).integers(0, 256, (DISTINCT_FRAMES, *frame_size, 3), dtype=np.uint8)
    count = _push_frames(ring, frames, seconds, fps)
    worker.stop(timeout=30.0)
    if worker.error:
        raise RuntimeError(worker.error)
    latencies, guard_s, explain_s = [], [], []
    while (result := results.get(timeout=0)) is not None:
        latencies.append(result.latency_s * 1000)
        guard_s.append(result.timings.guard_s)
        explain_s.append(result.timings.explain_s)
    if not latencies:
        raise RuntimeError("the worker produced no result")
    guarded = guard is not None
    return LiveFigures(
        model=name,
        device=str(model.device),
        method=method,
        clip=f"{spec.clip_len}x{spec.crop_size}x{spec.crop_size}",
        input_fps=fps,
        seconds=seconds,
        frames=count,
        explanations=len(latencies),
        explanations_per_s=len(latencies) / seconds,
        latency_p50_ms=float(np.percentile(latencies, 50)),
        latency_p95_ms=float(np.percentile(latencies, 95)),
        latency_max_ms=float(np.max(latencies)),
        guard_ms_p50=float(np.median(guard_s)) * 1000 if guarded else None,
        guard_share_p50=float(np.median(np.array(guard_s) / np.array(explain_s))) if guarded else None,
    )


def _push_frames(ring: FrameRing, frames: np.ndarray, seconds: float, fps: float) -> int:
    """Put frames into the ring on a fixed schedule; returns how many were put."""
    return _push_to_rings([ring], frames, seconds, fps)


def _push_to_rings(rings: list[FrameRing], frames: np.ndarray, seconds: float, fps: float) -> int:
    """Put frames into each ring on a fixed schedule, the rings' frames evenly out of phase;
    returns how many each got."""
    start = time.monotonic()
    count = int(seconds * fps)
    for index in range(count):
        for position, ring in enumerate(rings):
            due = start + (index + position / len(rings)) / fps
            time.sleep(max(0.0, due - time.monotonic()))
            ring.put(frames[(index + position) % len(frames)], time.monotonic())
    for ring in rings:
        ring.end()
    return count


@dataclass(frozen=True)
class CamerasRun:
    """Several cameras through one CameraWorker, batched or one camera per pass."""

    explanations_per_s: float  # all cameras together
    latency_p50_ms: float
    latency_p95_ms: float
    passes: int
    per_camera_per_s: list[float] = field(default_factory=list)
    per_camera_latency_p95_ms: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class CameraFigures:
    model: str
    device: str
    method: str
    clip: str
    cameras: int
    input_fps: float  # per camera
    seconds: float
    batched: CamerasRun
    one_per_pass: CamerasRun

    @property
    def batched_over_one_per_pass(self) -> float:
        return self.batched.explanations_per_s / self.one_per_pass.explanations_per_s

    def line(self) -> str:
        b, o = self.batched, self.one_per_pass
        return (
            f"cameras {self.cameras} x {self.input_fps:g} fps, {self.model} {self.clip} {self.method} on {self.device}: "
            f"batched {b.explanations_per_s:.1f} explanations/s (p50 {b.latency_p50_ms:.0f} ms, p95 "
            f"{b.latency_p95_ms:.0f} ms, {b.passes} passes), one camera per pass {o.explanations_per_s:.1f}/s (p50 "
            f"{o.latency_p50_ms:.0f} ms, p95 {o.latency_p95_ms:.0f} ms): x{self.batched_over_one_per_pass:.2f}"
        )

    def to_json(self) -> dict:
        return {**asdict(self), "batched_over_one_per_pass": self.batched_over_one_per_pass}


def measure_cameras(model: VideoModel, name: str, method: str = "gradcam", seconds: float = 20.0, fps: float = 15.0,
                    cameras: int = 4, frame_size: tuple[int, int] = (360, 640)) -> CameraFigures:
    """``cameras`` streams of ``fps`` through one CameraWorker: batched, then one camera per pass."""
    spec = model.spec
    explainer = ClipExplainer(model, method)
    frames = np.random.default_rng(0).integers(0, 256, (DISTINCT_FRAMES, *frame_size, 3), dtype=np.uint8)
    runs = [_cameras_run(explainer, cameras, frames, seconds, fps, max_batch) for max_batch in (None, 1)]
    return CameraFigures(name, str(model.device), method, f"{spec.clip_len}x{spec.crop_size}x{spec.crop_size}",
                         cameras, fps, seconds, *runs)


def _cameras_run(explainer: ClipExplainer, cameras: int, frames: np.ndarray, seconds: float, fps: float,
                 max_batch: int | None) -> CamerasRun:
    spec = explainer.model.spec
    worker = CameraWorker([explainer], max_batch=max_batch)
    capacity = ring_capacity(window_span(spec.clip_len, spec.frame_stride), 1, lossless=False)
    rings = [FrameRing(capacity) for _ in range(cameras)]
    subscriptions = [worker.lane(f"cam{i}", ring, explainer).subscribe(int(seconds * fps) + 1)
                     for i, ring in enumerate(rings)]
    worker.start()
    worker.ready.wait()
    if worker.error:
        raise RuntimeError(worker.error)
    _push_to_rings(rings, frames, seconds, fps)
    worker.stop(timeout=30.0)
    if worker.error:
        raise RuntimeError(worker.error)
    latencies = []
    for subscription in subscriptions:
        camera = []
        while (result := subscription.get(timeout=0)) is not None:
            camera.append(result.latency_s * 1000)
        latencies.append(camera or [float("nan")])
    every = np.concatenate(latencies)
    return CamerasRun(
        explanations_per_s=sum(len(c) for c in latencies) / seconds,
        latency_p50_ms=float(np.nanpercentile(every, 50)),
        latency_p95_ms=float(np.nanpercentile(every, 95)),
        passes=worker.passes,
        per_camera_per_s=[len(c) / seconds for c in latencies],
        per_camera_latency_p95_ms=[float(np.nanpercentile(c, 95)) for c in latencies],
    )
