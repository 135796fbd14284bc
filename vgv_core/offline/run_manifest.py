"""The record of an archive run, kept beside its outputs, so that the same command run again
explains only what is not done yet.

One JSON line per video, appended and flushed to disk as each video ends: ``path`` (absolute),
``size`` and ``mtime_ns`` of the video as it was read, ``settings`` (a hash of every option
that changes the outputs), ``outputs`` (kind -> file, relative to the manifest's folder),
``status`` (``done``, ``damaged``: its decodable frames were explained, or ``failed``),
``frames``, ``seconds``, ``worker`` and ``error``. A later line for a path replaces an
earlier one; a line cut short by a crash is ignored. Opening a manifest with such lines
rewrites it with the latest line per video (atomically), so reruns do not make it grow.

A video is finished when its latest line says done or damaged (reading the same damaged
file again cannot do better), its size, mtime and settings hash are unchanged, and every
output asked for now is listed and exists. Anything else (failed, never started, cut off
mid-video, an output deleted, the file or the settings changed) is explained again.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vgv_core.atomic_file import publish, temp_path_beside
from vgv_core.errors import VideoError

MANIFEST_NAME = "vgv-manifest.jsonl"
DONE, DAMAGED, FAILED = "done", "damaged", "failed"
FINISHED = (DONE, DAMAGED)


def settings_hash(settings: dict[str, Any]) -> str:
    """A short, stable hash of ``settings`` (JSON-able values)."""
    text = json.dumps(settings, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class FileState:
    """A video file as it was when a run looked at it."""

    path: str
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> "FileState":
        """``path``'s state; raises OSError when it cannot be read."""
        stat = path.stat()
        return cls(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@dataclass(frozen=True)
class VideoRecord:
    path: str
    size: int
    mtime_ns: int
    settings: str
    status: str
    outputs: dict[str, str] = field(default_factory=dict)
    frames: int = 0
    seconds: float = 0.0
    worker: str | None = None
    error: str | None = None

    @property
    def file(self) -> FileState:
        return FileState(self.path, self.size, self.mtime_ns)


class RunManifest:
    """The manifest ``MANIFEST_NAME`` in ``folder``; created when the first video ends."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / MANIFEST_NAME
        lines = self._lines()
        self.records = self._parse(lines)
        if len(lines) > len(self.records):
            self._rewrite()

    def finished(self, state: FileState, settings: str, outputs: dict[str, Path]) -> VideoRecord | None:
        """The record of this video if it is finished for these settings and outputs, else None."""
        record = self.records.get(state.path)
        if record is None or record.status not in FINISHED or record.settings != settings or record.file != state:
            return None
        for kind, path in outputs.items():
            name = record.outputs.get(kind)
            if name is None or os.path.abspath(self.folder / name) != os.path.abspath(path) or not path.is_file():
                return None
        return record

    def add(self, record: VideoRecord) -> None:
        """Append ``record`` and flush it to disk."""
        self.records[record.path] = record
        with self._open("a") as handle:
            handle.write(json.dumps(asdict(record)) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def relative(self, outputs: dict[str, Path]) -> dict[str, str]:
        """``outputs`` as the manifest stores them: relative to its folder."""
        folder = os.path.abspath(self.folder)
        return {kind: os.path.relpath(os.path.abspath(path), folder) for kind, path in outputs.items()}

    def _lines(self) -> list[str]:
        try:
            return self.path.read_text().splitlines()
        except FileNotFoundError:
            return []
        except (OSError, UnicodeDecodeError) as exc:
            raise VideoError(f"cannot read the run manifest {self.path}: {getattr(exc, 'strerror', None) or exc}; "
                             "delete it to explain everything again") from None

    @staticmethod
    def _parse(lines: list[str]) -> dict[str, VideoRecord]:
        records: dict[str, VideoRecord] = {}
        for line in lines:
            try:
                record = VideoRecord(**json.loads(line))
            except (ValueError, TypeError):  # cut short by a crash, or not ours: that video is redone
                continue
            records[record.path] = record
        return records

    def _rewrite(self) -> None:
        temp = temp_path_beside(self.path)
        try:
            temp.write_text("".join(json.dumps(asdict(record)) + "\n" for record in self.records.values()))
            publish(temp, self.path)
        finally:
            temp.unlink(missing_ok=True)

    def _open(self, mode: str):
        try:
            return self.path.open(mode)
        except OSError as exc:
            raise VideoError(f"cannot write the run manifest {self.path}: {exc.strerror or exc}") from None
