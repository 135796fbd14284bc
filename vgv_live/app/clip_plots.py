"""The two small plots about the current result: top-k classes, and the temporal importance.

TopKPlot: horizontal bars of the k most probable classes, labelled, in class colours.
ImportancePlot: how much of the map falls on each frame of the explained clip (the
map's mean per frame, relative to the strongest frame), against the frame's offset from
the newest one: which moments of the clip drove the decision.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from vgv_live.window_model.palette import PLOT_BACKGROUND, class_color
from vgv_live.result import Result


class SmallPlot(pg.PlotWidget):
    """A fixed plot (no mouse zoom, no menu) on the window's plot background."""

    def __init__(self, title: str) -> None:
        super().__init__(background=PLOT_BACKGROUND, title=title)
        self.setMouseEnabled(x=False, y=False)
        self.setMenuEnabled(False)
        self.hideButtons()


class TopKPlot(SmallPlot):
    def __init__(self, k: int = 5) -> None:
        super().__init__("top classes")
        self.k = k
        self.setXRange(0, 1, padding=0.02)
        self.bars = pg.BarGraphItem(x0=[], y=[], width=[], height=0.7)
        self.addItem(self.bars)

    def update_result(self, result: Result) -> None:
        order = np.argsort(result.probs)[::-1][: self.k]
        rows = np.arange(len(order))[::-1]  # the most probable on top
        brushes = [pg.mkBrush(class_color(int(i))) for i in order]
        self.bars.setOpts(x0=np.zeros(len(order)), y=rows, width=result.probs[order], height=0.7, brushes=brushes)
        ticks = [(float(row), f"{result.labels[i]} {result.probs[i]:.2f}") for row, i in zip(rows, order)]
        self.getAxis("left").setTicks([ticks])
        self.setYRange(-0.5, self.k - 0.5, padding=0)


class ImportancePlot(SmallPlot):
    def __init__(self) -> None:
        super().__init__("temporal importance")
        self.setLabel("bottom", "frames before newest")
        self.setYRange(0, 1, padding=0.02)
        self.bars = pg.BarGraphItem(x=[], height=[], width=0.8, brush=pg.mkBrush(230, 160, 60))
        self.addItem(self.bars)

    def update_result(self, result: Result) -> None:
        mass = result.maps.reshape(len(result.maps), -1).mean(axis=1)
        heights = mass / mass.max() if mass.max() > 0 else mass
        offsets = (result.frame_ids - result.frame_ids[-1]).astype(np.float64)
        width = 0.8 * (np.min(np.diff(offsets)) if len(offsets) > 1 else 1.0)
        self.bars.setOpts(x=offsets, height=heights, width=width)
        self.setXRange(offsets[0] - width, width, padding=0)
