"""Helpers for the window tests: the demo (or a stand-in until assets/demo lands), images, threads."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PyQt6.QtGui import QImage
from PyQt6.QtWidgets import QWidget

from vgv_core.shipped import assets_dir

DEMO_LABELS = ("all_off", "headlights_on", "left_blinker", "right_blinker", "hazard", "headlight_defective")


@dataclass(frozen=True)
class Demo:
    model: str  # "demo", or a stand-in spec file
    video: Path
    labels: tuple[str, ...] = DEMO_LABELS


def shipped_demo() -> Demo | None:
    folder = assets_dir() / "demo"
    if (folder / "spec.json").exists() and (folder / "demo.mp4").exists():
        return Demo("demo", folder / "demo.mp4")
    return None


def stand_in_demo(folder: Path) -> Demo:
    """An untrained X3D-XS with the demo's labels, and a video whose frames all differ."""
    spec = {"arch": "x3d_xs", "num_classes": len(DEMO_LABELS), "labels": list(DEMO_LABELS),
            "clip_len": 4, "crop_size": 160, "resize_size": 182, "target_layer": "blocks.4"}
    (folder / "spec.json").write_text(json.dumps(spec))
    return Demo(str(folder / "spec.json"), write_counting_video(folder / "stand_in.mp4"))


def write_counting_video(path: Path, seconds: float = 10.0, fps: int = 30, size: tuple[int, int] = (320, 180)) -> Path:
    """A moving block and the frame number on a gradient: every frame differs from its neighbours."""
    width, height = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    ramp = np.linspace(0, 160, width, dtype=np.uint8)
    for index in range(int(seconds * fps)):
        image = np.full((height, width, 3), 40, np.uint8)
        image[:, :, 1] = ramp
        x = (index * 7) % (width - 40)
        cv2.rectangle(image, (x, 60), (x + 40, 110), (255, 255, 255), -1)
        cv2.putText(image, str(index), (5, 30), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (0, 0, 255), 2)
        writer.write(image)
    writer.release()
    return path


def decoded_frame(path: Path, index: int) -> np.ndarray:
    """Frame ``index`` of ``path`` as BGR, decoded from the start (no seeking)."""
    capture = cv2.VideoCapture(str(path))
    try:
        for _ in range(index + 1):
            ok, frame = capture.read()
            assert ok, f"{path} has no frame {index}"
        return frame
    finally:
        capture.release()


def grab(widget: QWidget) -> np.ndarray:
    """The widget as rendered, (H, W, 3) uint8 RGB."""
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    buffer = np.frombuffer(image.constBits().asstring(image.sizeInBytes()), np.uint8)
    return buffer.reshape(image.height(), image.bytesPerLine())[:, : image.width() * 3].reshape(
        image.height(), image.width(), 3).copy()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def our_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("vgv-")]


def wait_for_no_threads(timeout: float) -> list[str]:
    """Our threads still alive after ``timeout`` seconds (empty when all ended)."""
    deadline = time.monotonic() + timeout
    while our_threads() and time.monotonic() < deadline:
        time.sleep(0.02)
    return our_threads()
