"""Reading a video file frame by frame, with its trouble reported in our words.

`VideoReader(path)` opens anything OpenCV's FFmpeg backend decodes (mp4, avi, mkv, mov;
H.264, MPEG-4, ...; audio streams are ignored). Opening decodes the first frames, so a
file that opens but holds no decodable picture is refused at once.

Frame rate (vgv_core.frame_rate): containers lie (0, NaN and 180000 are all seen), so the
container's value is used only when it is plausible. Otherwise the rate is measured from
the timestamps of the first decoded frames (median spacing); failing that, the fallback
is assumed. ``info.fps_note`` says when either replacement happened.

Damaged files: frames are read until the decoder stops. When the container promised
more frames than were decoded (by more than one: index-less containers estimate their
count from duration x fps), ``missing_frames`` says how many could not be decoded.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import cv2
from vgv_core import frame_rate
from vgv_core.errors import VideoError
from vgv_core.video_env import configure_ffmpeg_environment

PROBE_FRAMES = 8
COUNT_TOLERANCE = 1


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    fps: float
    width: int
    height: int
    frame_count: int | None  # what the container claims; None when it does not say
    fps_note: str | None = None  # set when the container's fps was replaced


def measured_fps(timestamps_ms: list[float]) -> float | None:
    """Frame rate from the median spacing of decoded frames' timestamps, if plausible."""
    steps = np.diff(np.asarray(timestamps_ms, dtype=np.float64))
    steps = steps[steps > 0]
    if steps.size == 0:
        return None
    fps = 1000.0 / float(np.median(steps))
    return frame_rate.believed(fps)


class VideoReader:
    """Decode ``path``; ``frames()`` yields (index, uint8 BGR (H, W, 3)) once."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._capture = _open(self.path)
        self.decoded = 0
        self.missing_frames = 0
        self._ahead: list[np.ndarray] = []
        try:
            stamps = self._read_ahead()
            self.info = self._describe(stamps)
        except BaseException:
            self.close()
            raise

    def _read_ahead(self) -> list[float]:
        stamps = []
        for _ in range(PROBE_FRAMES):
            ok, frame = self._capture.read()
            if not ok:
                break
            self._ahead.append(frame)
            stamps.append(self._capture.get(cv2.CAP_PROP_POS_MSEC))
        if not self._ahead:
            raise VideoError(f"{self.path} holds no decodable video frames")
        return stamps

    def _describe(self, stamps: list[float]) -> VideoInfo:
        height, width = self._ahead[0].shape[:2]
        count = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT))
        claimed = self._capture.get(cv2.CAP_PROP_FPS)
        fps, note = claimed, None
        if not frame_rate.plausible(claimed):
            fps = measured_fps(stamps)
            source = "measured from its timestamps" if fps else "assumed (the timestamps do not tell either)"
            fps = frame_rate.or_fallback(fps)
            note = f"container reports fps={claimed:g}; using {fps:.3f} fps {source}"
        return VideoInfo(self.path, fps, width, height, count if count > 0 else None, note)

    def frames(self, start: int = 0, stop: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
        """Frames ``start`` <= index < ``stop`` (None: to the end), decoded in order."""
        index = 0
        while stop is None or index < stop:
            frame = self._next(want=index >= start)
            if frame is None:
                self._note_shortfall(index)
                return
            if index >= start:
                yield index, frame
            index += 1

    def _next(self, want: bool) -> np.ndarray | None:
        if self._ahead:
            self.decoded += 1
            return self._ahead.pop(0)
        if want:
            ok, frame = self._capture.read()
        else:  # skipped frames are decoded but not converted to BGR
            ok, frame = self._capture.grab(), np.empty(0, np.uint8)
        if not ok:
            return None
        self.decoded += 1
        return frame

    def _note_shortfall(self, available: int) -> None:
        count = self.info.frame_count
        if count is not None and count - available > COUNT_TOLERANCE:
            self.missing_frames = count - available

    def close(self) -> None:
        self._capture.release()

    def __enter__(self) -> "VideoReader":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _open(path: Path) -> cv2.VideoCapture:
    if not path.exists():
        raise VideoError(f"{path} does not exist")
    if not path.is_file():
        raise VideoError(f"{path} is not a file")
    configure_ffmpeg_environment()
    capture = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
    if not capture.isOpened():
        capture.release()
        raise VideoError(f"{path} is not a video OpenCV/FFmpeg can read{_diagnose(path)}")
    return capture


def _diagnose(path: Path) -> str:
    """Why a file would not open, when its first bytes tell."""
    with path.open("rb") as handle:
        head = handle.read(12)
    if not head:
        return " (the file is empty)"
    if head[4:8] == b"ftyp":
        return " (an MP4/MOV without its index: truncated, or still being written?)"
    return ""
