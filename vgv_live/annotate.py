"""Drawing a result onto a full-size frame: heatmap overlay plus a label bar (OpenCV, CPU).

Used by the sinks on their own thread, so it stays off the model's device (and off
torch: a second thread running torch ops would slow the worker's).
"""

from __future__ import annotations

import cv2
import numpy as np

from vgv_core.render import HeatStyle, blend_heat
from vgv_live.result import Result

BAR_HEIGHT = 22


def annotate(frame: np.ndarray, heatmap: np.ndarray, result: Result, style: HeatStyle = HeatStyle()) -> np.ndarray:
    """A new uint8 BGR image: ``frame`` blended with ``heatmap`` (uint8, any size) and the labels."""
    image = blend_heat(frame, heatmap, style)
    draw_label_bar(image, label_text(result))
    return image


def label_text(result: Result) -> str:
    label, prob = result.top
    text = f"{label} {prob:.2f}"
    if result.target != int(np.argmax(result.probs)):
        text += f" | {result.method}: {result.labels[result.target]} {float(result.probs[result.target]):.2f}"
    else:
        text += f" | {result.method}"
    return text


def draw_label_bar(image: np.ndarray, text: str) -> None:
    """A dark bar across the top of ``image`` (in place) with ``text`` in white."""
    bar = min(BAR_HEIGHT, image.shape[0])
    image[:bar] = (image[:bar] * 0.35).astype(np.uint8)
    scale = max(0.35, min(0.6, image.shape[1] / 640))
    cv2.putText(image, text, (4, bar - 6), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
