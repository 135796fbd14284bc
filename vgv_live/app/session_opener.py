"""Opening a session: parse the source, load the model (reusing the last one), replace the old session.

Runs inside a BackgroundTask. Everything that can fail on bad input (the SOURCE text, the
model spec, the checkpoint) is checked before the running session is stopped, so a bad
choice leaves the window showing what it showed before, plus the error.
"""

from __future__ import annotations

import threading

from vgv_core import VideoModel, load_model
from vgv_live.app.session import Outputs, Session
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
