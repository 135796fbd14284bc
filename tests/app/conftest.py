"""Fixtures for the window tests (helpers live in app_support.py)."""

from __future__ import annotations

import pytest
from PyQt6.QtCore import QSettings

from app_support import Demo, shipped_demo, stand_in_demo, wait_for_no_threads
from vgv_live.window_model.session import Outputs
from vgv_live.window_model.opener import ModelCache
from vgv_live.app.window import MainWindow
from vgv_live.config import LiveConfig


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Demo:
    """The shipped demo model and video; an untrained stand-in until assets/demo exists."""
    return shipped_demo() or stand_in_demo(tmp_path_factory.mktemp("stand_in_demo"))


@pytest.fixture(scope="session")
def models() -> ModelCache:
    """One model load for the whole run (pytorchvideo's import alone takes seconds)."""
    return ModelCache()


@pytest.fixture
def outputs(tmp_path) -> Outputs:
    return Outputs(tmp_path / "recordings", tmp_path / "events", tmp_path / "snapshots", tmp_path / "timelines",
                   tmp_path / "regions")


@pytest.fixture
def settings(tmp_path) -> QSettings:
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def open_window(qtbot, demo, models, outputs, settings):
    """Factory: open_window(source=demo video, start=True, **LiveConfig fields) -> a shown MainWindow."""
    opened: list[MainWindow] = []

    def open_(source: str | None = None, start: bool = True, **fields) -> MainWindow:
        fields.setdefault("model", demo.model)
        config = LiveConfig(source=str(source or demo.video) if start else None, **fields)
        window = MainWindow(config, outputs, settings, models)
        qtbot.addWidget(window)
        window.show()
        opened.append(window)
        return window

    yield open_
    for window in opened:
        window.shutdown()
    assert not wait_for_no_threads(2.0), "a thread outlived its window"
