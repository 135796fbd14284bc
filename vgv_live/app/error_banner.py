"""ErrorBanner: an error shown inside the window (bad URL, bad checkpoint...); the window goes on."""

from __future__ import annotations

from PyQt6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from vgv_live.window_model.palette import ERROR_BACKGROUND


class ErrorBanner(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.setStyleSheet(f"background: {ERROR_BACKGROUND}; color: white;")
        self.label = QLabel()
        self.label.setWordWrap(True)
        close = QToolButton(text="x")
        close.clicked.connect(self.dismiss)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, stretch=1)
        layout.addWidget(close)
        self.hide()

    @property
    def text(self) -> str | None:
        return self.label.text() if not self.isHidden() else None

    def show_error(self, text: str) -> None:
        self.label.setText(text)
        self.show()

    def dismiss(self) -> None:
        self.hide()
