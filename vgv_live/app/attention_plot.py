"""AttentionPlot: attention_in_region of the explained class over the last N seconds.

The share of each result's map that lay in its class's regions (the attention guard),
beside the confidence plot on the same time axis; results that looked elsewhere are red
dots, and a dashed line marks the explained class's limit. Results of a class bound to
no region leave a gap.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PyQt6.QtCore import Qt

from vgv_live.window_model.palette import PLOT_BACKGROUND
from vgv_live.window_model.prob_history import ProbabilityHistory

HISTORY_SAMPLES = 1024
CURVE_COLOR = (80, 220, 80)
ELSEWHERE_COLOR = (235, 50, 50)
LIMIT_COLOR = (200, 200, 200)


class AttentionPlot(pg.PlotWidget):
    def __init__(self, seconds: float = 30.0) -> None:
        super().__init__(background=PLOT_BACKGROUND)
        self.seconds = seconds
        self.setYRange(0, 1, padding=0.02)
        self.setLabel("left", "attention in region")
        self.setLabel("bottom", "time (s)")
        self.setMouseEnabled(x=False, y=False)
        self.setMenuEnabled(False)
        self.curve = self.plot(pen=pg.mkPen(CURVE_COLOR, width=2), connect="finite")
        self.flagged = self.plot(pen=None, symbol="o", symbolSize=6, symbolBrush=ELSEWHERE_COLOR, symbolPen=None)
        self.limit = pg.InfiniteLine(angle=0, pen=pg.mkPen(LIMIT_COLOR, width=1, style=Qt.PenStyle.DashLine))
        self.limit.setVisible(False)
        self.addItem(self.limit)
        self.history = ProbabilityHistory(HISTORY_SAMPLES, 2)  # (share or NaN, looked elsewhere 0/1)

    def add(self, t: float, share: float | None, looked_elsewhere: bool, limit: float | None) -> None:
        """One result at time ``t`` (seconds); shown at the next ``redraw``."""
        self.history.add(t, np.array([np.nan if share is None else share, float(looked_elsewhere)], np.float32))
        self.limit.setVisible(limit is not None)
        if limit is not None:
            self.limit.setValue(limit)

    def redraw(self) -> None:
        times, values = self.history.view()
        if not len(times):
            return
        self.curve.setData(times, values[:, 0])
        flagged = values[:, 1] > 0
        self.flagged.setData(times[flagged], values[flagged, 0])
        self.setXRange(times[-1] - self.seconds, times[-1], padding=0)

    def clear_history(self) -> None:
        self.history.clear()
        self.curve.setData([], [])
        self.flagged.setData([], [])
