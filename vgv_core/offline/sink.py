"""The last stage of `vgv explain`: each explained frame drawn and written to every output."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from vgv_core.attention_guard import AttentionGuard
from vgv_core.offline.outputs import CsvWriter, FrameAttention, GifWriter, NpzWriter, SummaryWriter
from vgv_core.offline.window_explainer import FrameResult
from vgv_core.preprocess import Preprocessor
from vgv_core.progress import Progress
from vgv_core.render import HeatStyle
from vgv_core.render.annotate import Annotator, annotated_frames
from vgv_core.video_writer import AtomicVideoWriter

NPZ_LONG_SIDE = 160


def reduced_size(frame_size: tuple[int, int], long_side: int = NPZ_LONG_SIDE) -> tuple[int, int]:
    """(h, w) with the frame's aspect ratio and the long side at most ``long_side``."""
    height, width = frame_size
    scale = min(1.0, long_side / max(height, width))
    return max(1, round(height * scale)), max(1, round(width * scale))


@dataclass(frozen=True)
class Look:
    """How the pictures are drawn."""

    layout: str = "overlay"
    style: HeatStyle = HeatStyle()


@dataclass
class FrameSink:
    preprocessor: Preprocessor
    annotator: Annotator
    look: Look
    fps: float
    caption: str  # what the panel says after frame number and time, e.g. the method
    progress: Progress
    video: AtomicVideoWriter | None = None
    gif: GifWriter | None = None
    csv: CsvWriter | None = None
    npz: NpzWriter | None = None
    summary: SummaryWriter | None = None
    guard: AttentionGuard | None = None
    target: int | None = None  # the class explained; None: each frame's top-1
    frames: int = 0

    def __call__(self, result: FrameResult) -> None:
        size = result.frame.shape[:2]
        time_s = result.index / self.fps
        probs = result.probs.float().cpu().numpy()
        if self.video is not None or self.gif is not None:
            picture = self._picture(result, probs, time_s)
            for writer in (self.video, self.gif):
                if writer is not None:
                    writer.write(picture)
        heat = None
        if self.npz is not None or self.guard is not None:
            heat = self.preprocessor.maps_to_frame(result.heatmap[None], reduced_size(size))  # (1, h, w)
        attention = self._attention(heat, probs, size) if self.guard is not None else None
        if self.csv is not None:
            self.csv.write(result.index, time_s, probs, attention)
        if self.summary is not None:
            self.summary.write(result.index, time_s, probs, attention)
        if self.npz is not None:
            self.npz.write(result.index, time_s, probs, _to_uint8(heat[0]))
        self.frames += 1
        self.progress.update(self.frames)

    def _attention(self, heat: torch.Tensor, probs: np.ndarray, size: tuple[int, int]) -> FrameAttention:
        """The attention guard on the frame's map (as the NPZ holds it) for the frame's class."""
        target = self.target if self.target is not None else int(np.argmax(probs))
        (share,) = self.guard.shares(heat, [target], (size[1], size[0]))
        return FrameAttention(target, share, self.guard.looked_elsewhere(target, float(probs[target]), share))

    def _picture(self, result: FrameResult, probs: np.ndarray, time_s: float) -> np.ndarray:
        device = self.preprocessor.device
        frame = torch.from_numpy(result.frame).to(device)
        heat = self.preprocessor.maps_to_frame(result.heatmap[None], result.frame.shape[:2])
        caption = f"frame {result.index}  {time_s:.2f} s  {self.caption}"
        look = self.look
        return annotated_frames(frame[None], heat, probs[None], [caption], self.annotator, look.layout,
                                look.style)[0]


def _to_uint8(heat: torch.Tensor) -> np.ndarray:
    return (heat.clamp(0, 1) * 255).round().to(torch.uint8).cpu().numpy()
