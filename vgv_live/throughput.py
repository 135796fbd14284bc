"""Live throughput: frames pushed at a fixed rate through the real ring and ExplainWorker.

This is what `vgv bench --live` reports: explanations per second and the latency from a
frame's arrival to its published result, as a live camera would see them; with regions,
also what the attention guard's measure costs of each result. Frames are
synthetic (the content does not change the cost) and pushed from this thread, so no
decoder competes with the worker.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

from vgv_core import VideoModel
from vgv_core.attention_guard import AttentionGuard
from vgv_core.window_geometry import window_span
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
    start = time.monotonic()
    count = int(seconds * fps)
    for index in range(count):
        due = start + index / fps
        time.sleep(max(0.0, due - time.monotonic()))
        ring.put(frames[index % len(frames)], time.monotonic())
    ring.end()
    return count
