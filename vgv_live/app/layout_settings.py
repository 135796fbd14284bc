"""Window layout and view choices kept between runs with QSettings."""

from __future__ import annotations

from PyQt6.QtCore import QByteArray, QSettings
from PyQt6.QtWidgets import QComboBox, QMainWindow, QSlider, QSplitter

GEOMETRY = "window/geometry"
STATE = "window/state"
SPLITTER = "window/splitter"


def save_layout(settings: QSettings, window: QMainWindow, splitter: QSplitter, choices: dict[str, QComboBox | QSlider]) -> None:
    settings.setValue(GEOMETRY, window.saveGeometry())
    settings.setValue(STATE, window.saveState())
    settings.setValue(SPLITTER, splitter.saveState())
    for key, widget in choices.items():
        settings.setValue(f"view/{key}", widget.currentText() if isinstance(widget, QComboBox) else widget.value())
    settings.sync()


def restore_layout(settings: QSettings, window: QMainWindow, splitter: QSplitter,
                   choices: dict[str, QComboBox | QSlider]) -> bool:
    """Apply what was saved; False when nothing was (first run)."""
    geometry = settings.value(GEOMETRY)
    if isinstance(geometry, QByteArray):
        window.restoreGeometry(geometry)
        window.restoreState(settings.value(STATE, QByteArray()))
        splitter.restoreState(settings.value(SPLITTER, QByteArray()))
    for key, widget in choices.items():
        value = settings.value(f"view/{key}")
        if value is None:
            continue
        if isinstance(widget, QComboBox):
            widget.setCurrentText(str(value))
        else:
            widget.setValue(int(value))
    return isinstance(geometry, QByteArray)
