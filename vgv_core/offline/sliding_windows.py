"""Frames in, explained frames out: sliding windows through the Explainer, fused per frame.

Each decoded frame is preprocessed once, on arrival, and kept (with the original uint8
frame) only until the last window that covers it is done: at most about one window
span of frames is held, however long the video.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from vgv_core.errors import VGVError, VideoError
from vgv_core.explain import Explainer
from vgv_core.models.spec import ModelSpec
from vgv_core.offline.windows import FrameFusion, WindowPlan
from vgv_core.preprocess import Preprocessor


@dataclass(frozen=True)
class FrameResult:
    index: int  # the frame's index in the video
    frame: np.ndarray  # uint8 BGR (H, W, 3)
    probs: Tensor  # (K,) fused class probabilities
    heatmap: Tensor  # (S, S) fused map over the model input, in [0, 1]


class SlidingWindows:
    def __init__(
        self,
        explainer: Explainer,
        preprocessor: Preprocessor,
        plan: WindowPlan,
        method: str,
        target: int | None = None,
        batch: int = 1,
    ) -> None:
        if batch < 1:
            raise VGVError(f"--batch must be at least 1, got {batch}")
        self.explainer = explainer
        self.preprocessor = preprocessor
        self.plan = plan
        self.method = method
        self.target = target
        self.batch = batch  # windows explained together in one pass

    @property
    def spec(self) -> ModelSpec:
        return self.preprocessor.spec

    def run(self, frames: Iterable[tuple[int, np.ndarray]]) -> Iterator[FrameResult]:
        """Explain every frame of ``frames`` ((index, uint8 BGR frame) in order), in order."""
        buffer = _FrameBuffer(frames, self.preprocessor)
        try:
            yield from self._explain(buffer)
        finally:
            buffer.close()

    def _explain(self, buffer: "_FrameBuffer") -> Iterator[FrameResult]:
        plan = self.plan
        buffer.fill(plan.span - 1)
        self._check_length(buffer.last)
        fusion = FrameFusion(plan, self.spec.num_classes, (self.spec.crop_size,) * 2, self.preprocessor.device)
        k = 0
        while starts := self._next_starts(buffer, k):
            clips = [buffer.clip(plan.samples(start, buffer.last)) for start in starts]
            clip = clips[0] if len(clips) == 1 else torch.cat(clips)
            explanation = self.explainer.explain(clip, targets=self.target, methods=(self.method,))
            for item, start in enumerate(starts):
                fusion.add(start, explanation.probs[item], explanation.maps[self.method][item], buffer.last)
                k += 1
                buffer.forget_inputs_before(plan.start(k))
                end = plan.start(k) if buffer.last is None else min(plan.start(k), buffer.last + 1)
                for fused in fusion.pop_until(end):
                    index, frame = buffer.originals.popleft()
                    yield FrameResult(index, frame, fused.probs, fused.heatmap)

    def _next_starts(self, buffer: "_FrameBuffer", k: int) -> list[int]:
        """Starts of the next (up to ``batch``) windows, reading the frames they need."""
        starts = []
        for start in (self.plan.start(k + j) for j in range(self.batch)):
            buffer.fill(start + self.plan.span - 1)
            if buffer.last is not None and start > buffer.last:
                break
            starts.append(start)
        return starts

    def _check_length(self, last: int | None) -> None:
        if last is not None and last + 1 < self.plan.span:
            raise VideoError(
                f"{last + 1} frame(s) are fewer than one window of the model ({self.plan.span} frames: clip_len "
                f"{self.plan.clip_len} x frame_stride {self.plan.frame_stride}); give a longer video or range"
            )


class _FrameBuffer:
    """Frames read but still needed: originals until handed out, model inputs until no
    window samples them. Positions count frames from the start of the selection."""

    def __init__(self, frames: Iterable[tuple[int, np.ndarray]], preprocessor: Preprocessor) -> None:
        self._source = iter(frames)
        self._preprocessor = preprocessor
        self.read = 0
        self.last: int | None = None  # position of the last frame, once the source has ended
        self.originals: deque[tuple[int, np.ndarray]] = deque()
        self._inputs: dict[int, Tensor] = {}

    def fill(self, position: int) -> None:
        """Read until ``position`` is in, or the source ends."""
        while self.last is None and self.read <= position:
            item = next(self._source, None)
            if item is None:
                self.last = self.read - 1
                return
            self.originals.append(item)
            self._inputs[self.read] = self._preprocessor(item[1][None])[0, :, 0]
            self.read += 1

    def clip(self, positions: list[int]) -> Tensor:
        return torch.stack([self._inputs[p] for p in positions], dim=1)[None]

    def forget_inputs_before(self, position: int) -> None:
        for p in [p for p in self._inputs if p < position]:
            del self._inputs[p]

    def close(self) -> None:
        """Stop the source (e.g. the decoding stage) when explaining ends early."""
        close = getattr(self._source, "close", None)
        if close is not None:
            close()
