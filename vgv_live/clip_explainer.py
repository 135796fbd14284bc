"""ClipExplainer: one window of uint8 frames -> class probabilities and per-frame uint8 maps.

Preprocessing, the single forward/backward pass, the map resizing and the attention
guard's measure all run on the model's device; the only host copies are the
probabilities, the measure and the finished uint8 maps.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol, Sequence

import numpy as np
import torch

from vgv_core import Explainer, Preprocessor, VideoModel
from vgv_core.attention_guard import AttentionGuard
from vgv_core.clip_buffer import DeviceClipBuffer
from vgv_core.explain.methods import validate_methods
from vgv_core.window_geometry import window_span


@dataclass(frozen=True)
class ClipExplanation:
    probs: np.ndarray  # (K,) float32
    target: int
    maps: np.ndarray  # (T, h, w) uint8, over the whole frame at reduced size
    preprocess_s: float
    explain_s: float
    attention_in_region: float | None = None  # None: no guard, or the class is bound to no region
    looked_elsewhere: bool = False
    guard_s: float = 0.0  # of explain_s, the attention guard's measure


def reduced_size(frame_size: tuple[int, int], long_side: int) -> tuple[int, int]:
    """(h, w) with the frame's aspect ratio and the long side at most ``long_side``."""
    height, width = frame_size
    scale = min(1.0, long_side / max(height, width))
    return max(1, round(height * scale)), max(1, round(width * scale))


class LiveExplainer(Protocol):
    """What the worker runs: a ClipExplainer, or the window's ProcessExplainer."""

    model: VideoModel
    method: str

    @property
    def labels(self) -> tuple[str, ...]: ...

    def warm_up(self) -> None: ...

    def explain_windows(
        self, windows: Sequence[tuple[np.ndarray, Sequence[int] | None]], target: int | None = None
    ) -> list[ClipExplanation]: ...

    def close(self) -> None: ...


class ClipExplainer:
    def __init__(
        self, model: VideoModel, method: str = "gradcam", map_long_side: int = 160, exact: bool = False,
        guard: AttentionGuard | None = None,
    ) -> None:
        (self.method,) = validate_methods(method)
        self.model = model
        self.map_long_side = map_long_side
        self.guard = guard
        self._preprocess = Preprocessor(model.spec, model.device)
        span = window_span(model.spec.clip_len, model.spec.frame_stride)
        self._frames_on_device = DeviceClipBuffer(self._preprocess, capacity=2 * span)
        self._explainer = Explainer(model.net, exact=exact)

    @property
    def exact(self) -> bool:
        """Whether the engine runs in exact mode (see `Explainer`)."""
        return self._explainer.exact

    @property
    def labels(self) -> tuple[str, ...]:
        return self.model.spec.labels

    def warm_up(self) -> None:
        """One pass on a blank clip: the first call pays one-off costs that would skew latency."""
        spec = self.model.spec
        blank = np.zeros((spec.clip_len, spec.crop_size, spec.crop_size, 3), np.uint8)
        self._explain([(blank, None)], None, guard=None)  # the guard's regions belong to the source's frames

    def close(self) -> None:
        """Nothing to free: the model is the caller's."""

    def __call__(
        self, frames: np.ndarray, target: int | None = None, frame_ids: Sequence[int] | None = None
    ) -> ClipExplanation:
        """Explain ``frames`` (T, H, W, 3) uint8 BGR for ``target`` (None = top-1).

        With ``frame_ids`` the frames seen in earlier windows are not uploaded again."""
        return self.explain_windows([(frames, frame_ids)], target)[0]

    def explain_windows(
        self, windows: Sequence[tuple[np.ndarray, Sequence[int] | None]], target: int | None = None
    ) -> list[ClipExplanation]:
        """Explain several windows ((frames, frame_ids) as for a call) of one stream in one pass."""
        return self._explain(windows, target, self.guard)

    def _explain(
        self, windows: Sequence[tuple[np.ndarray, Sequence[int] | None]], target: int | None,
        guard: AttentionGuard | None,
    ) -> list[ClipExplanation]:
        started = time.monotonic()
        clips = [
            self._preprocess(frames) if ids is None else self._frames_on_device.clip(ids, frames) for frames, ids in windows
        ]
        self._sync()
        prepared = time.monotonic()
        clip = clips[0] if len(clips) == 1 else torch.cat(clips)  # live: one window, no extra copy
        explanation = self._explainer.explain(clip, targets=target, methods=(self.method,))
        height, width = windows[0][0].shape[1:3]
        maps = self._preprocess.maps_to_frame(explanation.maps[self.method], reduced_size((height, width),
                                                                                          self.map_long_side))
        targets = explanation.targets.tolist()  # waits for the pass: the guard's time is its own
        guarded = time.monotonic()
        shares = guard.shares(maps, targets, (width, height)) if guard else [None] * len(targets)
        guard_s = time.monotonic() - guarded
        maps = (maps.clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()  # (n, T, h, w)
        probs = explanation.probs.float().cpu().numpy()
        explain_s = time.monotonic() - prepared
        return [
            ClipExplanation(probs[i], target, maps[i], prepared - started, explain_s, shares[i],
                            guard is not None and guard.looked_elsewhere(target, float(probs[i][target]), shares[i]),
                            guard_s)
            for i, target in enumerate(targets)
        ]

    def _sync(self) -> None:
        if self.model.device.type == "cuda":
            torch.cuda.synchronize(self.model.device)
