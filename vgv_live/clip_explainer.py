"""ClipExplainer: one window of uint8 frames -> class probabilities and per-frame uint8 maps.

Preprocessing, the single forward/backward pass, the map resizing and the attention
guard's measure all run on the model's device; the only host copies are the
probabilities, the measure and the finished uint8 maps. The method, the CAM layer and
the guard change by ``request`` from any thread and apply from the next window on, so
``method`` always names what explained the window just returned. A layer the model
cannot explain with is refused: the previous one stays, and ``notice`` says why.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol, Sequence

import numpy as np
import torch

from vgv_core import Explainer, Preprocessor, VideoModel
from vgv_core.attention_guard import AttentionGuard
from vgv_core.errors import VGVError
from vgv_core.clip_buffer import DeviceClipBuffer
from vgv_core.explain.methods import validate_methods
from vgv_core.window_geometry import window_span
from vgv_live.requests import UNCHANGED, Requests


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


@dataclass(frozen=True)
class CameraWindow:
    """One camera's window for a pass that explains several cameras together."""

    camera: str  # frame ids are per camera: each keeps its own frames on the device
    frames: np.ndarray  # (T, H, W, 3) uint8 BGR
    frame_ids: Sequence[int] | None
    guard: AttentionGuard | None = None  # the camera's regions (None: no attention guard)


def reduced_size(frame_size: tuple[int, int], long_side: int) -> tuple[int, int]:
    """(h, w) with the frame's aspect ratio and the long side at most ``long_side``."""
    height, width = frame_size
    scale = min(1.0, long_side / max(height, width))
    return max(1, round(height * scale)), max(1, round(width * scale))


class LiveExplainer(Protocol):
    """What the worker runs: a ClipExplainer, or the window's ExplainerProcess."""

    model: VideoModel
    method: str
    layer: str | None
    notice: str | None

    def request(self, *, method: str | None = None, layer: str | None = None, guard: Any = UNCHANGED) -> None: ...

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
        self._buffer_frames = 2 * span
        self._frames_on_device: dict[str, DeviceClipBuffer] = {}  # per camera
        self._explainer = Explainer(model.net, exact=exact)
        self.layer: str | None = self._explainer.target_layer
        self.notice: str | None = None  # why the last request was refused
        self._requests = Requests()

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
        self._explain([CameraWindow("", blank, None)], None)  # the guard's regions belong to the source's frames

    def close(self) -> None:
        """Nothing to free: the model is the caller's."""

    def __call__(
        self, frames: np.ndarray, target: int | None = None, frame_ids: Sequence[int] | None = None
    ) -> ClipExplanation:
        """Explain ``frames`` (T, H, W, 3) uint8 BGR for ``target`` (None = top-1).

        With ``frame_ids`` the frames seen in earlier windows are not uploaded again."""
        return self.explain_windows([(frames, frame_ids)], target)[0]

    def request(self, *, method: str | None = None, layer: str | None = None, guard: Any = UNCHANGED) -> None:
        """From the next window on: explain with ``method``, at the CAM ``layer`` (dotted name),
        measure attention with ``guard`` (an AttentionGuard, or None for none)."""
        if method is not None:
            validate_methods(method)
        self._requests.put(method=method or UNCHANGED, layer=layer or UNCHANGED, guard=guard)

    def explain_windows(
        self, windows: Sequence[tuple[np.ndarray, Sequence[int] | None]], target: int | None = None
    ) -> list[ClipExplanation]:
        """Explain several windows ((frames, frame_ids) as for a call) of one stream in one pass."""
        self._apply(self._requests.take())  # first: a guard asked for applies to these windows
        return self._explain([CameraWindow("", frames, ids, self.guard) for frames, ids in windows], target)

    def explain_cameras(self, windows: Sequence[CameraWindow], target: int | None = None) -> list[ClipExplanation]:
        """Explain the windows of several cameras (any frame sizes) in one pass, for ``target``."""
        self._apply(self._requests.take())
        return self._explain(windows, target)

    def _apply(self, changes: dict[str, Any]) -> None:
        self.guard = changes.get("guard", self.guard)
        method, layer = changes.get("method", self.method), changes.get("layer", self.layer)
        if (method, layer) == (self.method, self.layer):
            return
        try:
            explainer = self._explainer if layer == self.layer else Explainer(
                self.model.net, target_layer=layer, exact=self.exact)
            self._check(explainer, method)
        except (VGVError, RuntimeError, ValueError) as exc:  # torch says ValueError for some layers
            self.notice = f"cannot explain with {method} at layer {layer!r}: {exc}".splitlines()[0]
            return
        self._explainer, self.method, self.layer, self.notice = explainer, method, explainer.target_layer, None

    def _check(self, explainer: Explainer, method: str) -> None:
        """A blank clip explained by ``explainer`` with ``method``: raises where they cannot work."""
        spec = self.model.spec
        blank = np.zeros((spec.clip_len, spec.crop_size, spec.crop_size, 3), np.uint8)
        explainer.explain(self._preprocess(blank), methods=(method,))

    def _explain(self, windows: Sequence[CameraWindow], target: int | None) -> list[ClipExplanation]:
        started = time.monotonic()
        clips = [self._on_device(window) for window in windows]
        self._sync()
        prepared = time.monotonic()
        clip = clips[0] if len(clips) == 1 else torch.cat(clips)  # live: one window, no extra copy
        explanation = self._explainer.explain(clip, targets=target, methods=(self.method,))
        targets = explanation.targets.tolist()  # waits for the pass: the guard's time is its own
        maps, shares, guard_s = self._frame_maps(explanation.maps[self.method], windows, targets)
        probs = explanation.probs.float().cpu().numpy()
        explain_s = time.monotonic() - prepared
        return [
            ClipExplanation(probs[i], target, maps[i], prepared - started, explain_s, shares[i],
                            window.guard is not None and window.guard.looked_elsewhere(target, float(probs[i][target]),
                                                                                       shares[i]),
                            guard_s)
            for i, (target, window) in enumerate(zip(targets, windows))
        ]

    def _frame_maps(self, every: torch.Tensor, windows: Sequence[CameraWindow], targets: list[int]
                    ) -> tuple[list[np.ndarray], list[float | None], float]:
        """Each window's uint8 maps over its own frame, its attention share, and the guard's time:
        one resize (and one measure) per frame size and guard."""
        maps: list = [None] * len(windows)
        shares: list[float | None] = [None] * len(windows)
        guard_s = 0.0
        for indices in _alike(windows):
            first = windows[indices[0]]
            height, width = first.frames.shape[1:3]
            chosen = every if len(indices) == len(windows) else every[indices]
            resized = self._preprocess.maps_to_frame(chosen, reduced_size((height, width), self.map_long_side))
            if first.guard is not None:
                guarded = time.monotonic()
                measured = first.guard.shares(resized, [targets[i] for i in indices], (width, height))
                guard_s += time.monotonic() - guarded
                for index, share in zip(indices, measured):
                    shares[index] = share
            for index, heat in zip(indices, (resized.clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()):
                maps[index] = heat  # (T, h, w)
        return maps, shares, guard_s

    def _on_device(self, window: CameraWindow) -> torch.Tensor:
        """(1, 3, T, S, S): frames seen in the camera's earlier windows are not uploaded again."""
        if window.frame_ids is None:
            return self._preprocess(window.frames)
        buffer = self._frames_on_device.get(window.camera)
        if buffer is None:
            buffer = self._frames_on_device[window.camera] = DeviceClipBuffer(self._preprocess, self._buffer_frames)
        return buffer.clip(window.frame_ids, window.frames)

    def _sync(self) -> None:
        if self.model.device.type == "cuda":
            torch.cuda.synchronize(self.model.device)


def _alike(windows: Sequence[CameraWindow]) -> list[list[int]]:
    """Indices of the windows grouped by frame size and guard, in order of first appearance."""
    groups: dict[tuple, list[int]] = {}
    for index, window in enumerate(windows):
        groups.setdefault((window.frames.shape[1:3], id(window.guard)), []).append(index)
    return list(groups.values())
