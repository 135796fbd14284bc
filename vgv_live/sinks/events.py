"""Events: a class's probability rising over its threshold, or a confident class whose map
lies outside its regions ("looked elsewhere", the attention guard); each saves a clip.

Hysteresis: a threshold event starts when the probability reaches ``on`` and the class
re-arms only once it falls below ``on - hysteresis``, so a flickering score raises one
event. A looked-elsewhere event starts with the first flagged result of a class and the
class re-arms once a result of it has its attention back at the limit plus the
hysteresis, or its probability below the confidence threshold minus the hysteresis.
Each event writes an annotated clip from ``pre_roll_s`` before the triggering frame to
``post_roll_s`` after it, plus a JSON record beside it (its ``kind`` says which); a
looked-elsewhere event also saves the triggering frame with its map as a PNG. Seconds
are counted in frames at the source's frame rate, so the clip holds
round(pre_roll_s * fps) frames before the trigger frame and round(post_roll_s * fps)
after it.

Listeners (``listeners``, e.g. the MQTT link) hear of each event twice, on the sink thread:
("start", the record so far) when it triggers and ("end", the full record) once its clip and
record are written.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol, Sequence

from vgv_core.atomic_file import write_image_atomically, write_text_atomically
from vgv_core.attention_guard import DEFAULT_CONFIDENT, AttentionGuard
from vgv_core.errors import VideoError
from vgv_core.json_text import json_text
from vgv_core.video_writer import AtomicVideoWriter
from vgv_live.result import Result
from vgv_live.sinks.sink import AnnotatedFrame, Sink

THRESHOLD = "threshold"
LOOKED_ELSEWHERE = "looked_elsewhere"


@dataclass(frozen=True)
class EventStart:
    kind: str  # THRESHOLD or LOOKED_ELSEWHERE
    class_index: int
    why: dict[str, Any]  # for the record: the threshold crossed, or the attention and its limit


class Trigger(Protocol):
    def update(self, result: Result) -> list[EventStart]:
        """The events ``result`` starts."""


class ThresholdTrigger:
    """Per-class on/off state with hysteresis; ``update`` returns the events that just started."""

    def __init__(self, thresholds: dict[int, float], hysteresis: float = 0.1) -> None:
        self.thresholds = dict(thresholds)
        self.hysteresis = hysteresis
        self.active: set[int] = set()

    def update(self, result: Result) -> list[EventStart]:
        started = []
        for index, on in self.thresholds.items():
            prob = float(result.probs[index])
            if index not in self.active and prob >= on:
                self.active.add(index)
                started.append(EventStart(THRESHOLD, index, {"threshold": on, "hysteresis": self.hysteresis}))
            elif index in self.active and prob < on - self.hysteresis:
                self.active.discard(index)
        return started


class LookedElsewhereTrigger:
    """One event per run of a class's results that the attention guard flags."""

    def __init__(self, guard: AttentionGuard, hysteresis: float = 0.1) -> None:
        self.guard = guard
        self.hysteresis = hysteresis
        self.active: set[int] = set()

    def update(self, result: Result) -> list[EventStart]:
        index, share = result.target, result.attention_in_region
        if result.looked_elsewhere and index not in self.active:
            self.active.add(index)
            label = result.labels[index]
            return [EventStart(LOOKED_ELSEWHERE, index, {
                "attention_in_region": round(share, 4), "limit": self.guard.regions.limit_for(label),
                "regions": list(self.guard.regions.expected(label)), "hysteresis": self.hysteresis})]
        if index in self.active and not result.looked_elsewhere and self._rearms(result):
            self.active.discard(index)
        return []

    def _rearms(self, result: Result) -> bool:
        label = result.labels[result.target]
        confident = self.guard.confident.get(label, DEFAULT_CONFIDENT)
        share = result.attention_in_region
        return (float(result.probs[result.target]) < confident - self.hysteresis
                or share is None or share >= self.guard.regions.limit_for(label) + self.hysteresis)


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
        self, folder: str | Path, triggers: Sequence[Trigger], pre_roll_s: float = 2.0, post_roll_s: float = 2.0
    ) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise VideoError(f"events folder {self.folder} does not exist")
        self.triggers = list(triggers)
        self.pre_roll_s = pre_roll_s
        self.post_roll_s = post_roll_s
        self.events = 0  # started so far (a count: a run may last weeks)
        self.counts = {THRESHOLD: 0, LOOKED_ELSEWHERE: 0}  # started so far, per kind
        self.started: list[EventStart] = []  # what the last result started
        self.listeners: list[Callable[[str, dict], None]] = []  # (phase "start" or "end", record copy)
        self._history: deque[AnnotatedFrame] = deque()
        self._active: list[ActiveClip] = []

    def active_clips(self) -> list[str]:
        """The clips still being written (any thread may ask)."""
        return [clip.record["clip"] for clip in list(self._active)]

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
        self.started = [start for trigger in self.triggers for start in trigger.update(result)]
        for start in self.started:
            self._start(result, start)

    def close(self) -> None:
        """Finish every open clip; one that fails is dropped whole, and the first failure is raised."""
        failure: Exception | None = None
        for clip in list(self._active):
            try:
                self._finish(clip)
            except Exception as exc:  # noqa: BLE001 (the other clips must still be finished)
                self._active.remove(clip)
                clip.writer.abort()
                failure = failure or exc
        if failure is not None:
            raise failure

    def _start(self, result: Result, start: EventStart) -> None:
        trigger = self._history[-1] if self._history else None
        if trigger is None:
            return
        index = start.class_index
        label = result.labels[index]
        kind = "" if start.kind == THRESHOLD else f"{start.kind}_"
        name = f"event_{self.events:04d}_{kind}{label}_f{trigger.frame_id}"
        fps = trigger.fps
        height, width = trigger.image.shape[:2]
        record = {
            "kind": start.kind,
            "label": label,
            "class_index": index,
            "prob": round(float(result.probs[index]), 5),
            **start.why,
            "trigger_frame_id": trigger.frame_id,
            "wall_time": round(time.time() - (time.monotonic() - trigger.timestamp), 3),
            "fps": round(fps, 3),
            "pre_roll_s_configured": self.pre_roll_s,
            "post_roll_s_configured": self.post_roll_s,
            "clip": f"{name}.mp4",
        }
        clip = ActiveClip(record, AtomicVideoWriter(self.folder / f"{name}.mp4", fps, (width, height)),
                          post_frames=round(self.post_roll_s * fps))
        if start.kind == LOOKED_ELSEWHERE:
            record["map"] = f"{name}_map.png"
            write_image_atomically(self.folder / record["map"], trigger.image)
        for frame in self._history:
            self._append(clip, frame)
        self._active.append(clip)
        self.events += 1
        self.counts[start.kind] += 1
        self._tell("start", record)
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
        write_text_atomically(self.folder / record["clip"].replace(".mp4", ".json"), json_text(record, indent=2) + "\n")
        self._tell("end", record)

    def _tell(self, phase: str, record: dict) -> None:
        for listener in self.listeners:
            listener(phase, dict(record))

