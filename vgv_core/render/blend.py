"""How a heatmap is laid over a frame (HeatStyle), and that blend on the host with OpenCV.

HEAT (the default): the heat sets the opacity, from transparent where the map is cold
to ``alpha`` from FULL_FROM of its peak up, so the frame stays visible wherever the
model did not look, a lit lamp under the map is still seen, and the thin, sharp maps of
the gradient methods still show. UNIFORM: the colormap over the whole frame at
one opacity ``alpha`` (the first version's look). `overlay.overlay` is the same blend
in torch for whole clips on the model's device; the live window and sinks use
`blend_heat`, which runs in OpenCV and so leaves the interpreter lock to the model.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from vgv_core.errors import VGVError
from vgv_core.render.colormaps import COLORMAPS

HEAT = "heat"
UNIFORM = "uniform"
BLENDS = (HEAT, UNIFORM)
DEFAULT_COLORMAP = "turbo"  # perceptually ordered, unlike jet, and bright at the hot end
DEFAULT_ALPHA = 0.8
FULL_FROM = 0.5  # HEAT: map values from this share of the peak up get the full opacity


@dataclass(frozen=True)
class HeatStyle:
    colormap: str = DEFAULT_COLORMAP
    alpha: float = DEFAULT_ALPHA  # opacity of the hot parts (HEAT) or everywhere (UNIFORM)
    blend: str = HEAT

    def __post_init__(self) -> None:
        if self.colormap not in COLORMAPS:
            raise VGVError(f"unknown colormap {self.colormap!r}; choose from {', '.join(COLORMAPS)}")
        if not 0 <= self.alpha <= 1:
            raise VGVError(f"the heatmap opacity (alpha) must be between 0 and 1, got {self.alpha}")
        if self.blend not in BLENDS:
            raise VGVError(f"unknown blend {self.blend!r}; choose from {', '.join(BLENDS)}")


def colored_heat(heat: np.ndarray, colormap: str) -> np.ndarray:
    """uint8 map (H, W) -> uint8 BGR (H, W, 3) in ``colormap``."""
    return cv2.applyColorMap(heat, COLORMAPS[colormap])


def blend_heat(frame: np.ndarray, heat: np.ndarray, style: HeatStyle = HeatStyle()) -> np.ndarray:
    """uint8 BGR frame (H, W, 3) and uint8 map (any size) -> a new uint8 BGR image."""
    height, width = frame.shape[:2]
    if heat.shape != (height, width):
        heat = cv2.resize(heat, (width, height), interpolation=cv2.INTER_LINEAR)
    colour = colored_heat(heat, style.colormap)
    if style.blend == UNIFORM:
        return cv2.addWeighted(frame, 1.0 - style.alpha, colour, style.alpha, 0.0)
    weight = np.minimum(cv2.multiply(heat, style.alpha / (255.0 * FULL_FROM), dtype=cv2.CV_32F), style.alpha)
    return cv2.blendLinear(frame, colour, cv2.subtract(1.0, weight), weight)
