"""Recorder: every annotated frame into one MP4, published under its name when closed.

An MP4's frame rate is fixed when it is opened. For a file it is the file's own (from
its timestamps). For a live source it is measured from the frames' capture times: the
first frames are held back, up to FPS_WINDOW_S of video (or HELD_BYTES of frames), and the
rate is taken over the later half of that window, so the burst a stream sends right after
connecting (a server flushing its buffer) does not set the recording's speed.
"""

from __future__ import annotations

from pathlib import Path

import cv2

from vgv_core import frame_rate
from vgv_core.errors import VideoError
from vgv_core.video_writer import AtomicVideoWriter
from vgv_live.sinks.sink import AnnotatedFrame, Sink

FPS_WINDOW_S = 2.0
HELD_BYTES = 256 * 2**20


class Recorder(Sink):
    wants_frames = True

    def __init__(self, path: str | Path, live: bool = False) -> None:
        self.path = Path(path)
        if not self.path.parent.is_dir():
            raise VideoError(f"output folder {self.path.parent} does not exist")
        self.live = live
        self._writer: AtomicVideoWriter | None = None
        self._held: list[AnnotatedFrame] = []

    @property
    def frames_written(self) -> int:
        return self._writer.frames_written if self._writer else 0

    def on_frame(self, frame: AnnotatedFrame) -> None:
        if self._writer is None:
            self._held.append(frame)
            if self.live and not self._window_full():
                return
            self._open()
        else:
            self._write(frame)

    def close(self) -> None:
        if self._writer is None and self._held:
            self._open()
        if self._writer is not None:
            self._writer.close()

    @property
    def missing(self) -> str | None:
        return None if self.frames_written else f"the recording {self.path} was not written: no frame reached it"

    def _window_full(self) -> bool:
        first, last = self._held[0], self._held[-1]
        held = sum(frame.image.nbytes for frame in self._held)
        return last.timestamp - first.timestamp >= FPS_WINDOW_S or held >= HELD_BYTES

    def _open(self) -> None:
        height, width = self._held[0].image.shape[:2]
        fps = self._measured_fps() if self.live else self._held[-1].fps
        self._writer = AtomicVideoWriter(self.path, fps, (width, height))
        for frame in self._held:
            self._write(frame)
        self._held = []

    def _measured_fps(self) -> float:
        """Frames per second over the later half of the held window; the pipeline's figure if unclear."""
        times = [frame.timestamp for frame in self._held if not frame.repeated]
        middle = (times[0] + times[-1]) / 2 if times else 0.0
        later = [t for t in times if t >= middle]
        if len(later) >= 2 and later[-1] > later[0]:
            fps = frame_rate.believed((len(later) - 1) / (later[-1] - later[0]))
            if fps is not None:
                return fps
        return self._held[-1].fps

    def _write(self, frame: AnnotatedFrame) -> None:
        image = frame.image
        if image.shape[:2] != (self._writer.height, self._writer.width):  # the source changed resolution
            image = cv2.resize(image, (self._writer.width, self._writer.height))
        self._writer.write(image)
