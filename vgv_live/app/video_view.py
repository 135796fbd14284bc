"""VideoView: the frame with its heatmap over it, or side by side: frame | overlay | heatmap.

Rule 10 of the design: images are row-major uint8 and never auto-levelled. For uint8
colour images pyqtgraph's levels are left unset, which means the full range 0..255: with
levels given, even (0, 255), pyqtgraph rescales every pixel in numpy on each frame (5 ms
of a 1280x720 frame's GUI tick). The overlay is blended before it reaches Qt
(`vgv_core.render.blend_heat`, OpenCV), at the size the panel has on screen, not the
source's: a 1280x720 frame shown in a smaller panel is scaled down first, so the blend,
the colour conversion and Qt's drawing touch only the pixels that are seen. Scene
coordinates stay the source's pixels (each image item spans the full frame). A
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
        self._images = {name: pg.ImageItem(axisOrder="row-major") for name in PANELS}
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
        size = self._on_screen_size(width, height)
        frame = frame_bgr if size == (width, height) else cv2.resize(frame_bgr, size, interpolation=cv2.INTER_LINEAR)
        if heatmap is not None and heatmap.shape[::-1] != size:
            heatmap = cv2.resize(heatmap, size, interpolation=cv2.INTER_LINEAR)
        shown = {"overlay": frame if heatmap is None else blend_heat(frame, heatmap, self.style)}
        if self.layout_name == SIDE_BY_SIDE:
            shown["frame"] = frame
            shown["heatmap"] = colored_heat(heatmap if heatmap is not None else np.zeros(size[::-1], np.uint8),
                                            self.style.colormap)
        for name, image in shown.items():
            item = self._images[name]
            item.setImage(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), autoLevels=False)
            item.setRect(0, 0, width, height)
        if self._size != (height, width):
            self._size = (height, width)
            for box in self._boxes.values():
                box.setRange(xRange=(0, width), yRange=(0, height), padding=0)

    def _on_screen_size(self, width: int, height: int) -> tuple[int, int]:
        """(w, h) of a ``width`` x ``height`` frame in its panel, in device pixels; never larger."""
        panel = self.overlay_box.size()  # scene units are the widget's pixels
        ratio = self.devicePixelRatioF()
        scale = min(1.0, panel.width() * ratio / width, panel.height() * ratio / height)
        if scale <= 0:  # not laid out yet
            return width, height
        return max(1, round(width * scale)), max(1, round(height * scale))
