"""FrameTap: the newest annotated frame of a camera, for the MJPEG live view.

A sink that wants frames: the sink thread only swaps a reference (latest wins) and
wakes the viewers, so neither encoding nor a slow viewer can hold it up. Viewers encode
on their own threads; each frame is encoded once, however many watch.
"""

from __future__ import annotations

import threading

import cv2

from vgv_live.sinks.sink import AnnotatedFrame, Sink

JPEG_QUALITY = 80


class FrameTap(Sink):
    wants_frames = True

    def __init__(self) -> None:
        self._latest: AnnotatedFrame | None = None
        self._cond = threading.Condition()
        self._encode_lock = threading.Lock()
        self._jpeg: tuple[int, bytes] | None = None  # (frame_id, JPEG) of the last frame encoded
        self.closed = False

    def on_frame(self, frame: AnnotatedFrame) -> None:
        with self._cond:
            self._latest = frame
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def newer_than(self, frame_id: int, timeout: float) -> AnnotatedFrame | None:
        """The newest frame if it is newer than ``frame_id``, waiting up to ``timeout`` for one."""
        with self._cond:
            self._cond.wait_for(lambda: self._is_newer(frame_id) or self.closed, timeout)
            return self._latest if self._is_newer(frame_id) else None

    def jpeg(self, frame: AnnotatedFrame) -> bytes:
        """``frame`` as JPEG, encoded by the first viewer that asks."""
        with self._encode_lock:
            if self._jpeg is None or self._jpeg[0] != frame.frame_id:
                ok, encoded = cv2.imencode(".jpg", frame.image, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
                if not ok:
                    raise ValueError(f"cannot encode frame {frame.frame_id} as JPEG")
                self._jpeg = frame.frame_id, encoded.tobytes()
            return self._jpeg[1]

    def _is_newer(self, frame_id: int) -> bool:
        return self._latest is not None and self._latest.frame_id > frame_id
