"""Snapshots: an annotated still every ``interval_s`` seconds of video, written atomically.

Seconds of video are counted in frames at the source's rate, so a file read losslessly
(faster than real time) is snapshotted at the same places as when played.
"""

from __future__ import annotations

from pathlib import Path

from vgv_core.atomic_file import write_image_atomically
from vgv_core.errors import VideoError
from vgv_live.sinks.sink import AnnotatedFrame, Sink


class Snapshotter(Sink):
    wants_frames = True

    def __init__(self, folder: str | Path, interval_s: float) -> None:
        self.folder = Path(folder)
        self.interval_s = interval_s
        self.saved = 0
        self._next_id: int | None = None
        if not self.folder.is_dir():
            raise VideoError(f"snapshot folder {self.folder} does not exist")

    def on_frame(self, frame: AnnotatedFrame) -> None:
        if frame.repeated or (self._next_id is not None and frame.frame_id < self._next_id):
            return
        self._next_id = frame.frame_id + max(1, round(self.interval_s * frame.fps))
        path = self.folder / f"snapshot_{frame.frame_id:08d}.jpg"
        write_image_atomically(path, frame.image)
        self.saved += 1
