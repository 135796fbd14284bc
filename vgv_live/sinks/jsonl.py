"""JSONL sink: one line per result, flushed as it is written so `tail -f` follows it."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from vgv_core.atomic_file import writing
from vgv_core.errors import VideoError
from vgv_core.json_text import json_text
from vgv_live.result import Result
from vgv_live.sinks.sink import Sink


def result_record(result: Result) -> dict:
    label, prob = result.top
    timings = result.timings
    return {
        "seq": result.seq,
        "wall_time": round(time.time() - (time.monotonic() - timings.done_t), 3),
        "frame_ids": [int(result.frame_ids[0]), int(result.frame_ids[-1])],
        "top": label,
        "top_prob": round(prob, 5),
        "target": result.labels[result.target],
        "method": result.method,
        "probs": {name: round(float(p), 5) for name, p in zip(result.labels, result.probs)},
        "latency_ms": round(result.latency_s * 1000, 1),
        "preprocess_ms": round(timings.preprocess_s * 1000, 1),
        "explain_ms": round(timings.explain_s * 1000, 1),
        "attention_in_region": None if result.attention_in_region is None else round(result.attention_in_region, 4),
        "looked_elsewhere": result.looked_elsewhere,
    }


class JsonlWriter(Sink):
    """Whole lines only: a line the disk did not take completely is cut off again, so a reader
    never sees half a record. The file appears with the first result, or empty at close.

    Besides results, camera events (``write_record``: a record with a ``kind``, such as a
    camera going offline) come from other threads; a lock keeps the lines whole."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.parent.is_dir():
            raise VideoError(f"output folder {self.path.parent} does not exist")
        self._fd: int | None = None
        self._closed = False
        self._lock = threading.Lock()
        self.lines = 0  # results written

    def on_result(self, result: Result) -> None:
        if self._write(result_record(result)):
            self.lines += 1

    def write_record(self, record: dict) -> bool:
        """One line for ``record`` (any thread); False once the file is closed."""
        return self._write(record)

    def close(self) -> None:
        with self._lock, writing(self.path):
            self._open()
            os.close(self._fd)
            self._closed = True

    def _write(self, record: dict) -> bool:
        line = (json_text(record) + "\n").encode("utf-8")
        with self._lock, writing(self.path):
            if self._closed:
                return False
            self._open()
            end = os.lseek(self._fd, 0, os.SEEK_END)
            try:
                written = 0
                while written < len(line):
                    written += os.write(self._fd, line[written:])
            except OSError:
                os.ftruncate(self._fd, end)
                raise
        return True

    def _open(self) -> None:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)


class CameraJsonl(Sink):
    """One camera's lines in a JSONL file that the run's cameras share: each line says its
    ``camera``. The shared writer is closed by the run once every camera is done."""

    def __init__(self, writer: JsonlWriter, camera: str) -> None:
        self.writer = writer
        self.camera = camera
        self.lines = 0  # this camera's results

    @property
    def path(self) -> Path:
        return self.writer.path

    def on_result(self, result: Result) -> None:
        if self.write_record(result_record(result)):
            self.lines += 1

    def write_record(self, record: dict) -> bool:
        return self.writer.write_record({"camera": self.camera, **record})
