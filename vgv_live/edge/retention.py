"""Retention of the events folder: at most ``keep_days`` days and ``keep_gb`` GB, oldest first.

It deletes only what vgv-live writes there, an event at a time: an event's clip, its JSON
record and its map PNG (``event_NNNN_..._fF``, and their temporaries ``.event_....partial.*``),
and the camera health records (``health_...json``). Other files are never touched. An event
is as old as its newest file. Never deleted: an event whose clip is still being written
(the recorder says so, ``in_use``), and an event any of whose files changed in the last
``GRACE_S`` seconds (between a clip's rename and its record's write, say). The size counts
every file of those kinds, deletable or not.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

GRACE_S = 60.0
DAY_S = 86400.0
GB = 10**9  # keep_gb counts decimal gigabytes, as disks are sold
TEMPORARY = re.compile(r"\.(?P<stem>.+)\.[A-Za-z0-9_]{8}\.partial(?P<suffix>\.\w+)")  # vgv_core.atomic_file's names
EVENT = re.compile(r"(?P<event>event_\d+_.+_f\d+)(?:_map)?")
EVENT_SUFFIXES = (".mp4", ".json", ".png")
HEALTH = re.compile(r"health_.+")


@dataclass
class EventFiles:
    name: str  # the event's stem, e.g. event_0003_left_blinker_f120
    files: list[Path] = field(default_factory=list)
    bytes: int = 0
    newest_mtime: float = 0.0


@dataclass(frozen=True)
class RetentionReport:
    deleted: list[str]  # the events deleted, oldest first
    freed_bytes: int
    kept_bytes: int


def event_of(file_name: str) -> str | None:
    """The event a file of the events folder belongs to; None for files retention never touches."""
    temporary = TEMPORARY.fullmatch(file_name)
    if temporary:
        stem, suffix = temporary["stem"], temporary["suffix"]
    else:
        stem, dot, suffix = file_name.rpartition(".")
        suffix = dot + suffix
    event = EVENT.fullmatch(stem)
    if event and suffix in EVENT_SUFFIXES:
        return event["event"]
    return stem if HEALTH.fullmatch(stem) and suffix == ".json" else None


class Retention:
    def __init__(self, folder: str | Path, keep_days: float | None = None, keep_gb: float | None = None,
                 in_use: Callable[[], Iterable[str]] = tuple) -> None:
        self.folder = Path(folder)
        self.keep_s = keep_days * DAY_S if keep_days is not None else None
        self.keep_bytes = round(keep_gb * GB) if keep_gb is not None else None
        self.in_use = in_use  # the clip file names still being written
        self.deleted = 0  # events deleted so far
        self.freed_bytes = 0

    def enforce(self, now: float | None = None) -> RetentionReport:
        """Delete the events too old, then the oldest until the folder fits."""
        now = time.time() if now is None else now
        events = sorted(self._events(), key=lambda event: event.newest_mtime)
        busy = {event_of(name) for name in self.in_use()}
        deletable = [e for e in events if e.name not in busy and e.newest_mtime < now - GRACE_S]
        total = sum(event.bytes for event in events)
        deleted: list[EventFiles] = []
        for event in deletable:
            too_old = self.keep_s is not None and event.newest_mtime < now - self.keep_s
            too_big = self.keep_bytes is not None and total > self.keep_bytes
            if not (too_old or too_big):
                break  # the rest are newer, and the folder fits
            if self._delete(event):
                deleted.append(event)
                total -= event.bytes
        freed = sum(event.bytes for event in deleted)
        self.deleted += len(deleted)
        self.freed_bytes += freed
        return RetentionReport([event.name for event in deleted], freed, total)

    def _events(self) -> Iterable[EventFiles]:
        events: dict[str, EventFiles] = {}
        for path in self.folder.iterdir():
            name = event_of(path.name)
            if name is None:
                continue
            try:
                info = path.lstat()
            except FileNotFoundError:  # gone meanwhile (a temporary renamed into place)
                continue
            event = events.setdefault(name, EventFiles(name))
            event.files.append(path)
            event.bytes += info.st_size
            event.newest_mtime = max(event.newest_mtime, info.st_mtime)
        return events.values()

    @staticmethod
    def _delete(event: EventFiles) -> bool:
        """Delete the event's files; False if one could not be (the event then stays counted)."""
        try:
            for path in event.files:
                path.unlink(missing_ok=True)
        except OSError:
            return False
        return True
