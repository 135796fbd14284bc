"""Placing the main window's parts: the right-hand docks and the menu bar."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QDockWidget, QMainWindow, QWidget

DOCK_WIDTH = 340


def add_dock(window: QMainWindow, title: str, widget: QWidget) -> QDockWidget:
    dock = QDockWidget(title, window)
    dock.setObjectName(title.lower().replace(" ", "_"))  # saveState() keys docks by name
    dock.setWidget(widget)
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
    return dock


def arrange_docks(window: QMainWindow, controls: QWidget, clip: QWidget, events: QWidget, regions: QWidget
                  ) -> list[QDockWidget]:
    """Controls on top; the current clip, the events and the regions tabbed below them, the clip in front."""
    docks = [add_dock(window, title, widget) for title, widget in
             (("Controls", controls), ("Current clip", clip), ("Events", events), ("Regions", regions))]
    controls_dock, clip_dock, events_dock, regions_dock = docks
    window.splitDockWidget(controls_dock, clip_dock, Qt.Orientation.Vertical)
    window.tabifyDockWidget(clip_dock, events_dock)
    window.tabifyDockWidget(events_dock, regions_dock)
    clip_dock.raise_()
    window.resizeDocks([controls_dock], [DOCK_WIDTH], Qt.Orientation.Horizontal)
    window.resizeDocks([controls_dock, clip_dock], [3, 2], Qt.Orientation.Vertical)
    return docks


def build_menus(window: QMainWindow, menus: dict[str, list[QAction | None]]) -> None:
    """One menu per title, its actions in order; None stands for a separator."""
    for title, actions in menus.items():
        menu = window.menuBar().addMenu(title)
        for action in actions:
            menu.addSeparator() if action is None else menu.addAction(action)
