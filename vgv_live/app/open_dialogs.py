"""The dialogs that ask what to open: a video file, a stream URL, a camera, a model spec, a checkpoint,
a regions file; and where to save a regions file.

Each returns the user's answer as text, or None when cancelled.
"""

from __future__ import annotations

from PyQt6.QtWidgets import QFileDialog, QInputDialog, QWidget

VIDEO_FILTER = "Videos (*.mp4 *.avi *.mkv *.mov *.webm);;All files (*)"
SPEC_FILTER = "Model spec (*.json);;All files (*)"
CHECKPOINT_FILTER = "Checkpoints (*.pt *.pth *.ckpt *.bin);;All files (*)"
REGIONS_FILTER = "Regions (*.json);;All files (*)"
MAX_CAMERA = 63


def _file(parent: QWidget, title: str, filters: str) -> str | None:
    path, _ = QFileDialog.getOpenFileName(parent, title, "", filters)
    return path or None


def ask_video_file(parent: QWidget) -> str | None:
    return _file(parent, "Open a video", VIDEO_FILTER)


def ask_model_spec(parent: QWidget) -> str | None:
    return _file(parent, "Open a model spec", SPEC_FILTER)


def ask_checkpoint(parent: QWidget) -> str | None:
    return _file(parent, "Open a checkpoint", CHECKPOINT_FILTER)


def ask_regions_file(parent: QWidget) -> str | None:
    return _file(parent, "Load regions", REGIONS_FILTER)


def ask_regions_destination(parent: QWidget) -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, "Save regions", "regions.json", REGIONS_FILTER)
    return path or None


def ask_stream_url(parent: QWidget) -> str | None:
    url, ok = QInputDialog.getText(parent, "Open a stream", "rtsp://, rtsps://, http(s):// URL:")
    return url.strip() if ok and url.strip() else None


def ask_camera(parent: QWidget) -> str | None:
    index, ok = QInputDialog.getInt(parent, "Open a camera", "camera index (/dev/videoN):", 0, 0, MAX_CAMERA)
    return str(index) if ok else None
