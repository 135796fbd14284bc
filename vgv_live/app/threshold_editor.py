"""ThresholdEditor: per-class event thresholds, one row per class (on/off and the probability)."""

from __future__ import annotations

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtGui import QColor
from PyQt6.QtWidgets import QCheckBox, QDoubleSpinBox, QTableWidget

from vgv_live.window_model.palette import class_color

DEFAULT_THRESHOLD = 0.8


class ThresholdEditor(QTableWidget):
    thresholdsChanged = pyqtSignal(dict)  # class index -> probability, enabled rows only

    def __init__(self) -> None:
        super().__init__(0, 2)
        self.setHorizontalHeaderLabels(["event when", "p >="])
        self.verticalHeader().hide()
        self.horizontalHeader().setStretchLastSection(True)
        self._checks: list[QCheckBox] = []
        self._values: list[QDoubleSpinBox] = []

    def set_labels(self, labels: tuple[str, ...], thresholds: dict[int, float]) -> None:
        self.setRowCount(len(labels))
        self._checks, self._values = [], []
        for row, label in enumerate(labels):
            check = QCheckBox(label)
            check.setChecked(row in thresholds)
            check.setStyleSheet(f"color: {QColor(*class_color(row)).name()}")
            value = QDoubleSpinBox(decimals=2, minimum=0.01, maximum=1.0, singleStep=0.05)
            value.setValue(thresholds.get(row, DEFAULT_THRESHOLD))
            check.toggled.connect(self._emit)
            value.valueChanged.connect(self._emit)
            self.setCellWidget(row, 0, check)
            self.setCellWidget(row, 1, value)
            self._checks.append(check)
            self._values.append(value)
        self.resizeColumnsToContents()

    def thresholds(self) -> dict[int, float]:
        return {row: value.value() for row, (check, value) in enumerate(zip(self._checks, self._values))
                if check.isChecked()}

    def _emit(self) -> None:
        self.thresholdsChanged.emit(self.thresholds())
