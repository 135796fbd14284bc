"""Recorder: every annotated frame into one MP4, published under its name when closed."""

from __future__ import annotations

from pathlib import Path

import cv2

from vgv_core.errors import VideoError
from vgv_core.video_writer import AtomicVideoWriter
from vgv_live.sinks.sink import AnnotatedFrame, Sink


class Recorder(Sink):
    wants_frames = True

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.parent.is_dir():
            raise VideoError(f"output folder {self.path.parent} does not exist")
        self._writer: AtomicVideoWriter | None = None

    @property
    def frames_written(self) -> int:
        return self._writer.frames_written if self._writer else 0

    def on_frame(self, frame: AnnotatedFrame) -> None:
        image = frame.image
        if self._writer is None:
            height, width = image.shape[:2]
            self._writer = AtomicVideoWriter(self.path, frame.fps, (width, height))
        elif image.shape[:2] != (self._writer.height, self._writer.width):  # the source changed resolution
            image = cv2.resize(image, (self._writer.width, self._writer.height))
        self._writer.write(image)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
