"""The label panel under each explained picture, and the one path from maps to finished frames.

The panel, appended below the picture (which it never covers), shows:
- the top-3 classes, each as a bar as long as its probability, with name and percent;
- a caption (frame, time, method) on the right, and under it the colour scale: the
  colormap from the map's zero (left) to its peak (right);
- a temporal-importance strip: one bar per recent frame, as tall as that frame's mean
  heat relative to the strongest frame in view, coloured with the heatmap's colormap;
  the current frame is the rightmost bar.

`annotated_frames` is what `vgv explain` and the seed API's `GradVis` both draw with:
compose (torch, on the device), one host copy, then the panel (OpenCV).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

import cv2
import numpy as np
import torch
from torch import Tensor

from vgv_core.render.blend import HeatStyle
from vgv_core.render.colormaps import colormap_lut
from vgv_core.render.overlay import compose

TOP_K = 3
STRIP_FRAMES = 64
FONT = cv2.FONT_HERSHEY_SIMPLEX
PANEL_BG = (32, 32, 32)
TEXT = (240, 240, 240)
TOP1_BAR = (60, 150, 60)
OTHER_BAR = (90, 90, 90)


class Annotator:
    """Draws the panel for pictures ``width`` wide; remembers the importance of recent frames."""

    def __init__(self, labels: Sequence[str], width: int, colormap: str = "jet") -> None:
        self.labels = tuple(labels)
        self.width = width
        self.scale = min(1.2, max(0.4, width / 1000))
        self.row = int(round(26 * self.scale))
        self.strip = int(round(22 * self.scale))
        self.height = min(TOP_K, len(self.labels)) * self.row + self.strip + 3 * self._pad
        self._lut = colormap_lut(colormap).numpy()
        self._history: deque[float] = deque(maxlen=STRIP_FRAMES)

    @property
    def _pad(self) -> int:
        return max(2, self.row // 5)

    def __call__(self, picture: np.ndarray, probs: np.ndarray, importance: float, caption: str) -> np.ndarray:
        """``picture`` (H, width, 3) uint8 -> (H + height, width, 3) with the panel below."""
        self._history.append(importance)
        panel = np.full((self.height, self.width, 3), PANEL_BG, np.uint8)
        self._draw_classes(panel, probs)
        self._draw_caption(panel, caption)
        self._draw_scale(panel)
        self._draw_strip(panel)
        return np.concatenate([picture, panel], axis=0)

    def _draw_classes(self, panel: np.ndarray, probs: np.ndarray) -> None:
        bar_width = self.width // 2
        for rank, k in enumerate(np.argsort(-probs)[:TOP_K]):
            top = self._pad + rank * self.row
            length = int(round(float(probs[k]) * bar_width))
            colour = TOP1_BAR if rank == 0 else OTHER_BAR
            cv2.rectangle(panel, (self._pad, top + 2), (self._pad + length, top + self.row - 2), colour, -1)
            text = f"{self.labels[k]} {100 * float(probs[k]):.1f}%"
            self._text(panel, text, (self._pad + 4, top + self.row - self._pad - 1))

    def _draw_caption(self, panel: np.ndarray, caption: str) -> None:
        (text_width, _), _ = cv2.getTextSize(caption, FONT, self.scale * 0.6, 1)
        self._text(panel, caption, (self.width - text_width - 2 * self._pad, self.row - self._pad - 1), 0.6)

    def _draw_scale(self, panel: np.ndarray) -> None:
        low, high = "0", "peak"
        (high_width, _), _ = cv2.getTextSize(high, FONT, self.scale * 0.5, 1)
        right = self.width - 2 * self._pad - high_width - self._pad
        left = max(self.width // 2 + 4 * self._pad, right - self.width // 4)
        top, bottom = self.row + self._pad, 2 * self.row - self._pad
        if right - left < 16:  # too narrow a picture for a readable scale
            return
        columns = np.linspace(0, 255, right - left).round().astype(np.intp)
        panel[top:bottom, left:right] = self._lut[columns][None]
        baseline = bottom - 1
        (low_width, _), _ = cv2.getTextSize(low, FONT, self.scale * 0.5, 1)
        self._text(panel, low, (left - low_width - self._pad, baseline), 0.5)
        self._text(panel, high, (right + self._pad, baseline), 0.5)

    def _draw_strip(self, panel: np.ndarray) -> None:
        values = np.asarray(self._history, dtype=np.float64)
        peak = values.max() if values.size and values.max() > 0 else 1.0
        bottom = self.height - self._pad
        step = max(1, (self.width - 2 * self._pad) // STRIP_FRAMES)
        right = self.width - self._pad
        for age, value in enumerate(values[::-1]):
            x1 = right - age * step
            level = value / peak
            colour = tuple(int(c) for c in self._lut[int(round(level * 255))])
            cv2.rectangle(panel, (x1 - step + 1, bottom - max(1, int(level * self.strip))), (x1, bottom), colour, -1)

    def _text(self, panel: np.ndarray, text: str, origin: tuple[int, int], size: float = 0.7) -> None:
        cv2.putText(panel, text, origin, FONT, self.scale * size, TEXT, 1, cv2.LINE_AA)


def picture_width(frame_width: int, layout: str) -> int:
    """Width of the composed picture for frames ``frame_width`` wide in ``layout``."""
    probe = torch.zeros(1, 1, frame_width, 3, dtype=torch.uint8)
    return compose(probe, torch.zeros(1, 1, frame_width), layout).shape[-2]


def annotated_frames(
    frames: Tensor,
    maps: Tensor,
    probs: np.ndarray,
    captions: Sequence[str],
    annotator: Annotator,
    layout: str = "overlay",
    style: HeatStyle = HeatStyle(),
) -> list[np.ndarray]:
    """uint8 BGR frames (T, H, W, 3) and maps (T, H, W) on one device, probs (T, K) ->
    finished uint8 pictures, the panel included, on the host."""
    pictures = compose(frames, maps, layout, style).cpu().numpy()
    importance = maps.mean(dim=(-2, -1)).cpu().numpy()
    return [annotator(p, pr, float(i), c) for p, pr, i, c in zip(pictures, probs, importance, captions)]
