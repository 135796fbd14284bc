"""VideoView: the frame with its heatmap over it, or side by side: frame | overlay | heatmap.

Rule 10 of the design: images are row-major uint8 shown with explicit levels. The
overlay is blended before it reaches Qt (`vgv_core.render.blend_heat`, OpenCV), so Qt
draws one opaque image per panel: Qt's painting holds the interpreter lock, OpenCV's
blending does not, and the model's worker thread needs that lock for its Python. A
colour scale beside the video says which colour is the map's peak. A caption says
which frame is shown: "synchronised" (exactly the frame that was explained, with its
own map) or "live" (the newest frame with the newest map).
"""

from __future__ import annotations

import cv2
import numpy as np
import pyqtgraph as pg

from vgv_core.render import HeatStyle, blend_heat, colormap_lut
from vgv_core.render.blend import colored_heat

OVERLAY = "overlay"
SIDE_BY_SIDE = "side by side"
LAYOUTS = (OVERLAY, SIDE_BY_SIDE)
PANELS = ("frame", "overlay", "heatmap")
LEVELS = (0, 255)
SCALE_WIDTH = 14  # pixels of the colour scale's bar


def _image_box() -> pg.ViewBox:
    box = pg.ViewBox(lockAspect=True, invertY=True, enableMouse=False, enableMenu=False)
    box.setDefaultPadding(0.0)
    return box


def colour_scale(style: HeatStyle) -> pg.ColorBarItem:
    """A fixed bar from 0 (cold) to the map's peak in the style's colours."""
    colours = colormap_lut(style.colormap).numpy()[:, ::-1]  # BGR -> RGB
    colormap = pg.ColorMap(np.linspace(0, 1, len(colours)), colours)
    bar = pg.ColorBarItem(values=(0, 1), colorMap=colormap, interactive=False, width=SCALE_WIDTH,
                          label="heat (1 = the map's peak)")
    bar.getAxis("right").setTicks([[(0.0, "0"), (0.5, "0.5"), (1.0, "peak")]])
    return bar


class VideoView(pg.GraphicsLayoutWidget):
    def __init__(self, style: HeatStyle = HeatStyle()) -> None:
        super().__init__()
        self.caption = pg.LabelItem(justify="left", color="#dddddd")
        self._boxes = {name: _image_box() for name in PANELS}
        self._images = {name: pg.ImageItem(axisOrder="row-major", levels=LEVELS) for name in PANELS}
        for name, item in self._images.items():
            self._boxes[name].addItem(item)
        self._size: tuple[int, int] | None = None
        self.frame_bgr: np.ndarray | None = None  # the frame on screen, as given
        self.style = style
        self.scale_bar = colour_scale(style)
        self.layout_name = OVERLAY
        self.set_layout(OVERLAY)

    @property
    def overlay_box(self) -> pg.ViewBox:
        """The panel with the frame and the heatmap over it (in both layouts)."""
        return self._boxes["overlay"]

    def set_layout(self, name: str) -> None:
        """OVERLAY: one panel; SIDE_BY_SIDE: frame | overlay | heatmap."""
        self.layout_name = name
        self.ci.clear()
        panels = ("overlay",) if name == OVERLAY else PANELS
        self.ci.addItem(self.caption, row=0, col=0, colspan=len(panels) + 1)
        for col, panel in enumerate(panels):
            self.ci.addItem(self._boxes[panel], row=1, col=col)
        self.ci.addItem(self.scale_bar, row=1, col=len(panels))

    def set_style(self, style: HeatStyle) -> None:
        """Draw with ``style`` from the next frame on."""
        if style.colormap != self.style.colormap:
            self.scale_bar.setColorMap(colour_scale(style).colorMap())
        self.style = style

    def set_caption(self, text: str) -> None:
        self.caption.setText(text)

    def show_frame(self, frame_bgr: np.ndarray, heatmap: np.ndarray | None) -> None:
        """Show a BGR frame (a fresh array, never a ring slot) and its uint8 map at any size."""
        self.frame_bgr = frame_bgr
        height, width = frame_bgr.shape[:2]
        if heatmap is not None and heatmap.shape != (height, width):
            heatmap = cv2.resize(heatmap, (width, height), interpolation=cv2.INTER_LINEAR)
        shown = {"overlay": frame_bgr if heatmap is None else blend_heat(frame_bgr, heatmap, self.style)}
        if self.layout_name == SIDE_BY_SIDE:
            shown["frame"] = frame_bgr
            shown["heatmap"] = colored_heat(heatmap if heatmap is not None else np.zeros((height, width), np.uint8),
                                            self.style.colormap)
        for name, image in shown.items():
            self._images[name].setImage(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), levels=LEVELS, autoLevels=False)
        if self._size != (height, width):
            self._size = (height, width)
            for box in self._boxes.values():
                box.setRange(xRange=(0, width), yRange=(0, height), padding=0)
