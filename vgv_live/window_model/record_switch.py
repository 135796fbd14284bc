"""RecordSwitch: a sink that records annotated frames while the window has recording on.

The window flips the switch from the GUI thread; the sink thread opens and finishes the
files, so the GUI never waits for the encoder. Each on/off span is one MP4, published
under its name when finished (the engine's Recorder writes atomically). ``close()``
finishes a recording that is still running: closing the window keeps the file.
"""

from __future__ import annotations

import threading
from pathlib import Path

from vgv_core.errors import VGVError
from vgv_live.result import Result
from vgv_live.sinks import AnnotatedFrame, Recorder, Sink


class RecordSwitch(Sink):
    wants_frames = True

    def __init__(self, path: str | Path | None = None, live: bool = False) -> None:
        self.live = live  # the source is live: each recording measures its frame rate (Recorder)
        self._lock = threading.Lock()
        self._wanted: Path | None = Path(path) if path else None
        self._recorder: Recorder | None = None
        self.saved: tuple[Path, int] | None = None  # the last finished file and its frame count
        self.error: str | None = None

    # -- GUI thread -------------------------------------------------------------------------

    def switch(self, path: str | Path | None) -> None:
        """Record into ``path`` from the next frame on; None stops (the file is finished)."""
        with self._lock:
            self._wanted = Path(path) if path else None
            self.error = None

    @property
    def recording(self) -> Path | None:
        with self._lock:
            return self._wanted

    @property
    def frames_written(self) -> int:
        """Frames in the recording that is running (0 when none)."""
        recorder = self._recorder
        return recorder.frames_written if recorder is not None else 0

    # -- sink thread ------------------------------------------------------------------------

    def on_frame(self, frame: AnnotatedFrame) -> None:
        self._follow_switch()
        if self._recorder is not None:
            self._recorder.on_frame(frame)

    def on_result(self, result: Result) -> None:
        self._follow_switch()

    def close(self) -> None:
        self.switch(None)
        self._follow_switch()

    def _follow_switch(self) -> None:
        with self._lock:
            wanted = self._wanted
        if self._recorder is not None and self._recorder.path != wanted:
            self._finish()
        if wanted is not None and self._recorder is None:
            try:
                self._recorder = Recorder(wanted, self.live)
            except VGVError as exc:
                with self._lock:
                    self._wanted, self.error = None, str(exc)

    def _finish(self) -> None:
        recorder, self._recorder = self._recorder, None
        recorder.close()
        if recorder.frames_written:
            self.saved = (recorder.path, recorder.frames_written)
