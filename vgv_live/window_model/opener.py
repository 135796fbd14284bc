"""Opening a session: parse the source, load the model (reusing the last one), replace the old session.

Runs inside a BackgroundTask, one at a time (`PendingOpen`). Everything that can fail on bad input (the SOURCE text, the
model spec, the checkpoint) is checked before the running session is stopped, so a bad
choice leaves the window showing what it showed before, plus the error.
"""

from __future__ import annotations

import threading

from vgv_core import VideoModel, load_model
from vgv_live.window_model.background import BackgroundTask
from vgv_live.window_model.session import Outputs, Session
from vgv_live.config import LiveConfig
from vgv_live.sources import parse_source


class ModelCache:
    """The last model loaded, reused while the model, checkpoint and device stay the same."""

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._model: VideoModel | None = None
        self._lock = threading.Lock()

    def get(self, config: LiveConfig) -> VideoModel:
        key = (config.model, config.checkpoint, config.device)
        with self._lock:
            if key != self._key:
                self._model = load_model(config.model, checkpoint=config.checkpoint, device=config.device)
                self._key = key
            return self._model


def open_session(config: LiveConfig, outputs: Outputs, models: ModelCache, previous: Session | None,
                 cancelled: threading.Event) -> Session | None:
    """The new session, started; None when ``cancelled`` was set meanwhile (the window closed)."""
    source = parse_source(config.source or "")
    model = models.get(config)
    if previous is not None:
        previous.stop()
    if cancelled.is_set():
        return None
    session = Session(config, source, model, outputs)
    session.start()
    if cancelled.is_set():
        session.stop()
        return None
    return session


class PendingOpen:
    """At most one session being opened off the GUI thread: ``start`` it, poll ``finished``
    from the display timer, ``cancel`` it when the window closes."""

    def __init__(self, outputs: Outputs, models: ModelCache) -> None:
        self.outputs = outputs
        self.models = models
        self._task: BackgroundTask[Session | None] | None = None
        self._cancelled = threading.Event()

    @property
    def busy(self) -> bool:
        return self._task is not None

    def start(self, config: LiveConfig, previous: Session | None) -> bool:
        """Open ``config``, replacing ``previous``; False while another open is under way."""
        if self._task is not None:
            return False
        self._task = BackgroundTask(
            "open", lambda: open_session(config, self.outputs, self.models, previous, self._cancelled)
        )
        self._task.start()
        return True

    def finished(self) -> BackgroundTask[Session | None] | None:
        """The task once it has ended (its ``value`` or ``error``), handed over once; else None."""
        task = self._task
        if task is None or not task.done:
            return None
        self._task = None
        return task

    def cancel(self, timeout: float) -> bool:
        """Stop any open under way (a session it started is stopped); True when none runs."""
        self._cancelled.set()
        task, self._task = self._task, None
        if task is not None:
            task.join(timeout)
        return task is None or not task.is_alive()
