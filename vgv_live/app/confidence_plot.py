"""ConfidencePlot: each class's probability over the last N seconds, with its threshold line.

One curve per class (coloured as everywhere else in the window) with a legend, and a
dashed horizontal line at each class's event threshold. Data come from a
ProbabilityHistory and go to pyqtgraph with ``setData(skipFiniteCheck=True)``.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt

from vgv_live.window_model.palette import PLOT_BACKGROUND, class_color
from vgv_live.window_model.prob_history import ProbabilityHistory

HISTORY_SAMPLES = 1024
GRID_LEVELS = (0.25, 0.5, 0.75)
GRID_COLOR = "#3a3a3a"


class ConfidencePlot(pg.PlotWidget):
    def __init__(self, seconds: float = 30.0) -> None:
        super().__init__(background=PLOT_BACKGROUND)
        self.seconds = seconds
        self.setYRange(0, 1, padding=0.02)
        self.setLabel("left", "probability")
        self.setLabel("bottom", "time (s)")
        for level in GRID_LEVELS:  # opaque lines: pyqtgraph's translucent grid took most of a repaint
            self.addItem(pg.InfiniteLine(level, angle=0, pen=pg.mkPen(GRID_COLOR, width=1)))
        self.setMouseEnabled(x=False, y=False)
        self.setMenuEnabled(False)
        self.legend = self.addLegend(offset=(5, 5), labelTextSize="8pt")
        self.curves: list[pg.PlotDataItem] = []
        self.lines: dict[int, pg.InfiniteLine] = {}
        self.history = ProbabilityHistory(HISTORY_SAMPLES, 1)

    def set_labels(self, labels: tuple[str, ...]) -> None:
        """Start over with one curve (and a hidden threshold line) per class."""
        for item in [*self.curves, *self.lines.values()]:
            self.removeItem(item)
        self.legend.clear()
        self.history = ProbabilityHistory(HISTORY_SAMPLES, len(labels))
        self.curves = [self.plot(name=label, pen=pg.mkPen(class_color(i), width=2)) for i, label in enumerate(labels)]
        self.lines = {}
        for index in range(len(labels)):
            line = pg.InfiniteLine(angle=0, pen=pg.mkPen(class_color(index), width=1, style=Qt.PenStyle.DashLine))
            line.setVisible(False)
            self.addItem(line)
            self.lines[index] = line

    def set_thresholds(self, thresholds: dict[int, float]) -> None:
        for index, line in self.lines.items():
            line.setVisible(index in thresholds)
            if index in thresholds:
                line.setValue(thresholds[index])

    def add(self, t: float, probs: np.ndarray) -> None:
        """Append one result's probabilities at time ``t`` (seconds); shown at the next ``redraw``."""
        self.history.add(t, probs)

    def redraw(self) -> None:
        times, values = self.history.view()
        if not len(times):
            return
        for index, curve in enumerate(self.curves):
            curve.setData(times, values[:, index], skipFiniteCheck=True)
        self.setXRange(times[-1] - self.seconds, times[-1], padding=0)

    def clear_history(self) -> None:
        self.history.clear()
        for curve in self.curves:
            curve.setData([], [])
