"""Camera health: a camera's capture states, and the offline / back-online events they make.

A frame producer records every change of state (vgv_live.producer: connecting, running,
reconnecting, ended, error) with its time. A HealthWatcher reads the changes it has not seen
yet, from any thread, and turns them into:

- status records, one per change: ``{"camera", "state", "reason", "since"}``;
- health events: ``offline`` when a camera that was running loses its source (reconnecting,
  or error), and ``online`` when it runs again, with how long it was away.

A camera that never got its first frame is connecting, not offline: its status says so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from vgv_live.producer import CONNECTING, ERROR, RECONNECTING, RUNNING, FrameProducer, Transition

OFFLINE = "offline"
ONLINE = "online"


@dataclass(frozen=True)
class HealthUpdate:
    """What the watcher saw in one poll: status records and health events, oldest first."""

    statuses: list[dict]
    events: list[dict]


def wall_time(monotonic_t: float) -> float:
    return round(time.time() - (time.monotonic() - monotonic_t), 3)


class HealthWatcher:
    def __init__(self, camera: str, producer: FrameProducer) -> None:
        self.camera = camera
        self.producer = producer
        self.status: dict = {"camera": camera, "state": CONNECTING, "reason": "", "since": time.time()}
        self._seen_t = float("-inf")
        self._offline_t: float | None = None
        self._was_running = False

    def poll(self) -> HealthUpdate:
        """The changes since the last poll."""
        fresh = [change for change in list(self.producer.transitions) if change.t > self._seen_t]
        update = HealthUpdate([], [])
        for change in fresh:
            self._seen_t = change.t
            self.status = {"camera": self.camera, "state": change.state, "reason": change.reason,
                           "since": wall_time(change.t)}
            update.statuses.append(self.status)
            event = self._event(change)
            if event is not None:
                update.events.append(event)
        return update

    def _event(self, change: Transition) -> dict | None:
        if change.state in (RECONNECTING, ERROR) and self._was_running and self._offline_t is None:
            self._offline_t = change.t
            return {"kind": OFFLINE, "camera": self.camera, "wall_time": wall_time(change.t), "state": change.state,
                    "reason": change.reason}
        if change.state == RUNNING:
            self._was_running = True
            if self._offline_t is not None:
                away = change.t - self._offline_t
                self._offline_t = None
                return {"kind": ONLINE, "camera": self.camera, "wall_time": wall_time(change.t),
                        "state": change.state, "offline_s": round(away, 3)}
        return None
