"""Drawing a result onto a full-size frame: heatmap overlay, the explained class's regions
(attention guard) and a label bar (OpenCV, CPU).

Used by the sinks on their own thread, so it stays off the model's device (and off
torch: a second thread running torch ops would slow the worker's). The regions are
outlined in green while the map lies in them and in red while the result "looked
elsewhere", when the label bar turns red too and says so.
"""

from __future__ import annotations

import cv2
import numpy as np

from vgv_core.regions import Regions
from vgv_core.render import HeatStyle, blend_heat
from vgv_live.result import Result

BAR_HEIGHT = 22
IN_REGION = (80, 200, 80)  # BGR
ELSEWHERE = (40, 40, 230)


def annotate(frame: np.ndarray, heatmap: np.ndarray, result: Result, style: HeatStyle = HeatStyle(),
             regions: Regions | None = None) -> np.ndarray:
    """A new uint8 BGR image: ``frame`` blended with ``heatmap`` (uint8, any size), the explained
    class's regions outlined, and the labels."""
    image = blend_heat(frame, heatmap, style)
    if regions is not None:
        draw_regions(image, regions, result)
    draw_label_bar(image, label_text(result), ELSEWHERE if result.looked_elsewhere else None)
    return image


def label_text(result: Result) -> str:
    label, prob = result.top
    text = f"{label} {prob:.2f}"
    if result.target != int(np.argmax(result.probs)):
        text += f" | {result.method}: {result.labels[result.target]} {float(result.probs[result.target]):.2f}"
    else:
        text += f" | {result.method}"
    if result.attention_in_region is not None:
        text += f" | {'LOOKED ELSEWHERE: ' if result.looked_elsewhere else ''}in region {result.attention_in_region:.0%}"
    return text


def draw_regions(image: np.ndarray, regions: Regions, result: Result) -> None:
    """The regions of the class ``result`` explains, outlined in place (green, or red when it looked elsewhere)."""
    colour = ELSEWHERE if result.looked_elsewhere else IN_REGION
    thickness = max(1, image.shape[1] // 400)
    for name in regions.expected(result.labels[result.target]):
        corners = (np.asarray(regions.shapes[name]) * 16).round().astype(np.int32)  # 4 fraction bits
        cv2.polylines(image, [corners], True, colour, thickness, cv2.LINE_AA, shift=4)


def draw_label_bar(image: np.ndarray, text: str, tint: tuple[int, int, int] | None = None) -> None:
    """A dark bar (or one of ``tint``) across the top of ``image`` (in place) with ``text`` in white."""
    bar = min(BAR_HEIGHT, image.shape[0])
    image[:bar] = (image[:bar] * 0.35).astype(np.uint8)
    if tint is not None:
        image[:bar] = cv2.addWeighted(image[:bar], 0.5, np.full_like(image[:bar], tint), 0.5, 0)
    scale = max(0.35, min(0.6, image.shape[1] / 640))
    cv2.putText(image, text, (4, bar - 6), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
