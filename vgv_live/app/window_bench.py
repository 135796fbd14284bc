"""`vgv bench --window`: the real window on a source, against the headless engine, in one process.

Three runs of ``seconds`` each on the same source, model and method, one after the
other so that they share the machine in the same state:

1. headless: the LivePipeline alone, as `vgv-live --headless` runs it;
2. the window with its whole-file confidence timeline being computed (a fresh timeline
   cache, as a new user's first minute on a file);
3. the window without the timeline.

Each run is measured from its first result on. Rates are counts over the run's time
(explanations, new frames on screen, frames from the source); latencies and the GUI
tick are the worker's and the display's own percentiles. The window runs need a display;
without one a virtual one (Xvfb) is started.
"""

from __future__ import annotations

import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Callable

from vgv_core import VideoModel
from vgv_core.errors import VGVError
from vgv_live.app import prepare_process
from vgv_live.window_model.session import Outputs
from vgv_live.window_model.opener import ModelCache
from vgv_live.window_model.virtual_display import some_display
from vgv_live.config import LiveConfig
from vgv_live.headless import build_pipeline
from vgv_live.sources import parse_source
from vgv_live.torch_threads import in_passing_thread

POLL_MS = 50
FIRST_RESULT_TIMEOUT_S = 300.0  # model load and warm-up on busy shared cores


@dataclass(frozen=True)
class WindowFigures:
    model: str
    method: str
    source: str
    frame_size: str  # "W x H" of the source's frames
    device: str
    seconds: float
    explain_per_s: float  # the window with the timeline being computed (run 2)
    display_fps: float  # new frames put on screen per second (run 2)
    source_fps: float  # frames the source delivered per second (run 2)
    latency_p50_ms: float
    latency_p95_ms: float
    gui_tick_ms_p95: float  # GUI-thread time of a display tick that drew a frame
    headless_explain_per_s: float
    explain_per_s_with_timeline: float  # run 2, while the timeline was being computed
    explain_per_s_without_timeline: float  # run 3
    timeline_seconds: float | None  # how long the timeline took (None: not finished within the run)

    def line(self) -> str:
        return (
            f"window {self.model} {self.method} on {self.source} ({self.frame_size}, {self.device}): explain "
            f"{self.explain_per_s:.1f}/s (headless {self.headless_explain_per_s:.1f}/s, "
            f"x{self.explain_per_s / max(self.headless_explain_per_s, 1e-9):.2f}), display {self.display_fps:.1f} fps "
            f"of {self.source_fps:.1f}, latency p50 {self.latency_p50_ms:.0f} ms p95 {self.latency_p95_ms:.0f} ms, "
            f"GUI tick p95 {self.gui_tick_ms_p95:.1f} ms; with timeline {self.explain_per_s_with_timeline:.1f}/s, "
            f"without {self.explain_per_s_without_timeline:.1f}/s"
        )

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class WindowRun:
    explain_per_s: float
    display_fps: float
    source_fps: float
    latency_p50_ms: float
    latency_p95_ms: float
    gui_tick_ms_p95: float
    frame_size: str
    explain_per_s_with_timeline: float
    timeline_seconds: float | None


def measure_window(config: LiveConfig, seconds: float = 20.0, progress: Callable[[str], None] = lambda _: None
                   ) -> WindowFigures:
    """The three runs on ``config`` (its source, model, method)."""
    models = ModelCache()
    model = in_passing_thread(models.get, config)
    prepare_process(config)  # as the window's own process: both runs below share it
    progress("headless run")
    headless = headless_rate(config, model, seconds)
    with some_display(), tempfile.TemporaryDirectory(prefix="vgv-bench-window-") as folder:
        progress("window run with the timeline")
        with_timeline = window_run(replace(config, timeline=True), Path(folder) / "with", models, seconds)
        progress("window run without the timeline")
        without = window_run(replace(config, timeline=False), Path(folder) / "without", models, seconds)
    return WindowFigures(
        model=config.model, method=config.method, source=config.source or "", frame_size=with_timeline.frame_size,
        device=str(model.device), seconds=seconds,
        explain_per_s=with_timeline.explain_per_s, display_fps=with_timeline.display_fps,
        source_fps=with_timeline.source_fps, latency_p50_ms=with_timeline.latency_p50_ms,
        latency_p95_ms=with_timeline.latency_p95_ms, gui_tick_ms_p95=with_timeline.gui_tick_ms_p95,
        headless_explain_per_s=headless,
        explain_per_s_with_timeline=with_timeline.explain_per_s_with_timeline,
        explain_per_s_without_timeline=without.explain_per_s,
        timeline_seconds=with_timeline.timeline_seconds,
    )


def headless_rate(config: LiveConfig, model: VideoModel, seconds: float) -> float:
    """Explanations per second of the headless pipeline, from its first result on."""
    pipeline = build_pipeline(config, parse_source(config.source or ""), model, None, [])
    pipeline.start()
    try:
        first = _wait(lambda: pipeline.worker.results > 0 or pipeline.error is not None, FIRST_RESULT_TIMEOUT_S)
        if pipeline.error or not first:
            raise VGVError(f"the headless run produced no result: {pipeline.error or 'timed out'}")
        started, results = time.monotonic(), pipeline.worker.results
        time.sleep(seconds)
        return (pipeline.worker.results - results) / (time.monotonic() - started)
    finally:
        pipeline.stop()


def window_run(config: LiveConfig, folder: Path, models: ModelCache, seconds: float) -> WindowRun:
    """Open the window on ``config``, measure ``seconds`` from its first result, close it."""
    from PyQt6.QtCore import QSettings, QTimer
    from PyQt6.QtWidgets import QApplication

    from vgv_live.app.window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    outputs = Outputs(folder / "recordings", folder / "events", folder / "snapshots", folder / "timelines")
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(config, outputs, settings, models)
    sampler = _Sampler(window, seconds)
    timer = QTimer(interval=POLL_MS)
    timer.timeout.connect(lambda: sampler.poll() and app.quit())
    window.show()
    timer.start()
    app.exec()
    timer.stop()
    window.close()
    if sampler.error:
        raise VGVError(f"the window run failed: {sampler.error}")
    return sampler.figures()


class _Sampler:
    """Polled from the window's event loop: the counters at the first result, at the
    timeline's end and after ``seconds``."""

    def __init__(self, window, seconds: float) -> None:
        self.window = window
        self.seconds = seconds
        self.opened = time.monotonic()
        self.error: str | None = None
        self._start: tuple[float, int, int, int] | None = None  # time, results, frames shown, frames captured
        self._timeline_end: tuple[float, int] | None = None
        self._end: tuple[float, int, int, int] | None = None
        self._worker = None

    def poll(self) -> bool:
        """True when the run is over (measured, or failed)."""
        session = self.window.session
        now = time.monotonic()
        if session is None or session.latest() is None:
            problem = session.error if session is not None else self.window.problem
            if problem or now - self.opened > FIRST_RESULT_TIMEOUT_S:
                self.error = problem or "no result within the time allowed"
                return True
            return False
        if self._start is None:
            self._start = self._counters(session, now)
        timeline = session.timeline
        if timeline is not None and timeline.done and self._timeline_end is None:
            self._timeline_end = (now, session.pipeline.worker.results)
        if now - self._start[0] >= self.seconds:
            self._end = self._counters(session, now)
            self._worker = session.pipeline.worker
            return True
        return False

    def _counters(self, session, now: float) -> tuple[float, int, int, int]:
        return now, session.pipeline.worker.results, self.window.meter.frames_shown, session.newest_frame_id

    def figures(self) -> WindowRun:
        (t0, results0, shown0, captured0), (t1, results1, shown1, captured1) = self._start, self._end
        elapsed = t1 - t0
        timeline_end = self._timeline_end or (t1, results1)
        worker = self._worker
        frame = self.window.view.frame_bgr
        return WindowRun(
            explain_per_s=(results1 - results0) / elapsed,
            display_fps=(shown1 - shown0) / elapsed,
            source_fps=(captured1 - captured0) / elapsed,
            latency_p50_ms=worker.latency.percentile(50) * 1000,
            latency_p95_ms=worker.latency.percentile(95) * 1000,
            gui_tick_ms_p95=self.window.meter.update_ms(95),
            frame_size=f"{frame.shape[1]}x{frame.shape[0]}" if frame is not None else "?",
            explain_per_s_with_timeline=(timeline_end[1] - results0) / max(timeline_end[0] - t0, 1e-9),
            timeline_seconds=None if self._timeline_end is None else self._timeline_end[0] - t0,
        )


def _wait(condition: Callable[[], bool], timeout: float, poll_s: float = 0.05) -> bool:
    """Wait until ``condition()`` holds; False after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(poll_s)
    return True
