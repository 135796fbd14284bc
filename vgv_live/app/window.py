"""MainWindow: the live/replay window. It shows, it asks; it never runs model code.

A QTimer in the GUI thread pulls the newest result and a fresh copy of the frame to
show at display rate (rule 9), with the attention guard's regions over the video, a
warning while the result looked elsewhere, and its attention plot; everything slow (loading a model, warming it up, stopping
a session) runs in a BackgroundTask (opening one: `PendingOpen`) and is polled by the same
timer. Errors go to a banner inside the window, which stays usable. Closing the window stops every thread of
the session (bounded) and finishes a running recording.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Callable

from PyQt6.QtCore import QSettings, Qt, QTimer, QUrl
from PyQt6.QtGui import QAction, QDesktopServices, QKeySequence
from PyQt6.QtWidgets import QLabel, QMainWindow, QScrollArea, QSplitter, QVBoxLayout, QWidget

from vgv_core.errors import VGVError
from vgv_core.explain import methods_for
from vgv_core.regions import Regions, load_regions, save_regions
from vgv_live.app.attention_plot import AttentionPlot
from vgv_live.window_model.caption import caption
from vgv_live.app.clip_plots import ImportancePlot, TopKPlot
from vgv_live.app.confidence_plot import ConfidencePlot
from vgv_live.app.control_panel import SYNCHRONISED, TOP_1, ControlPanel
from vgv_live.window_model.display_meter import DisplayMeter
from vgv_live.app.error_banner import ErrorBanner
from vgv_live.window_model.event_feed import EventNotice
from vgv_live.app.events_panel import EventsPanel
from vgv_live.app.layout_settings import restore_layout, save_layout
from vgv_live.app.open_dialogs import (
    ask_camera, ask_checkpoint, ask_model_spec, ask_regions_destination, ask_regions_file, ask_stream_url,
    ask_video_file,
)
from vgv_live.app.region_editor import RegionEditor
from vgv_live.app.regions_panel import RegionsPanel
from vgv_live.app.replay_bar import ReplayBar
from vgv_live.app.replay_controls import ReplayControls, set_checked_quietly
from vgv_live.window_model.session import Outputs, Session
from vgv_live.window_model.opener import ModelCache, PendingOpen
from vgv_live.window_model.status_line import status_text
from vgv_live.app.video_view import VideoView
from vgv_live.app.window_layout import arrange_docks, build_menus
from vgv_live.config import LiveConfig
from vgv_live.result import Result

DISPLAY_INTERVAL_MS = 16  # ~60 Hz: the display pulls at this rate, whatever the worker does
# Every paint holds the interpreter lock that the worker's Python needs, so the window
# paints only what a viewer can follow: the video when a new frame arrives (a new map
# rides along with the next frame) and the plots at PLOT_INTERVAL_S.
PLOT_INTERVAL_S = 0.1
STILL_FRAME_S = 0.1  # a new map on a frame that stays (paused, stalled source) is drawn after this
STATUS_INTERVAL_S = 0.25
DEFAULT_SIZE = (1280, 800)
CLOSE_TIMEOUT_S = 2.0


def stamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S") + f"-{int(time.time() * 1000) % 1000:03d}"


class MainWindow(QMainWindow):
    def __init__(self, config: LiveConfig, outputs: Outputs, settings: QSettings, models: ModelCache | None = None) -> None:
        super().__init__()
        self.setWindowTitle("VideoGradVis Live")
        self.config = config
        self.outputs = outputs
        self.settings = settings
        self.models = models or ModelCache()
        self._opening = PendingOpen(outputs, self.models)
        self.session: Session | None = None
        self.meter = DisplayMeter()
        self.shown: tuple[int, int] = (-1, -1)  # (frame id, result seq) on screen
        self._plotted_seq = -1
        self._next_plot = 0.0
        self._unplotted: Result | None = None
        self._drawn_at = 0.0
        self._thresholds = dict(config.thresholds)  # label -> probability, kept across models
        self._redraw = False
        self._reported: str | None = None
        self._saved_reported = None
        self._t0 = time.monotonic()
        self._next_status = 0.0
        self._build_actions()
        self._build_widgets()
        self._build_menus()
        self._wire()
        self._apply_config(config)
        if not restore_layout(settings, self, self.splitter, self._choices()):
            self.resize(*DEFAULT_SIZE)
        self.timer = QTimer(self, interval=DISPLAY_INTERVAL_MS, timerType=Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self._tick)
        self.timer.start()
        if config.source:
            self.open_source(config.source)

    # -- building -------------------------------------------------------------------------------

    def _action(self, text: str, shortcut: str | None, slot: Callable, checkable: bool = False) -> QAction:
        action = QAction(text, self, checkable=checkable)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
        (action.toggled if checkable else action.triggered).connect(slot)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        self.open_file_action = self._action("Open &file...", "Ctrl+O", lambda: self._ask_source(ask_video_file))
        self.open_url_action = self._action("Open &URL...", "Ctrl+U", lambda: self._ask_source(ask_stream_url))
        self.open_camera_action = self._action("Open &camera...", "Ctrl+K", lambda: self._ask_source(ask_camera))
        self.open_model_action = self._action("Open &model spec...", "Ctrl+M", self._ask_model)
        self.open_checkpoint_action = self._action("Open check&point...", None, self._ask_checkpoint)
        self.quit_action = self._action("&Quit", "Ctrl+Q", self.close)
        self.pause_action = self._action("Pause", "Space", lambda on: self.replay.set_paused(on), checkable=True)
        self.back_action = self._action("< Frame", "Left", lambda: self.replay.step(-1))
        self.forward_action = self._action("Frame >", "Right", lambda: self.replay.step(1))
        self.faster_action = self._action("Faster", "Up", lambda: self.replay.change_speed(1))
        self.slower_action = self._action("Slower", "Down", lambda: self.replay.change_speed(-1))
        self.record_action = self._action("Record", "R", self._set_recording, checkable=True)
        self.snapshot_action = self._action("Snapshot", "S", self.snapshot)
        self.delete_region_action = self._action("Delete region", "Delete", lambda: self.regions_panel.delete_selected())
        self.draw_region_action = self._action("Draw region", "D", lambda: self.region_editor.start_drawing())

    def _build_widgets(self) -> None:
        self.view = VideoView(self.config.style)
        self.replay_bar = ReplayBar()
        self.replay_bar.hide()
        file_actions = (self.back_action, self.forward_action, self.faster_action, self.slower_action)
        self.replay = ReplayControls(self.replay_bar, self.pause_action, file_actions)
        self.conf_plot = ConfidencePlot()
        self.attention_plot = AttentionPlot()
        self.region_editor = RegionEditor(self.view.overlay_box)
        self.regions_panel = RegionsPanel()
        self.banner = ErrorBanner()
        video = QWidget()
        video_layout = QVBoxLayout(video)
        video_layout.setContentsMargins(0, 0, 0, 0)
        video_layout.addWidget(self.view, stretch=1)
        video_layout.addWidget(self.replay_bar)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        plots = QSplitter(Qt.Orientation.Horizontal)
        plots.addWidget(self.conf_plot)
        plots.addWidget(self.attention_plot)
        plots.setSizes([600, 300])
        self.splitter.addWidget(video)
        self.splitter.addWidget(plots)
        self.splitter.setSizes([560, 200])
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.banner)
        layout.addWidget(self.splitter, stretch=1)
        self.setCentralWidget(central)
        buttons = [self.pause_action, self.back_action, self.forward_action, self.record_action, self.snapshot_action]
        self.panel = ControlPanel(buttons)
        self.topk = TopKPlot()
        self.importance = ImportancePlot()
        self.events = EventsPanel()
        clip = QWidget()
        clip_layout = QVBoxLayout(clip)
        clip_layout.setContentsMargins(0, 0, 0, 0)
        clip_layout.addWidget(self.topk)
        clip_layout.addWidget(self.importance)
        scroll = QScrollArea(widgetResizable=True)
        scroll.setWidget(self.panel)
        self.docks = arrange_docks(self, scroll, clip, self.events, self.regions_panel)
        self.status = QLabel()
        self.statusBar().addPermanentWidget(self.status, stretch=1)

    def _build_menus(self) -> None:
        build_menus(self, {
            "&File": [self.open_file_action, self.open_url_action, self.open_camera_action, None,
                      self.open_model_action, self.open_checkpoint_action, None, self.quit_action],
            "&Playback": [self.pause_action, self.back_action, self.forward_action, self.faster_action,
                          self.slower_action],
            "&Output": [self.record_action, self.snapshot_action],
            "&Regions": [self.draw_region_action, self.delete_region_action],
            "&View": [dock.toggleViewAction() for dock in self.docks],
        })

    def _wire(self) -> None:
        panel = self.panel
        panel.method.currentTextChanged.connect(lambda m: self._retune(lambda s: s.set_method(m)))
        panel.target.currentIndexChanged.connect(lambda _: self._retune(lambda s: s.set_target(panel.target_index())))
        panel.layer.currentTextChanged.connect(lambda name: self._retune(lambda s: s.set_layer(name)))
        panel.hop.valueChanged.connect(lambda hop: self._tell(lambda s: s.set_hop(hop)))
        panel.layout_mode.currentTextChanged.connect(self._set_layout)
        panel.sync_mode.currentTextChanged.connect(self._request_redraw)
        for choice in (panel.opacity.valueChanged, panel.colormap.currentTextChanged, panel.blend.currentTextChanged):
            choice.connect(self._restyle)
        panel.thresholds.thresholdsChanged.connect(self._set_thresholds)
        self.events.eventChosen.connect(self._show_event)
        for editor in (self.region_editor, self.regions_panel):
            editor.edited.connect(self._set_regions)
            editor.refused.connect(lambda text: self.statusBar().showMessage(text, 6000))
        self.region_editor.selected.connect(self.regions_panel.select)
        self.regions_panel.selected.connect(self.region_editor.select)
        self.regions_panel.draw_requested.connect(self.region_editor.start_drawing)
        self.regions_panel.load_requested.connect(self._load_regions)
        self.regions_panel.save_requested.connect(self._save_regions)

    def _apply_config(self, config: LiveConfig) -> None:
        self.panel.method.setCurrentText(config.method)
        self.panel.hop.setValue(config.hop)
        self.panel.opacity.setValue(round(config.alpha * 100))
        self.panel.colormap.setCurrentText(config.colormap)
        self.panel.blend.setCurrentText(config.blend)

    def _choices(self) -> dict:
        panel = self.panel
        return {"layout": panel.layout_mode, "show": panel.sync_mode, "opacity": panel.opacity,
                "colormap": panel.colormap, "blend": panel.blend}

    @property
    def problem(self) -> str | None:
        """The error on the banner, if any."""
        return self._reported

    # -- opening ------------------------------------------------------------------------------

    def open_source(self, source: str) -> None:
        """Explain ``source`` (camera index, URL or file) with the current model and choices."""
        self._open(replace(self._current_config(), source=source))

    def open_model(self, model: str, checkpoint: str | None = None) -> None:
        """Explain the current source with another model (spec file or arch) and checkpoint."""
        self._open(replace(self._current_config(), model=model, checkpoint=checkpoint, target=None))

    def _current_config(self) -> LiveConfig:
        panel = self.panel
        return replace(
            self.config, method=panel.method.currentText(), hop=panel.hop.value(),
            target=None if panel.target_index() is None else panel.target.currentText(),
            alpha=panel.opacity.value() / 100, colormap=panel.colormap.currentText(), blend=panel.blend.currentText(),
            record=None, thresholds={},
        )

    def _open(self, config: LiveConfig) -> None:
        if not self._opening.start(config, self.session):
            self.statusBar().showMessage("still opening the previous choice...", 3000)
            return
        self.banner.dismiss()
        self.statusBar().showMessage(f"opening {config.source} with model {config.model}...")

    def _poll_opening(self) -> None:
        task = self._opening.finished()
        if task is None:
            return
        if task.error:
            self._report(f"cannot open: {task.error}")
        elif task.value is not None:
            self._adopt(task.value)

    def _adopt(self, session: Session) -> None:
        self.session = session
        self.config = replace(session.config, record=None)
        self._show_model(session)
        self.replay.attach(session)
        set_checked_quietly(self.record_action, session.record.recording is not None)
        self.events.clear()
        self.attention_plot.clear_history()
        self._show_regions(session.regions)
        self._plotted_seq = -1
        self._unplotted = None
        self.shown = (-1, -1)
        self._reported = None
        self._t0 = time.monotonic()
        self.statusBar().showMessage(f"{session.source.text}: {session.model.spec.arch} on {session.model.device}", 5000)

    def _show_model(self, session: Session) -> None:
        """The choices and plots that depend on the model: target, layer, classes, thresholds."""
        labels = session.labels
        self.panel.set_model(labels, session.layers, session.explainer.layer, methods_for(session.model.net))
        self.panel.target.blockSignals(True)
        self.panel.target.setCurrentText(session.config.target or TOP_1)
        self.panel.target.blockSignals(False)
        thresholds = {labels.index(label): p for label, p in self._thresholds.items() if label in labels}
        self.panel.thresholds.set_labels(labels, thresholds)
        session.set_thresholds(thresholds)
        self.conf_plot.set_labels(labels)
        self.conf_plot.set_thresholds(thresholds)
        self.regions_panel.set_model(labels)

    # -- the display timer ----------------------------------------------------------------------

    def _tick(self) -> None:
        started = time.perf_counter()
        self._poll_opening()
        session = self.session
        drew = session is not None and self._show_session(session)
        if time.monotonic() >= self._next_status:
            self._next_status = time.monotonic() + STATUS_INTERVAL_S
            self._show_status(session)
        if drew:
            self.meter.update_took(time.perf_counter() - started)

    def _show_session(self, session: Session) -> bool:
        """Bring the window up to date with ``session``; True when a new frame was drawn."""
        result = session.latest()
        drew = False
        if not self.replay.frozen:
            drew = self._show_video(session, result)
            if result is not None and result.seq != self._plotted_seq:
                self._show_result(result)
        if self._unplotted is not None and time.monotonic() >= self._next_plot:
            self._redraw_plots()
        for notice in session.events.drain():
            self.events.add(notice, session.file_index(notice.frame_id))
        for event in session.health_events():
            self.events.add_health(event)
        timeline_error = self.replay.follow(session, self.shown[0]) if session.player is not None else None
        problem = session.error or session.notice or timeline_error
        if problem and problem != self._reported:
            self._report(problem)
        return drew

    def _show_video(self, session: Session, result: Result | None) -> bool:
        synchronised = self.panel.sync_mode.currentText() == SYNCHRONISED and result is not None
        seq = result.seq if result is not None else -1
        frame_id = int(result.frame_ids[-1]) if synchronised else session.newest_frame_id
        if frame_id < 0 or not self._worth_drawing(frame_id, seq, synchronised):
            return False
        window = session.frame(frame_id)
        if window is None and synchronised:  # the explained frame already left the ring: show the newest
            synchronised, frame_id = False, session.newest_frame_id
            window = session.frame(frame_id)
        if window is None:
            return False
        heatmap = None if result is None else (result.maps[-1] if synchronised else result.map_for(frame_id))
        self.view.show_frame(window.frames[0], heatmap)
        self._show_guard(result, window.frames[0].shape)
        explained = None if result is None else self._frame_number(session, int(result.frame_ids[-1]))
        self.view.set_caption(caption(self._frame_number(session, frame_id), result, explained, synchronised))
        if frame_id != self.shown[0]:
            self.meter.frame_shown()
        self.shown = (frame_id, seq)
        self._redraw = False
        self._drawn_at = time.monotonic()
        return True

    def _show_guard(self, result: Result | None, frame_shape: tuple[int, ...]) -> None:
        """The regions coloured by the result's verdict, and the warning while it looked elsewhere."""
        self.region_editor.frame_size = (frame_shape[1], frame_shape[0])
        label = None if result is None else result.labels[result.target]
        flagged = result is not None and result.looked_elsewhere
        self.region_editor.show_verdict(label, flagged)
        warning = None
        if flagged:
            regions = ", ".join(self.region_editor.regions.expected(label))
            warning = f"LOOKED ELSEWHERE: {label}, {result.attention_in_region:.0%} of its map in {regions}"
        self.view.set_warning(warning)

    def _worth_drawing(self, frame_id: int, seq: int, synchronised: bool) -> bool:
        if self._redraw or frame_id != self.shown[0]:
            return True
        new_map = seq != self.shown[1]
        return new_map and (synchronised or time.monotonic() - self._drawn_at >= STILL_FRAME_S)

    @staticmethod
    def _frame_number(session: Session, frame_id: int) -> int:
        """What the user calls the frame: its index in the file, or the capture's frame id."""
        index = session.file_index(frame_id)
        return frame_id if index is None else index

    def _show_result(self, result: Result) -> None:
        """Each result shown joins the confidence history; the plots are redrawn at PLOT_INTERVAL_S."""
        self._plotted_seq = result.seq
        t = float(result.timestamps[-1]) - self._t0
        self.conf_plot.add(t, result.probs)
        share = result.attention_in_region
        limit = None if share is None else self.region_editor.regions.limit_for(result.labels[result.target])
        self.attention_plot.add(t, share, result.looked_elsewhere, limit)
        self._unplotted = result

    def _redraw_plots(self) -> None:
        result, self._unplotted = self._unplotted, None
        self._next_plot = time.monotonic() + PLOT_INTERVAL_S
        self.conf_plot.redraw()
        self.attention_plot.redraw()
        self.topk.update_result(result)
        self.importance.update_result(result)

    def _show_status(self, session: Session | None) -> None:
        if session is None:
            self.status.setText("opening..." if self._opening.busy else "no source: File > Open")
            return
        paused = self.pause_action.isChecked()
        text = status_text(session.stats(), str(session.model.device), self.meter.fps, paused)
        text += f" | tick {self.meter.update_ms():.1f} ms"
        recording = session.record.recording
        if recording is not None:
            text += f" | REC {recording.name}"
        self.status.setText(text)
        if session.record.saved and session.record.saved != self._saved_reported:
            self._saved_reported = session.record.saved
            path, frames = session.record.saved
            self.statusBar().showMessage(f"recording saved: {path} ({frames} frames)", 8000)

    def _report(self, text: str) -> None:
        self._reported = text
        self.banner.show_error(text)

    # -- requests -----------------------------------------------------------------------------

    def _tell(self, request: Callable[[Session], None]) -> None:
        if self.session is not None:
            request(self.session)

    def _retune(self, request: Callable[[Session], None]) -> None:
        """Change how the session explains; a paused replay explains its frame again."""
        self._tell(request)
        self.replay.explain_again()

    def _request_redraw(self, *_: object) -> None:
        self._redraw = True

    def _restyle(self, *_: object) -> None:
        self.view.set_style(self.panel.style())
        self._redraw = True

    def _set_layout(self, name: str) -> None:
        self.view.set_layout(name)
        self._redraw = True

    def _set_thresholds(self, thresholds: dict[int, float]) -> None:
        if self.session is None:
            return
        labels = self.session.labels
        self._thresholds = {labels[index]: p for index, p in thresholds.items()}
        self.session.set_thresholds(thresholds)
        self.conf_plot.set_thresholds(thresholds)

    def _set_regions(self, regions: Regions) -> None:
        """Guard the session with ``regions`` (kept for its source) and show them."""
        if self.session is None:
            self._show_regions(Regions())
            return
        try:
            self.session.set_regions(regions)
        except VGVError as exc:  # they could not be kept for the source; they are in use all the same
            self._report(str(exc))
        self._show_regions(regions)

    def _show_regions(self, regions: Regions) -> None:
        self.region_editor.set_regions(regions)
        self.regions_panel.set_regions(regions)

    def _load_regions(self) -> None:
        path = ask_regions_file(self)
        if path and self.session is not None:
            try:
                self._set_regions(load_regions(path, self.session.labels))
            except VGVError as exc:
                self._report(str(exc))

    def _save_regions(self) -> None:
        path = ask_regions_destination(self)
        if path:
            try:
                saved = save_regions(path, replace(self.region_editor.regions, frame_size=self.region_editor.frame_size))
            except VGVError as exc:
                self._report(str(exc))
                return
            self.statusBar().showMessage(f"regions saved: {saved}", 5000)

    def seek(self, index: int) -> None:
        """Show frame ``index`` of the video file (replay only)."""
        self.replay.seek(index)

    def _set_recording(self, on: bool) -> None:
        if self.session is None:
            self.record_action.setChecked(False)
            return
        path = None
        if on:
            self.outputs.recordings.mkdir(parents=True, exist_ok=True)
            path = self.outputs.recordings / f"vgv-live-{stamp()}.mp4"
        self.session.record.switch(path)

    def snapshot(self) -> Path:
        """Save the video view as shown (overlay, layout, caption) as a PNG."""
        folder = Path(self.config.snapshots) if self.config.snapshots else self.outputs.snapshots
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"snapshot-{stamp()}.png"
        self.view.grab().save(str(path))
        self.statusBar().showMessage(f"snapshot saved: {path}", 5000)
        return path

    def _show_event(self, notice: EventNotice, file_index: int | None) -> None:
        if file_index is not None and self.session is not None and self.session.player is not None:
            self.pause_action.setChecked(True)
            self.seek(file_index)
            return
        clip = notice.clip_path()
        if clip is None:
            self.statusBar().showMessage("the event's clip is still being written (post-roll)", 4000)
        else:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(clip)))

    # -- dialogs --------------------------------------------------------------------------------

    def _ask_source(self, ask: Callable[[QWidget], str | None]) -> None:
        answer = ask(self)
        if answer:
            self.open_source(answer)

    def _ask_model(self) -> None:
        spec = ask_model_spec(self)
        if spec:
            self.open_model(spec)

    def _ask_checkpoint(self) -> None:
        checkpoint = ask_checkpoint(self)
        if checkpoint:
            self.open_model(self.config.model, checkpoint)

    # -- closing --------------------------------------------------------------------------------

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.timer.stop()
        save_layout(self.settings, self, self.splitter, self._choices())
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self, timeout: float = CLOSE_TIMEOUT_S) -> bool:
        """Stop every thread (within ``timeout``); True when all ended."""
        deadline = time.monotonic() + timeout
        stopped = self._opening.cancel(max(0.0, deadline - time.monotonic()))
        session, self.session = self.session, None
        if session is not None:
            stopped &= session.stop(max(0.1, deadline - time.monotonic()))
        return stopped
