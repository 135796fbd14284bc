"""Threshold events: when a class's probability rises over its threshold, save a clip.

Hysteresis: an event starts when the probability reaches ``on`` and the class re-arms
only once it falls below ``on - hysteresis``, so a flickering score raises one event.
Each event writes an annotated clip from ``pre_roll_s`` before the triggering frame to
``post_roll_s`` after it, plus a JSON record beside it. Seconds are counted in frames at
the source's frame rate, so the clip holds round(pre_roll_s * fps) frames before the
trigger frame and round(post_roll_s * fps) after it.
"""

from __future__ import annotations

import json
import os
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from vgv_core.errors import VideoError
from vgv_core.video_writer import AtomicVideoWriter
from vgv_live.result import Result
from vgv_live.sinks.sink import AnnotatedFrame, Sink


class ThresholdTrigger:
    """Per-class on/off state with hysteresis; ``update`` returns the classes that just went on."""

    def __init__(self, thresholds: dict[int, float], hysteresis: float = 0.1) -> None:
        self.thresholds = dict(thresholds)
        self.hysteresis = hysteresis
        self.active: set[int] = set()

    def update(self, probs) -> list[int]:
        started = []
        for index, on in self.thresholds.items():
            prob = float(probs[index])
            if index not in self.active and prob >= on:
                self.active.add(index)
                started.append(index)
            elif index in self.active and prob < on - self.hysteresis:
                self.active.discard(index)
        return started


@dataclass
class ActiveClip:
    record: dict
    writer: AtomicVideoWriter
    post_frames: int
    written_after: int = 0
    frame_ids: list[int] = field(default_factory=list)


class EventRecorder(Sink):
    wants_frames = True

    def __init__(
        self, folder: str | Path, trigger: ThresholdTrigger, pre_roll_s: float = 2.0, post_roll_s: float = 2.0
    ) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise VideoError(f"events folder {self.folder} does not exist")
        self.trigger = trigger
        self.pre_roll_s = pre_roll_s
        self.post_roll_s = post_roll_s
        self.events = 0  # started so far (a count: a run may last weeks)
        self._history: deque[AnnotatedFrame] = deque()
        self._active: list[ActiveClip] = []

    def on_frame(self, frame: AnnotatedFrame) -> None:
        self._history.append(frame)
        while len(self._history) > round(self.pre_roll_s * frame.fps) + 1:
            self._history.popleft()
        for clip in list(self._active):
            self._append(clip, frame)
            clip.written_after += 1
            if clip.written_after >= clip.post_frames:
                self._finish(clip)

    def on_result(self, result: Result) -> None:
        for index in self.trigger.update(result.probs):
            self._start(result, index)

    def close(self) -> None:
        for clip in list(self._active):
            self._finish(clip)

    def _start(self, result: Result, index: int) -> None:
        trigger = self._history[-1] if self._history else None
        if trigger is None:
            return
        label = result.labels[index]
        name = f"event_{self.events:04d}_{label}_f{trigger.frame_id}"
        fps = trigger.fps
        height, width = trigger.image.shape[:2]
        record = {
            "label": label,
            "class_index": index,
            "prob": round(float(result.probs[index]), 5),
            "threshold": self.trigger.thresholds[index],
            "hysteresis": self.trigger.hysteresis,
            "trigger_frame_id": trigger.frame_id,
            "wall_time": round(time.time() - (time.monotonic() - trigger.timestamp), 3),
            "fps": round(fps, 3),
            "pre_roll_s_configured": self.pre_roll_s,
            "post_roll_s_configured": self.post_roll_s,
            "clip": f"{name}.mp4",
        }
        clip = ActiveClip(record, AtomicVideoWriter(self.folder / f"{name}.mp4", fps, (width, height)),
                          post_frames=round(self.post_roll_s * fps))
        for frame in self._history:
            self._append(clip, frame)
        self._active.append(clip)
        self.events += 1
        if clip.post_frames == 0:
            self._finish(clip)

    def _append(self, clip: ActiveClip, frame: AnnotatedFrame) -> None:
        clip.writer.write(frame.image)
        clip.frame_ids.append(frame.frame_id)

    def _finish(self, clip: ActiveClip) -> None:
        self._active.remove(clip)
        clip.writer.close()
        record = clip.record
        fps = record["fps"]
        trigger_id = record["trigger_frame_id"]
        record.update(
            first_frame_id=clip.frame_ids[0],
            last_frame_id=clip.frame_ids[-1],
            frames=len(clip.frame_ids),
            pre_roll_s=round((trigger_id - clip.frame_ids[0]) / fps, 4),
            post_roll_s=round((clip.frame_ids[-1] - trigger_id) / fps, 4),
        )
        path = self.folder / record["clip"].replace(".mp4", ".json")
        temp = path.with_name(f".{path.name}.partial")
        temp.write_text(json.dumps(record, indent=2) + "\n")
        os.replace(temp, path)
