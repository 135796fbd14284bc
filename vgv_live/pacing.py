"""FileClock: when each frame of a video file is due, from the file's own timestamps.

The one pacing rule of every file producer (the headless capture and the window's replay):
a frame is due ``(its timestamp - the anchor frame's timestamp) / speed`` after the anchor
frame was. The container's frame rate is not trusted for pacing (rule 4 of the design):
where timestamps are missing or stop increasing, frames are counted at the rate measured
from the timestamps so far, or at the container's rate when plausible, or at the fallback
(vgv_core.frame_rate). ``restart`` after a seek, a pause or a loop: the next frame is due
at once and the ones after it follow from it.
"""

from __future__ import annotations

import time

from vgv_core import frame_rate


class FileClock:
    def __init__(self, container_fps: float | None) -> None:
        self._claimed = frame_rate.believed(container_fps)
        self._speed = 1.0
        self._anchor: tuple[float, float] | None = None  # (monotonic time, media seconds) of the anchor frame
        self._last_ms: float | None = None  # the last timestamp since the last restart
        self._media_s = 0.0  # where the last frame was in the file, seconds
        self._steps_s = 0.0  # sum of the timestamp steps seen, for the measured rate
        self._steps = 0
        self._timestamps_usable = True

    @property
    def fps(self) -> float:
        """The file's frame rate: measured from its timestamps, else the container's, else the fallback."""
        if self._steps and self._steps_s > 0:
            measured = frame_rate.believed(self._steps / self._steps_s)
            if measured is not None:
                return measured
        return self._claimed or frame_rate.FALLBACK

    def restart(self, speed: float = 1.0) -> None:
        """The next frame is due at once, and the ones after it at ``speed`` times their own pace."""
        self._speed = speed
        self._anchor = None
        self._last_ms = None

    def due(self, position_ms: float) -> float:
        """Monotonic time at which the frame just read, at ``position_ms`` in the file, is due."""
        if self._timestamps_usable and (self._last_ms is None or position_ms > self._last_ms):
            if self._last_ms is not None:
                self._steps_s += (position_ms - self._last_ms) / 1000.0
                self._steps += 1
            self._last_ms = position_ms
            self._media_s = position_ms / 1000.0
        else:
            self._timestamps_usable = False  # from here on, frames are counted at the rate known so far
            self._media_s += 1.0 / self.fps
        if self._anchor is None:
            self._anchor = (time.monotonic(), self._media_s)
        anchor_t, anchor_s = self._anchor
        return anchor_t + (self._media_s - anchor_s) / self._speed
