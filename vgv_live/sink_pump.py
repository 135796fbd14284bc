"""SinkPump: the thread that feeds results, and the frames they cover, to the sinks.

For each result it takes the frames since the last one it drew out of the ring (fresh
copies), draws each with the map of the nearest window frame, hands them to the sinks
in frame-id order, then hands over the result itself. A frame that already left the
ring is replaced by the previous drawing (marked ``repeated``), so recordings keep
their timing. Lossless sources hold each frame in the ring until it was drawn.
"""

from __future__ import annotations

import threading
from typing import Callable

from vgv_core.exits import EXIT_PART_FAILED, thread_failure
from vgv_core.regions import Regions
from vgv_core.render import HeatStyle
from vgv_live.drawing import annotate
from vgv_live.handoff import Subscription
from vgv_live.result import Result
from vgv_live.ring import FrameRing
from vgv_live.sinks.sink import AnnotatedFrame, Sink

POLL_S = 0.25


class SinkPump(threading.Thread):
    def __init__(
        self,
        ring: FrameRing,
        results: Subscription[Result],
        sinks: list[Sink],
        fps: Callable[[], float],
        style: HeatStyle = HeatStyle(),
        regions: Regions | None = None,
    ) -> None:
        super().__init__(name="vgv-sinks", daemon=True)
        self.ring = ring
        self.results = results
        self.sinks = sinks
        self.fps = fps
        self.style = style
        self.regions = regions  # outlined on the frames; the window swaps in its edits
        self.frames_drawn = 0
        self.frames_repeated = 0
        self.error: str | None = None
        self.error_code = EXIT_PART_FAILED  # what the command line exits with for self.error
        self._draw = any(sink.wants_frames for sink in sinks)
        self._cursor = ring.add_cursor() if ring.lossless else None
        self._next_id = 0
        self._last: AnnotatedFrame | None = None

    def run(self) -> None:
        result = None
        try:
            while True:
                latest = self.results.get(POLL_S)
                if latest is None:
                    if self.results.closed:
                        break
                    continue
                result = latest
                self._deliver_frames(result, int(result.frame_ids[-1]))
                for sink in self.sinks:
                    sink.on_result(result)
            if result is not None:  # frames after the last window (end of file, or stop)
                self._deliver_frames(result, self.ring.newest_id)
        except Exception as exc:  # noqa: BLE001 (a sink's failure, or a bug: this thread's error either way)
            self.error, self.error_code = thread_failure(exc)
        finally:
            self.results.close()  # a lossless worker must not wait for a reader that is gone
            self._close_sinks()

    def _deliver_frames(self, result: Result, last_id: int) -> None:
        if not self._draw or last_id < self._next_id:
            self._release(last_id)
            return
        held = self.ring.frames_between(self._next_id, last_id)
        held_index = {int(frame_id): i for i, frame_id in enumerate(held.frame_ids)}
        fps = self.fps()
        for frame_id in range(self._next_id, last_id + 1):
            i = held_index.get(frame_id)
            if i is not None:
                image = annotate(held.frames[i], result.map_for(frame_id), result, self.style, self.regions)
                frame = AnnotatedFrame(frame_id, float(held.timestamps[i]), image, result, fps)
                self.frames_drawn += 1
            elif self._last is not None:
                frame = AnnotatedFrame(frame_id, self._last.timestamp, self._last.image, result, fps, repeated=True)
                self.frames_repeated += 1
            else:
                continue
            self._last = frame
            for sink in self.sinks:
                if sink.wants_frames:
                    sink.on_frame(frame)
        self._release(last_id)

    def _release(self, last_id: int) -> None:
        self._next_id = max(self._next_id, last_id + 1)
        if self._cursor is not None:
            self.ring.release(self._cursor, last_id)

    def _close_sinks(self) -> None:
        """Close every sink, whichever fails: the first failure is the one reported."""
        for sink in self.sinks:
            try:
                sink.close()
            except Exception as exc:  # noqa: BLE001 (every other sink must still close)
                if self.error is None:
                    self.error, self.error_code = thread_failure(exc)
