"""CameraGridWindow: several cameras in one window, explained by one batched worker per model.

A grid of tiles (each: the camera's video with its heatmap, its state and its top class);
a click on a tile, or its number key, puts that camera in focus: its video large, its
confidence plot, its explanation method and hop; G or Escape goes back to the grid. Which camera
was in focus is kept across runs. The cameras run in this process (vgv_live.camera_set):
one model per distinct model, shared by its cameras.
"""

from __future__ import annotations

import math
import time

import numpy as np
from PyQt6.QtCore import QSettings, Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QKeySequence, QShortcut
from PyQt6.QtWidgets import (
    QComboBox, QFrame, QGridLayout, QHBoxLayout, QLabel, QMainWindow, QPushButton, QSpinBox, QStackedWidget,
    QVBoxLayout, QWidget,
)

from vgv_core.explain import methods_for
from vgv_live.app.confidence_plot import ConfidencePlot
from vgv_live.app.video_view import VideoView
from vgv_live.camera_set import CameraRun, CameraSet
from vgv_live.config import LiveConfig
from vgv_live.result import Result
from vgv_live.window_model.background import BackgroundTask

TICK_MS = 40
FOCUS_KEY = "grid/focus"
GRID, FOCUS = 0, 1


def tile_text(run: CameraRun, result: Result | None) -> str:
    """Rich text above a camera's video: its name, state and top class."""
    state = run.pipeline.producer.state
    if result is None:
        return f"<b>{run.name}</b> &middot; {state}"
    label, prob = result.top
    return f"<b>{run.name}</b> &middot; {state} &middot; {label} {prob:.2f}"


class CameraTile(QFrame):
    clicked = pyqtSignal(int)

    def __init__(self, index: int, view: VideoView) -> None:
        super().__init__()
        self.index = index
        self.view = view
        self.setFrameShape(QFrame.Shape.StyledPanel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(1, 1, 1, 1)
        layout.addWidget(view)

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.clicked.emit(self.index)


class CameraGridWindow(QMainWindow):
    def __init__(self, config: LiveConfig, settings: QSettings) -> None:
        super().__init__()
        self.setWindowTitle("VideoGradVis Live: cameras")
        self.config = config
        self.settings = settings
        self.cameras: CameraSet | None = None
        self.focused: int | None = None
        self._seen: dict[int, int] = {}  # camera -> seq of the result last plotted
        self._shown: dict[VideoView, tuple] = {}  # view -> (newest frame id, result seq, state) on it
        self.status = QLabel("loading the model(s) and opening the cameras...")
        self.statusBar().addPermanentWidget(self.status, stretch=1)
        self.stack = QStackedWidget()
        self.setCentralWidget(self.stack)
        self._opening = BackgroundTask("open cameras", lambda: self._open(config))
        self._opening.start()
        self.timer = QTimer(self, interval=TICK_MS, timerType=Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    @staticmethod
    def _open(config: LiveConfig) -> CameraSet:
        cameras = CameraSet(config)
        cameras.start()
        return cameras

    # -- building, once the cameras run --------------------------------------------------------

    def _build(self, cameras: CameraSet) -> None:
        self.cameras = cameras
        runs = cameras.runs
        grid = QWidget()
        layout = QGridLayout(grid)
        columns = math.ceil(math.sqrt(len(runs)))
        self.tiles = []
        for index, run in enumerate(runs):
            tile = CameraTile(index, VideoView(run.camera.config.style))
            tile.clicked.connect(self.focus)
            layout.addWidget(tile, index // columns, index % columns)
            self.tiles.append(tile)
            QShortcut(QKeySequence(str(index + 1)), self, activated=lambda i=index: self.focus(i))
        for key in ("G", "Escape"):
            QShortcut(QKeySequence(key), self, activated=self.show_grid)
        self.stack.addWidget(grid)
        self.stack.addWidget(self._focus_page())
        focused = self.settings.value(FOCUS_KEY, "", str)
        names = [run.name for run in runs]
        if focused in names:
            self.focus(names.index(focused))

    def _focus_page(self) -> QWidget:
        self.focus_view = VideoView(self.config.style)
        self.focus_plot = ConfidencePlot()
        self.method = QComboBox()
        self.method.activated.connect(self._set_method)
        self.hop = QSpinBox(minimum=1, maximum=10_000)
        self.hop.valueChanged.connect(self._set_hop)
        back = QPushButton("Grid (G)")
        back.clicked.connect(self.show_grid)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("method"))
        controls.addWidget(self.method)
        controls.addWidget(QLabel("hop"))
        controls.addWidget(self.hop)
        controls.addStretch(1)
        controls.addWidget(back)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addLayout(controls)
        layout.addWidget(self.focus_view, stretch=3)
        layout.addWidget(self.focus_plot, stretch=1)
        return page

    # -- focus ----------------------------------------------------------------------------------

    def focus(self, index: int) -> None:
        """Camera ``index`` large, with its plot and controls."""
        if self.cameras is None or not 0 <= index < len(self.cameras.runs):
            return
        run = self.cameras.runs[index]
        self.focused = index
        explainer = run.pipeline.worker.explainer
        self.method.clear()
        self.method.addItems(methods_for(explainer.model.net))
        self.method.setCurrentText(explainer.method)
        self.hop.blockSignals(True)
        self.hop.setValue(run.pipeline.worker.hop)
        self.hop.blockSignals(False)
        self.focus_plot.set_labels(explainer.labels)
        self._seen.pop(index, None)
        self._shown.pop(self.focus_view, None)
        self.stack.setCurrentIndex(FOCUS)
        self.settings.setValue(FOCUS_KEY, run.name)

    def show_grid(self) -> None:
        self.focused = None
        self.stack.setCurrentIndex(GRID)
        self.settings.setValue(FOCUS_KEY, "")

    def _set_method(self, _: int) -> None:
        if self.focused is not None:
            self.cameras.runs[self.focused].pipeline.worker.request(method=self.method.currentText())

    def _set_hop(self, hop: int) -> None:
        if self.focused is not None:
            self.cameras.runs[self.focused].pipeline.worker.request(hop=hop)

    # -- the display timer ----------------------------------------------------------------------

    def _tick(self) -> None:
        if self.cameras is None:
            if not self._opening.done:
                return
            if self._opening.error:
                self.status.setText(f"cannot open the cameras: {self._opening.error}")
                self.timer.stop()
                return
            self._build(self._opening.value)
        runs = self.cameras.runs
        shown = [self.focused] if self.focused is not None else range(len(runs))
        for index in shown:
            view = self.focus_view if self.focused is not None else self.tiles[index].view
            self._show(runs[index], view)
        if self.focused is not None:
            self._plot(self.focused)
        self.status.setText("  |  ".join(f"{run.name}: {run.pipeline.worker.rate.rate():.1f}/s" for run in runs))

    def _show(self, run: CameraRun, view: VideoView) -> None:
        result = run.pipeline.latest()
        shown = (run.pipeline.ring.newest_id, -1 if result is None else result.seq, run.pipeline.producer.state)
        if self._shown.get(view) == shown:  # nothing new: no copy, no repaint
            return
        self._shown[view] = shown
        newest = run.pipeline.latest_frame()
        if newest is None:
            view.set_caption(tile_text(run, None))
            return
        frame_id = int(newest.frame_ids[0])
        view.show_frame(newest.frames[0], None if result is None else result.map_for(frame_id))
        notice = run.pipeline.worker.notice
        view.set_caption(tile_text(run, result) + (f" &middot; {notice}" if notice else ""))

    def _plot(self, index: int) -> None:
        result = self.cameras.runs[index].pipeline.latest()
        if result is None or self._seen.get(index) == result.seq:
            return
        self._seen[index] = result.seq
        self.focus_plot.add(time.monotonic(), np.asarray(result.probs))
        self.focus_plot.redraw()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> bool:
        """Stop the cameras (waiting for an open under way); True when every thread ended."""
        self.timer.stop()
        self._opening.join(60)
        cameras = self.cameras or self._opening.value
        return cameras.stop() if cameras is not None else True
