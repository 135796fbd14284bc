"""RegionEditor: the attention guard's regions drawn over the video and edited with the mouse.

Each region is an outline (a closed pyqtgraph PolyLineROI) in the source's pixels: drag
it to move it, drag a corner to reshape it, click an edge to add a corner, click it to
select it. ``start_drawing`` turns the next left-button drag on the video into a new
rectangle. Every finished change becomes a new Regions (``edited``); a shape that is not
a simple polygon with an area is refused and the outline goes back (``refused`` says
why). Corners are kept inside the frame. The explained class's regions are drawn green
while its map lies in them and red while it looked elsewhere; the others are grey.
"""

from __future__ import annotations

import pyqtgraph as pg
from PyQt6.QtCore import QObject, QPointF, QRectF, Qt, pyqtSignal

from vgv_core.regions import Point, Regions
from vgv_core.validation import SettingError
from vgv_live.app.video_view import DrawBox

IDLE_PEN = pg.mkPen((200, 200, 200), width=2)
IN_REGION_PEN = pg.mkPen((80, 220, 80), width=3)
ELSEWHERE_PEN = pg.mkPen((235, 50, 50), width=3)
SELECTED_PEN = pg.mkPen((255, 220, 60), width=3)
MIN_SIDE_PX = 3  # a drag shorter than this is a click, not a rectangle


class RegionEditor(QObject):
    edited = pyqtSignal(object)  # the Regions after a change the user made
    selected = pyqtSignal(str)  # the name of the region clicked
    refused = pyqtSignal(str)  # why a change was undone

    def __init__(self, box: DrawBox) -> None:
        super().__init__()
        self.box = box
        self.regions = Regions()
        self.frame_size: tuple[int, int] | None = None  # (w, h) of the source's frames, once known
        self.selection: str | None = None
        self._outlines: dict[str, pg.PolyLineROI] = {}
        self._names: dict[str, pg.TextItem] = {}
        self._verdict: tuple[str | None, bool] = (None, False)
        box.drawn.connect(self._drawn)

    def set_regions(self, regions: Regions) -> None:
        """Show ``regions`` (outlines made anew)."""
        for outline in self._outlines.values():
            self.box.removeItem(outline)
        for name in self._names.values():
            self.box.removeItem(name)
        self.regions = regions
        self._outlines, self._names = {}, {}
        for name, polygon in regions.shapes.items():
            self._add_outline(name, polygon)
        if self.selection not in regions.shapes:
            self.selection = None
        self._paint()

    def start_drawing(self) -> None:
        """The next left-button drag on the video draws a rectangle, also over other regions."""
        self.box.drawing = True
        self._let_drags_through(True)

    def select(self, name: str | None) -> None:
        self.selection = name if name in self.regions.shapes else None
        self._paint()

    def show_verdict(self, label: str | None, looked_elsewhere: bool) -> None:
        """Colour the regions of the class ``label`` just explained (None: nothing explained yet)."""
        if (label, looked_elsewhere) != self._verdict:
            self._verdict = (label, looked_elsewhere)
            self._paint()

    def polygon_of(self, name: str) -> tuple[Point, ...]:
        """Region ``name``'s corners as its outline has them now, in the source's pixels."""
        outline = self._outlines[name]
        return tuple(self._inside_frame(outline.mapToParent(position))
                     for _, position in outline.getLocalHandlePositions())

    def _add_outline(self, name: str, polygon: tuple[Point, ...]) -> None:
        outline = pg.PolyLineROI([list(p) for p in polygon], closed=True, pen=IDLE_PEN, movable=True)
        outline.setZValue(10)
        outline.setAcceptedMouseButtons(Qt.MouseButton.LeftButton)  # clicks select it
        outline.sigRegionChangeFinished.connect(lambda _, n=name: self._moved(n))
        outline.sigClicked.connect(lambda _, __, n=name: self._clicked(n))
        label = pg.TextItem(name, color=(230, 230, 230), anchor=(0, 1))
        label.setPos(*polygon[0])
        self.box.addItem(outline, ignoreBounds=True)
        self.box.addItem(label, ignoreBounds=True)
        self._outlines[name], self._names[name] = outline, label

    def _paint(self) -> None:
        label, looked_elsewhere = self._verdict
        expected = set(self.regions.expected(label)) if label is not None else set()
        verdict_pen = ELSEWHERE_PEN if looked_elsewhere else IN_REGION_PEN
        for name, outline in self._outlines.items():
            pen = SELECTED_PEN if name == self.selection else verdict_pen if name in expected else IDLE_PEN
            outline.setPen(pen)

    def _let_drags_through(self, through: bool) -> None:
        for outline in self._outlines.values():
            outline.translatable = not through

    def _drawn(self, rect: QRectF) -> None:
        self.box.drawing = False
        self._let_drags_through(False)
        (x0, y0), (x1, y1) = self._inside_frame(rect.topLeft()), self._inside_frame(rect.bottomRight())
        if x1 - x0 < MIN_SIDE_PX or y1 - y0 < MIN_SIDE_PX:
            return
        name = self._new_name()
        self.selection = name
        self.edited.emit(self.regions.with_shape(name, ((x0, y0), (x1, y0), (x1, y1), (x0, y1))))

    def _moved(self, name: str) -> None:
        try:
            regions = self.regions.with_shape(name, self.polygon_of(name))
        except SettingError as exc:
            self.refused.emit(str(exc))
            self.set_regions(self.regions)
            return
        self.edited.emit(regions)

    def _clicked(self, name: str) -> None:
        self.select(name)
        self.selected.emit(name)

    def _new_name(self) -> str:
        number = len(self.regions.shapes) + 1
        while f"region {number}" in self.regions.shapes:
            number += 1
        return f"region {number}"

    def _inside_frame(self, point: QPointF) -> Point:
        x, y = point.x(), point.y()
        if self.frame_size is not None:
            width, height = self.frame_size
            x, y = min(max(x, 0.0), float(width)), min(max(y, 0.0), float(height))
        return round(x, 2), round(y, 2)
