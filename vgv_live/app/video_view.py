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
own map) or "live" (the newest frame with the newest map). A red warning over the video
says when the result shown "looked elsewhere" (the attention guard). The overlay panel
turns a mouse drag into a rectangle while the region editor is drawing.
"""

from __future__ import annotations

import cv2
import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import QPointF, QRectF, Qt, pyqtSignal

from vgv_core.render import HeatStyle, blend_heat, colormap_lut
from vgv_core.render.blend import colored_heat

OVERLAY = "overlay"
SIDE_BY_SIDE = "side by side"
LAYOUTS = (OVERLAY, SIDE_BY_SIDE)
PANELS = ("frame", "overlay", "heatmap")
SCALE_WIDTH = 14  # pixels of the colour scale's bar


WARNING_COLOUR = (200, 30, 30, 220)


class DrawBox(pg.ViewBox):
    """An image panel; while ``drawing``, a left-button drag draws a rectangle and ``drawn`` gives it
    (in the image's pixels) when the button is released."""

    drawn = pyqtSignal(QRectF)

    def __init__(self) -> None:
        super().__init__(lockAspect=True, invertY=True, enableMouse=False, enableMenu=False)
        self.setDefaultPadding(0.0)
        self.drawing = False
        self._outline = pg.RectROI((0, 0), (1, 1), movable=False, resizable=False, rotatable=False,
                                   pen=pg.mkPen("w", width=2, style=Qt.PenStyle.DashLine))
        self._outline.hide()
        self.addItem(self._outline, ignoreBounds=True)

    def mouseDragEvent(self, ev, axis=None) -> None:  # noqa: N802 (pyqtgraph's name)
        if not self.drawing or ev.button() != Qt.MouseButton.LeftButton:
            return super().mouseDragEvent(ev, axis)
        ev.accept()
        corner = self.mapSceneToView(ev.buttonDownScenePos(Qt.MouseButton.LeftButton))
        rect = QRectF(corner, self.mapSceneToView(ev.scenePos())).normalized()
        if ev.isFinish():
            self._outline.hide()
            self.drawn.emit(rect)
            return
        self._outline.setPos(QPointF(rect.x(), rect.y()))
        self._outline.setSize((rect.width(), rect.height()))
        self._outline.show()


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
        self._boxes = {name: DrawBox() for name in PANELS}
        self._images = {name: pg.ImageItem(axisOrder="row-major") for name in PANELS}
        for name, item in self._images.items():
            self._boxes[name].addItem(item)
        self.warning = pg.TextItem(color="w", fill=pg.mkBrush(*WARNING_COLOUR), anchor=(0, 0))
        self.warning.setZValue(20)
        self.warning.hide()
        self.overlay_box.addItem(self.warning, ignoreBounds=True)
        self._size: tuple[int, int] | None = None
        self.frame_bgr: np.ndarray | None = None  # the frame on screen, as given
        self.style = style
        self.scale_bar = colour_scale(style)
        self.layout_name = OVERLAY
        self.set_layout(OVERLAY)

    @property
    def overlay_box(self) -> DrawBox:
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

    @property
    def overlay_image(self) -> np.ndarray | None:
        """The RGB picture in the overlay panel (the frame with its heatmap, at on-screen size)."""
        return self._images["overlay"].image

    def set_caption(self, text: str) -> None:
        self.caption.setText(text)

    def set_warning(self, text: str | None) -> None:
        """Show ``text`` in red over the video's top-left corner (None: no warning)."""
        if text is None:
            self.warning.hide()
            return
        self.warning.setText(text)
        self.warning.setPos(0, 0)
        self.warning.show()

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
