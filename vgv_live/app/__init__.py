"""The vgv-live window (PyQt6 + pyqtgraph): ``run_window(config)`` opens it and runs until closed.

Imported lazily by ``vgv_live.cli`` so headless runs never load Qt.
"""

from __future__ import annotations

import os
import signal
import sys
from dataclasses import replace
from pathlib import Path

from vgv_live.config import LiveConfig

ORGANIZATION = "VideoGradVis"
APPLICATION = "vgv-live"
# The GUI thread and the explain worker share the interpreter lock; a shorter switch
# interval makes the GUI's Python hand it over sooner when the worker's hooks ask for it
# (measured on 2 cores, guided_gradcam: 14.7 instead of 12.8 explanations/s, median of 3).
SWITCH_INTERVAL_S = 0.001


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or os.environ.get("QT_QPA_PLATFORM"))


def run_window(config: LiveConfig) -> int:
    """Open the window on ``config`` (no source: the demo video); the exit status when it closes."""
    if not has_display():
        print("vgv-live: error: no display to open the window on (DISPLAY is not set); run with --headless",
              file=sys.stderr)
        return 1
    from vgv_live.window_model.virtual_display import unreachable_display

    problem = unreachable_display()
    if problem:
        print(f"vgv-live: error: {problem}; start the display or run with --headless", file=sys.stderr)
        return 1
    from PyQt6.QtCore import QSettings, QStandardPaths
    from PyQt6.QtWidgets import QApplication

    from vgv_live.window_model.session import Outputs
    from vgv_live.app.window import MainWindow
    from vgv_live.sources import default_source

    prepare_process(config)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    data = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation))
    cache = Path(QStandardPaths.writableLocation(QStandardPaths.StandardLocation.CacheLocation))
    outputs = Outputs(recordings=data / "recordings", events=data / "events", snapshots=data / "snapshots",
                      timelines=cache / "timelines", regions=data / "regions")
    settings = QSettings(ORGANIZATION, APPLICATION)
    if config.cameras:
        from vgv_live.app.camera_grid import CameraGridWindow

        window = CameraGridWindow(config, settings)
        window.resize(1280, 800)
    else:
        window = MainWindow(replace(config, source=default_source(config.source, config.model)), outputs, settings)
    for signum in (signal.SIGINT, signal.SIGTERM):  # handled between display ticks: close as if clicked
        signal.signal(signum, lambda *_: window.close())
    window.show()
    app.exec()
    return 0


def prepare_process(config: LiveConfig) -> None:
    """Process-wide settings for a window: torch's threads, the lock's switch interval, plotting."""
    import pyqtgraph as pg
    import torch

    from vgv_live.headless import default_threads

    pg.setConfigOptions(antialias=False)
    torch.set_num_threads(config.threads or default_threads())
    sys.setswitchinterval(SWITCH_INTERVAL_S)
