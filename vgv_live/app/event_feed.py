"""EventFeed: the window's events (thresholds, "looked elsewhere"), saved by the engine's EventRecorder.

The window edits the per-class thresholds and the attention guard at any time (GUI
thread); the sink thread applies them before the next result, creating the
EventRecorder (and its folder) when the first threshold or guard appears. Every event
that starts is also queued as an EventNotice with a thumbnail of the triggering frame,
which the window drains at display rate.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vgv_core.attention_guard import AttentionGuard
from vgv_live.result import Result
from vgv_live.sinks import AnnotatedFrame, EventRecorder, Sink, ThresholdTrigger
from vgv_live.sinks.events import EventStart, LookedElsewhereTrigger

THUMBNAIL_WIDTH = 128
MAX_NOTICES = 256


@dataclass(frozen=True)
class EventNotice:
    number: int  # the event's number in its folder (the clip's name starts event_NNNN_)
    kind: str  # events.THRESHOLD or events.LOOKED_ELSEWHERE
    label: str
    prob: float
    frame_id: int  # ring frame id of the triggering frame
    thumbnail: np.ndarray  # small uint8 BGR image of the annotated triggering frame
    folder: Path

    def clip_path(self) -> Path | None:
        """The event's clip, once its post-roll is written (None before)."""
        for record in self.folder.glob(f"event_{self.number:04d}_*.json"):
            clip = self.folder / json.loads(record.read_text())["clip"]
            return clip if clip.exists() else None
        return None


class EventFeed(Sink):
    wants_frames = True

    def __init__(self, folder: str | Path, hysteresis: float = 0.1, pre_roll_s: float = 2.0, post_roll_s: float = 2.0,
                 thresholds: dict[int, float] | None = None, guard: AttentionGuard | None = None) -> None:
        self.folder = Path(folder)
        self.hysteresis = hysteresis
        self.pre_roll_s = pre_roll_s
        self.post_roll_s = post_roll_s
        self._lock = threading.Lock()
        self._wanted: dict[int, float] = dict(thresholds or {})
        self._guard = guard
        self._notices: deque[EventNotice] = deque(maxlen=MAX_NOTICES)
        self._recorder: EventRecorder | None = None
        self._last: AnnotatedFrame | None = None

    # -- GUI thread -------------------------------------------------------------------------

    def set_thresholds(self, thresholds: dict[int, float]) -> None:
        """Class index -> probability that starts an event (an empty dict: no events)."""
        with self._lock:
            self._wanted = dict(thresholds)

    def set_guard(self, guard: AttentionGuard | None) -> None:
        """Raise "looked elsewhere" events by ``guard`` (None: no such events)."""
        with self._lock:
            self._guard = guard

    @property
    def thresholds(self) -> dict[int, float]:
        with self._lock:
            return dict(self._wanted)

    def drain(self) -> list[EventNotice]:
        """The events started since the last call, oldest first."""
        with self._lock:
            notices = list(self._notices)
            self._notices.clear()
        return notices

    # -- sink thread ------------------------------------------------------------------------

    def on_frame(self, frame: AnnotatedFrame) -> None:
        self._last = frame
        if self._recorder is not None:
            self._recorder.on_frame(frame)

    def on_result(self, result: Result) -> None:
        self._apply_settings()
        if self._recorder is None:
            return
        before = self._recorder.events
        self._recorder.on_result(result)
        started = self._recorder.started[: self._recorder.events - before]
        for number, start in enumerate(started, start=before):
            self._notify(number, result, start)

    def close(self) -> None:
        if self._recorder is not None:
            self._recorder.close()

    def _apply_settings(self) -> None:
        with self._lock:
            wanted, guard = dict(self._wanted), self._guard
        if self._recorder is None:
            if wanted or guard is not None:
                self.folder.mkdir(parents=True, exist_ok=True)
                self._thresholds = ThresholdTrigger(wanted, self.hysteresis)
                self._looked_elsewhere = LookedElsewhereTrigger(guard, self.hysteresis)
                self._recorder = EventRecorder(self.folder, [], self.pre_roll_s, self.post_roll_s)
                if self._last is not None:  # an event needs a triggering frame, even the very first
                    self._recorder.on_frame(self._last)
            else:
                return
        self._thresholds.thresholds = wanted
        self._thresholds.active &= set(wanted)
        self._looked_elsewhere.guard = guard
        self._recorder.triggers = [self._thresholds] + ([self._looked_elsewhere] if guard is not None else [])

    def _notify(self, number: int, result: Result, start: EventStart) -> None:
        image = self._last.image
        height = max(1, round(image.shape[0] * THUMBNAIL_WIDTH / image.shape[1]))
        thumbnail = cv2.resize(image, (THUMBNAIL_WIDTH, height), interpolation=cv2.INTER_AREA)
        index = start.class_index
        notice = EventNotice(number, start.kind, result.labels[index], float(result.probs[index]),
                             self._last.frame_id, thumbnail, self.folder)
        with self._lock:
            self._notices.append(notice)
