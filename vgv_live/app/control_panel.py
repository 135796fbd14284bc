"""ControlPanel: what the user tunes while watching.

Explanation (method, target, layer, hop), view (layout, live/synchronised, opacity,
colormap, blend), transport and outputs (pause, step, record, snapshot: buttons for the
window's actions, so shortcuts and buttons share one state), and the per-class
thresholds. The window reads and wires the widgets; the panel only lays them out.
"""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import (
    QComboBox, QFormLayout, QGridLayout, QGroupBox, QSlider, QSpinBox, QToolButton, QVBoxLayout, QWidget,
)

from vgv_core.explain.methods import METHODS
from vgv_core.render import BLENDS, COLORMAPS, HeatStyle
from vgv_live.app.threshold_editor import ThresholdEditor
from vgv_live.app.video_view import LAYOUTS

TOP_1 = "top-1"
LIVE = "live"
SYNCHRONISED = "synchronised"
MAX_HOP = 64


class ControlPanel(QWidget):
    def __init__(self, actions: list[QAction]) -> None:
        super().__init__()
        self.method = QComboBox()
        self.method.addItems(METHODS)
        self.target = QComboBox()
        self.layer = QComboBox()
        self.hop = QSpinBox(minimum=1, maximum=MAX_HOP)
        self.layout_mode = QComboBox()
        self.layout_mode.addItems(LAYOUTS)
        self.sync_mode = QComboBox()
        self.sync_mode.addItems((LIVE, SYNCHRONISED))
        self.opacity = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100)
        self.colormap = QComboBox()
        self.colormap.addItems(COLORMAPS)
        self.blend = QComboBox()
        self.blend.addItems(BLENDS)
        self.thresholds = ThresholdEditor()
        for widget in (self.method, self.target, self.layer, self.hop, self.layout_mode, self.sync_mode,
                       self.opacity, self.colormap, self.blend):
            widget.setFocusPolicy(Qt.FocusPolicy.ClickFocus)  # space and arrows stay window shortcuts
        layout = QVBoxLayout(self)
        layout.addWidget(self._group("explanation", method=self.method, target=self.target, layer=self.layer,
                                     hop=self.hop))
        layout.addWidget(self._group("view", layout=self.layout_mode, show=self.sync_mode, opacity=self.opacity,
                                     colormap=self.colormap, blend=self.blend))
        layout.addWidget(self._buttons(actions))
        events = QGroupBox("thresholds (events)")
        QVBoxLayout(events).addWidget(self.thresholds)
        layout.addWidget(events, stretch=1)

    def set_model(
        self, labels: tuple[str, ...], layers: tuple[str, ...], default_layer: str | None,
        methods: tuple[str, ...] = METHODS,
    ) -> None:
        """Fill the choices that depend on the model, without emitting changes (the method
        chosen stays, where the model supports it)."""
        method = self.method.currentText()
        for combo, items in ((self.target, (TOP_1, *labels)), (self.layer, layers), (self.method, methods)):
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(items)
            combo.blockSignals(False)
        for combo, choice in ((self.layer, default_layer), (self.method, method)):
            if combo.findText(choice or "") >= 0:
                combo.blockSignals(True)
                combo.setCurrentText(choice)
                combo.blockSignals(False)

    def style(self) -> HeatStyle:
        """How the heatmap is drawn, as chosen."""
        return HeatStyle(self.colormap.currentText(), self.opacity.value() / 100, self.blend.currentText())

    def target_index(self) -> int | None:
        """The class chosen as target (None: top-1 of each window)."""
        return None if self.target.currentIndex() <= 0 else self.target.currentIndex() - 1

    @staticmethod
    def _group(title: str, **rows: QWidget) -> QGroupBox:
        group = QGroupBox(title)
        form = QFormLayout(group)
        for label, widget in rows.items():
            form.addRow(label, widget)
        return group

    @staticmethod
    def _buttons(actions: list[QAction]) -> QWidget:
        box = QWidget()
        grid = QGridLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        for i, action in enumerate(actions):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            grid.addWidget(button, i // 3, i % 3)
        return box
