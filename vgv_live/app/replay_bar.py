"""ReplayBar: for video files, the whole-video confidence timeline over a seek slider.

The timeline (one curve per class against the frame index) fills in while the
background job computes it, with its progress beside the slider. Dragging the slider, or
clicking on the timeline, asks for a seek; the play speed has its own box. The window
moves the slider to the frame on screen without triggering a seek.
"""

from __future__ import annotations

import pyqtgraph as pg
from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QProgressBar, QSlider, QVBoxLayout, QWidget

from vgv_core import frame_rate
from vgv_live.window_model.palette import PLOT_BACKGROUND, class_color
from vgv_live.replay import SPEEDS
from vgv_live.window_model.timeline_cache import Timeline

TIMELINE_HEIGHT = 90


class ReplayBar(QWidget):
    seekRequested = pyqtSignal(int)
    speedChanged = pyqtSignal(float)

    def __init__(self) -> None:
        super().__init__()
        self.fps = frame_rate.FALLBACK  # until reset with the file's own
        self.timeline = pg.PlotWidget(background=PLOT_BACKGROUND)
        self.timeline.setFixedHeight(TIMELINE_HEIGHT)
        self.timeline.setMouseEnabled(x=False, y=False)
        self.timeline.setMenuEnabled(False)
        self.timeline.hideButtons()
        self.timeline.hideAxis("left")
        self.timeline.setYRange(0, 1, padding=0.05)
        self.timeline.scene().sigMouseClicked.connect(self._timeline_clicked)
        self.cursor = pg.InfiniteLine(angle=90, pen=pg.mkPen("w", width=1))
        self.timeline.addItem(self.cursor)
        self.curves: list[pg.PlotDataItem] = []
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the arrows keys step frames instead
        self.slider.sliderMoved.connect(self.seekRequested)
        self.slider.actionTriggered.connect(self._slider_action)
        self.position = QLabel("-")
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(180)
        self.progress.setFormat("timeline %p%")
        self.speed = QComboBox()
        self.speed.addItems([f"{speed:g}x" for speed in SPEEDS])
        self.speed.setCurrentIndex(SPEEDS.index(1.0))
        self.speed.currentIndexChanged.connect(lambda i: self.speedChanged.emit(SPEEDS[i]))
        row = QHBoxLayout()
        row.addWidget(self.slider, stretch=1)
        for widget in (self.position, self.progress, QLabel("speed"), self.speed):
            row.addWidget(widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.timeline)
        layout.addLayout(row)

    def reset(self, labels: tuple[str, ...], frame_count: int, fps: float) -> None:
        """A new video: empty timeline, one curve per class, the slider over its frames."""
        for curve in self.curves:
            self.timeline.removeItem(curve)
        self.curves = [self.timeline.plot(pen=pg.mkPen(class_color(i), width=1.5)) for i in range(len(labels))]
        self.fps = fps
        self.set_frame_count(frame_count)
        self.progress.setValue(0)

    def set_frame_count(self, frame_count: int) -> None:
        self.slider.setRange(0, max(0, frame_count - 1))
        self.timeline.setXRange(0, max(1, frame_count - 1), padding=0)

    def set_timeline(self, timeline: Timeline, progress: float) -> None:
        for index, curve in enumerate(self.curves):
            curve.setData(timeline.frame_indices, timeline.probs[:, index], skipFiniteCheck=True)
        if timeline.frame_count:
            self.set_frame_count(timeline.frame_count)
        self.progress.setValue(round(100 * progress))

    def set_position(self, index: int) -> None:
        """Show frame ``index`` as current (no seek is requested)."""
        self.slider.blockSignals(True)
        self.slider.setValue(index)
        self.slider.blockSignals(False)
        self.cursor.setValue(index)
        total = self.slider.maximum() + 1
        self.position.setText(f"frame {index} / {total}  {index / self.fps:6.2f} s")

    def set_speed(self, speed: float) -> None:
        self.speed.setCurrentIndex(SPEEDS.index(speed))

    def _slider_action(self, action: int) -> None:
        if action != QSlider.SliderAction.SliderMove.value:  # page clicks, keys: the new position
            self.seekRequested.emit(self.slider.sliderPosition())

    def _timeline_clicked(self, event) -> None:
        point = self.timeline.getPlotItem().vb.mapSceneToView(event.scenePos())
        self.seekRequested.emit(max(0, min(self.slider.maximum(), round(point.x()))))
