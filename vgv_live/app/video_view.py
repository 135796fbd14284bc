"""VideoView: the frame with its heatmap over it, or side by side: frame | overlay | heatmap.

Rule 10 of the design: images are row-major uint8 shown with explicit levels, and the
heatmap is a second ImageItem with its own opacity and a 256-entry lookup table (the
colormap). Over the frame, the table also fades the weakest values out, so the video
shows through where the model did not look; the separate heatmap panel is opaque. A caption says which frame is shown: "synchronised" (exactly the frame that
was explained, with its own map) or "live" (the newest frame with the newest map).
"""

from __future__ import annotations

import cv2
import numpy as np
import pyqtgraph as pg

from vgv_core.render import colormap_lut

OVERLAY = "overlay"
SIDE_BY_SIDE = "side by side"
LAYOUTS = (OVERLAY, SIDE_BY_SIDE)
LEVELS = (0, 255)
FULLY_VISIBLE_FROM = 64  # map values from here up are drawn at the full opacity


def rgb_lut(colormap: str) -> np.ndarray:
    """(256, 3) uint8 RGB table for ``colormap`` (vgv_core's tables are BGR)."""
    return np.ascontiguousarray(colormap_lut(colormap).numpy()[:, ::-1])


def fading_lut(colormap: str) -> np.ndarray:
    """(256, 4) uint8 RGBA table: ``colormap`` with alpha rising from 0 to 255 at FULLY_VISIBLE_FROM."""
    alpha = np.clip(np.arange(256) * 255 / FULLY_VISIBLE_FROM, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(np.column_stack([rgb_lut(colormap), alpha]))


def _image_box() -> pg.ViewBox:
    box = pg.ViewBox(lockAspect=True, invertY=True, enableMouse=False, enableMenu=False)
    box.setDefaultPadding(0.0)
    return box


class VideoView(pg.GraphicsLayoutWidget):
    def __init__(self, colormap: str = "jet", opacity: float = 0.4) -> None:
        super().__init__()
        self.caption = pg.LabelItem(justify="left", color="#dddddd")
        self._boxes = {name: _image_box() for name in ("frame", "overlay", "heatmap")}
        self._frames = {name: pg.ImageItem(axisOrder="row-major", levels=LEVELS) for name in ("frame", "overlay")}
        self._heats = {name: pg.ImageItem(axisOrder="row-major", levels=LEVELS) for name in ("overlay", "heatmap")}
        for name, item in self._frames.items():
            self._boxes[name].addItem(item)
        for name, item in self._heats.items():
            item.setZValue(1)
            self._boxes[name].addItem(item)
        self._size: tuple[int, int] | None = None
        self.frame_rgb: np.ndarray | None = None  # the frame on screen, RGB
        self.layout_name = OVERLAY
        self.set_colormap(colormap)
        self.set_opacity(opacity)
        self.set_layout(OVERLAY)

    @property
    def overlay_box(self) -> pg.ViewBox:
        """The panel with the frame and the heatmap over it (in both layouts)."""
        return self._boxes["overlay"]

    def set_layout(self, name: str) -> None:
        """OVERLAY: one panel; SIDE_BY_SIDE: frame | overlay | heatmap."""
        self.layout_name = name
        self.ci.clear()
        panels = ("overlay",) if name == OVERLAY else ("frame", "overlay", "heatmap")
        self.ci.addItem(self.caption, row=0, col=0, colspan=len(panels))
        for col, panel in enumerate(panels):
            self.ci.addItem(self._boxes[panel], row=1, col=col)

    def set_opacity(self, opacity: float) -> None:
        self.opacity = opacity
        self._heats["overlay"].setOpacity(opacity)

    def set_colormap(self, colormap: str) -> None:
        self.colormap = colormap
        self._heats["overlay"].setLookupTable(fading_lut(colormap))
        self._heats["heatmap"].setLookupTable(rgb_lut(colormap))

    def set_caption(self, text: str) -> None:
        self.caption.setText(text)

    def show_frame(self, frame_bgr: np.ndarray, heatmap: np.ndarray | None) -> None:
        """Show a BGR frame (a fresh array, never a ring slot) and its uint8 map at any size."""
        rgb = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2RGB)
        self.frame_rgb = rgb
        for item in self._frames.values():
            item.setImage(rgb, levels=LEVELS, autoLevels=False)
        height, width = rgb.shape[:2]
        if heatmap is None:
            heat = np.zeros((height, width), np.uint8)
        else:
            heat = cv2.resize(heatmap, (width, height), interpolation=cv2.INTER_LINEAR)
        for item in self._heats.values():
            item.setImage(heat, levels=LEVELS, autoLevels=False)
        if self._size != (height, width):
            self._size = (height, width)
            for box in self._boxes.values():
                box.setRange(xRange=(0, width), yRange=(0, height), padding=0)
