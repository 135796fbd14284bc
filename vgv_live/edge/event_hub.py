"""EventHub: every camera event, in one shape, to every edge output; the recent ones kept.

A message is a dict with ``type`` and ``camera``: ``type`` "start" and "end" for the
events that save a clip (``kind`` threshold or looked_elsewhere: the record of
vgv_live.sinks.events, complete at "end"), and "offline" and "online" for camera health
(the record of vgv_live.edge.health). Any thread may publish; subscribers are called on
the publishing thread and must not block (the MQTT link queues, the others only count).
"""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Callable

END = "end"  # the last message of an event that saves a clip
RECENT = 500  # messages /api/events can show


class EventHub:
    def __init__(self, recent: int = RECENT) -> None:
        self._recent: deque[dict] = deque(maxlen=recent)
        self._counts: Counter[tuple[str, str]] = Counter()  # (camera, kind) -> events started
        self._subscribers: list[Callable[[dict], None]] = []
        self._lock = threading.Lock()

    def subscribe(self, callback: Callable[[dict], None]) -> None:
        self._subscribers.append(callback)

    def clip_listener(self, camera: str) -> Callable[[str, dict], None]:
        """What an EventRecorder of ``camera`` calls with ("start" or "end", record)."""
        return lambda phase, record: self.publish({"type": phase, "camera": camera, **record})

    def publish_health(self, event: dict) -> None:
        """An offline/online event of vgv_live.edge.health."""
        self.publish({"type": event["kind"], **event})

    def publish(self, message: dict) -> None:
        with self._lock:
            self._recent.append(message)
            if message["type"] != END:
                self._counts[message["camera"], message["kind"]] += 1
        for subscriber in self._subscribers:
            subscriber(message)

    def recent(self, camera: str | None = None, limit: int = RECENT) -> list[dict]:
        """The newest ``limit`` messages (of ``camera``, or all), oldest first."""
        with self._lock:
            chosen = [m for m in self._recent if camera is None or m["camera"] == camera]
        return chosen[-limit:] if limit else []

    def counts(self) -> dict[tuple[str, str], int]:
        """Events started so far by (camera, kind)."""
        with self._lock:
            return dict(self._counts)
