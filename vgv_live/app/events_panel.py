"""EventsPanel: threshold events with thumbnails, and the camera going offline and coming back,
newest first; choosing a threshold event asks to show it."""

from __future__ import annotations

import time

import cv2
from PyQt6.QtCore import QSize, Qt, pyqtSignal
from PyQt6.QtGui import QColor, QIcon, QImage, QPixmap
from PyQt6.QtWidgets import QListWidget, QListWidgetItem

from vgv_live.window_model.event_feed import EventNotice
from vgv_live.edge.health import OFFLINE
from vgv_live.sinks.events import LOOKED_ELSEWHERE

MAX_ITEMS = 500
HEALTH_COLOURS = {True: QColor(230, 60, 60), False: QColor(60, 170, 60)}  # offline, back online


def thumbnail_icon(image_bgr) -> QIcon:
    rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
    height, width = rgb.shape[:2]
    image = QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()  # owns its pixels
    return QIcon(QPixmap.fromImage(image))


class EventsPanel(QListWidget):
    eventChosen = pyqtSignal(object, object)  # EventNotice, file index (None for live sources)

    def __init__(self) -> None:
        super().__init__()
        self.setIconSize(QSize(128, 72))
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.itemClicked.connect(self._chosen)
        self.itemActivated.connect(self._chosen)

    def add(self, notice: EventNotice, file_index: int | None) -> None:
        where = f"frame {file_index}" if file_index is not None else time.strftime("%H:%M:%S")
        what = f"{notice.label}  p={notice.prob:.2f}"
        if notice.kind == LOOKED_ELSEWHERE:
            what = f"looked elsewhere: {what}"
        item = QListWidgetItem(thumbnail_icon(notice.thumbnail), f"{what}\n{where}")
        item.setData(Qt.ItemDataRole.UserRole, (notice, file_index))
        self._insert(item)

    def add_health(self, event: dict) -> None:
        """A camera health event (vgv_live.edge.health): offline, or back online."""
        offline = event["kind"] == OFFLINE
        what = (f"camera offline: {event['reason'] or event['state']}" if offline
                else f"camera back online after {event['offline_s']:.1f} s")
        item = QListWidgetItem(f"{what}\n{time.strftime('%H:%M:%S', time.localtime(event['wall_time']))}")
        item.setForeground(HEALTH_COLOURS[offline])
        self._insert(item)

    def _insert(self, item: QListWidgetItem) -> None:
        self.insertItem(0, item)
        while self.count() > MAX_ITEMS:
            self.takeItem(self.count() - 1)

    def _chosen(self, item: QListWidgetItem) -> None:
        chosen = item.data(Qt.ItemDataRole.UserRole)
        if chosen is not None:  # health items have nothing to show
            self.eventChosen.emit(*chosen)
