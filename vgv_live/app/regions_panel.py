"""RegionsPanel: the attention guard's controls: the regions by name, which class looks where, the limit.

The list names the regions (double-click a name to rename it; Delete removes the
selected one); the table binds classes (rows) to regions (columns): a ticked cell means
that class's evidence must lie in that region. "Draw" lets the next drag on the video
draw a region; "Load..."/"Save..." read and write regions files. Every change becomes a
new Regions (``edited``); a name that is taken or empty is refused (``refused``).
"""

from __future__ import annotations

from dataclasses import replace

from PyQt6.QtCore import Qt, pyqtSignal
from PyQt6.QtWidgets import (
    QDoubleSpinBox, QFormLayout, QHBoxLayout, QListWidget, QListWidgetItem, QPushButton, QTableWidget,
    QTableWidgetItem, QVBoxLayout, QWidget,
)

from vgv_core.regions import Regions
from vgv_core.validation import SettingError

CHECKED, UNCHECKED = Qt.CheckState.Checked, Qt.CheckState.Unchecked


class RegionsPanel(QWidget):
    edited = pyqtSignal(object)  # the Regions after a change the user made
    selected = pyqtSignal(str)  # the region chosen in the list
    refused = pyqtSignal(str)
    draw_requested = pyqtSignal()
    load_requested = pyqtSignal()
    save_requested = pyqtSignal()

    def __init__(self) -> None:
        super().__init__()
        self.regions = Regions()
        self.labels: tuple[str, ...] = ()
        self.names = QListWidget()
        self.names.setMaximumHeight(110)
        self.bindings = QTableWidget()
        self.limit = QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.05, decimals=2)
        self.limit.setToolTip("a confident result looked elsewhere when less than this share of its map "
                              "lies in its class's regions")
        self.draw_button, self.delete_button = QPushButton("Draw"), QPushButton("Delete")
        self.load_button, self.save_button = QPushButton("Load..."), QPushButton("Save...")
        buttons = QHBoxLayout()
        for button in (self.draw_button, self.delete_button, self.load_button, self.save_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            buttons.addWidget(button)
        limit_row = QFormLayout()
        limit_row.addRow("limit", self.limit)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.names)
        layout.addWidget(self.bindings, stretch=1)
        layout.addLayout(limit_row)
        self.draw_button.clicked.connect(self.draw_requested)
        self.delete_button.clicked.connect(self.delete_selected)
        self.load_button.clicked.connect(self.load_requested)
        self.save_button.clicked.connect(self.save_requested)
        self.names.itemChanged.connect(self._renamed)
        self.names.currentTextChanged.connect(lambda name: name and self.selected.emit(name))
        self.bindings.itemChanged.connect(self._bound)
        self.limit.valueChanged.connect(self._limit_changed)

    def set_model(self, labels: tuple[str, ...]) -> None:
        self.labels = labels
        self.set_regions(self.regions)

    def set_regions(self, regions: Regions) -> None:
        """Show ``regions`` (without emitting anything)."""
        self.regions = regions
        selected = self.selected_name()
        for widget in (self.names, self.bindings, self.limit):
            widget.blockSignals(True)
        self.names.clear()
        for name in regions.shapes:
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.names.addItem(item)
            if name == selected:
                self.names.setCurrentItem(item)
        self._fill_bindings()
        self.limit.setValue(regions.limit)
        for widget in (self.names, self.bindings, self.limit):
            widget.blockSignals(False)

    def select(self, name: str) -> None:
        for row in range(self.names.count()):
            if self.names.item(row).data(Qt.ItemDataRole.UserRole) == name:
                self.names.blockSignals(True)
                self.names.setCurrentRow(row)
                self.names.blockSignals(False)

    def selected_name(self) -> str | None:
        item = self.names.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def delete_selected(self) -> None:
        name = self.selected_name()
        if name is not None:
            self.edited.emit(self.regions.without(name))

    def _fill_bindings(self) -> None:
        names = list(self.regions.shapes)
        self.bindings.clear()
        self.bindings.setRowCount(len(self.labels))
        self.bindings.setColumnCount(len(names))
        self.bindings.setVerticalHeaderLabels(self.labels)
        self.bindings.setHorizontalHeaderLabels(names)
        for row, label in enumerate(self.labels):
            expected = self.regions.expected(label)
            for column, name in enumerate(names):
                cell = QTableWidgetItem()
                cell.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled)
                cell.setCheckState(CHECKED if name in expected else UNCHECKED)
                self.bindings.setItem(row, column, cell)
        self.bindings.resizeColumnsToContents()

    def _renamed(self, item: QListWidgetItem) -> None:
        old, new = item.data(Qt.ItemDataRole.UserRole), item.text().strip()
        try:
            regions = self.regions.renamed(old, new)
        except SettingError as exc:
            self.refused.emit(str(exc))
            self.set_regions(self.regions)
            return
        self.edited.emit(regions)

    def _bound(self, cell: QTableWidgetItem) -> None:
        label = self.labels[cell.row()]
        names = list(self.regions.shapes)
        ticked = [names[c] for c in range(len(names)) if self.bindings.item(cell.row(), c).checkState() == CHECKED]
        self.edited.emit(self.regions.bound(label, ticked))

    def _limit_changed(self, value: float) -> None:
        self.edited.emit(replace(self.regions, limit=round(value, 2)))
