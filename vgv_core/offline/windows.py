"""Sliding windows over a video, and the fusion of their results into one result per frame.

Geometry: a window samples ``clip_len`` frames ``frame_stride`` apart, so it spans
``span = (clip_len - 1) * frame_stride + 1`` frames. Window k starts at frame
``k * hop - (span - 1)``: the first window ends on frame 0, and the last one is the last
to start on or before the last frame. Every frame is thus covered by about ``span / hop``
windows, the first and the last frames included (``hop`` may not exceed ``span``).

Warm-up rule: a sample before frame 0 takes frame 0, and a sample after the last frame
takes the last frame, so the first (and last) windows see the edge frame repeated.

Fusion: frame f's class probabilities and heatmap are the weighted mean over the windows
whose span contains f. The weight is triangular, ``1 - |f - centre| / (span / 2 + 1)``,
so the window centred on f counts most and one that only grazes f counts least. A
window's heatmap at a frame it did not sample is interpolated linearly between the two
samples on either side. Without a fixed target each window explains its own top-1 class,
so where the class changes the fused map mixes the explanations of both.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import Tensor

from vgv_core.errors import VGVError
from vgv_core.window_geometry import sample_positions, window_span, with_edges_repeated


@dataclass(frozen=True)
class WindowPlan:
    clip_len: int
    frame_stride: int
    hop: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.hop <= self.span:
            raise VGVError(
                f"--hop {self.hop} must be between 1 and the model's window of {self.span} frames "
                f"(clip_len {self.clip_len} x frame_stride {self.frame_stride}), or some frames get no window"
            )

    @property
    def span(self) -> int:
        return window_span(self.clip_len, self.frame_stride)

    def start(self, k: int) -> int:
        return k * self.hop - (self.span - 1)

    def samples(self, start: int, last_frame: int | None) -> list[int]:
        """Frame indices the window starting at ``start`` feeds the model (warm-up rule)."""
        positions = sample_positions(start + self.span - 1, self.clip_len, self.frame_stride)
        return with_edges_repeated(positions, 0, last_frame)

    def weights(self, offsets: Tensor) -> Tensor:
        """Fusion weight of frames at ``offsets`` (0..span-1) from the window's start."""
        centre = (self.span - 1) / 2
        return 1 - (offsets - centre).abs() / (self.span / 2 + 1)


@dataclass(frozen=True)
class FusedFrame:
    index: int
    probs: Tensor  # (K,)
    heatmap: Tensor  # (S, S) in [0, 1], over the model input


class FrameFusion:
    """Weighted sums of window results for the frames still open, in a ring of ``span`` slots:
    after adding window k, pop the frames before window k + 1's start."""

    def __init__(self, plan: WindowPlan, num_classes: int, map_size: tuple[int, int], device: torch.device) -> None:
        self.plan = plan
        self._probs = torch.zeros(plan.span, num_classes, device=device)
        self._maps = torch.zeros(plan.span, *map_size, device=device)
        self._weights = torch.zeros(plan.span, device=device)
        self._next = 0  # first frame not handed out yet

    def add(self, start: int, probs: Tensor, maps: Tensor, last_frame: int | None) -> None:
        """Add the result of the window starting at ``start``: probs (K,), maps (clip_len, S, S)."""
        first = max(start, self._next)
        end = start + self.plan.span if last_frame is None else min(start + self.plan.span, last_frame + 1)
        if first >= end:
            return
        frames = torch.arange(first, end, device=maps.device)
        offsets = (frames - start).float()
        position = offsets / self.plan.frame_stride
        below = position.floor().long().clamp(max=self.plan.clip_len - 1)
        above = (below + 1).clamp(max=self.plan.clip_len - 1)
        t = (position - below)[:, None, None]
        interpolated = maps[below] * (1 - t) + maps[above] * t
        weights = self.plan.weights(offsets)
        slots = frames % self.plan.span
        self._weights.index_add_(0, slots, weights)
        self._probs.index_add_(0, slots, weights[:, None] * probs[None])
        self._maps.index_add_(0, slots, weights[:, None, None] * interpolated)

    def pop_until(self, end: int) -> Iterator[FusedFrame]:
        """Hand out frames before ``end`` (no later window may touch them), in order."""
        while self._next < end:
            slot = self._next % self.plan.span
            weight = self._weights[slot]
            yield FusedFrame(self._next, self._probs[slot] / weight, self._maps[slot] / weight)
            self._probs[slot] = 0
            self._maps[slot] = 0
            self._weights[slot] = 0
            self._next += 1
