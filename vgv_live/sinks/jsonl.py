"""JSONL sink: one line per result, flushed as it is written so `tail -f` follows it."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TextIO

from vgv_core.errors import VideoError
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
    """Whole lines only, so a reader never sees half a record; no file until the first result."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.parent.is_dir():
            raise VideoError(f"output folder {self.path.parent} does not exist")
        self._file: TextIO | None = None
        self.lines = 0

    def on_result(self, result: Result) -> None:
        if self._file is None:
            try:
                self._file = open(self.path, "w", encoding="utf-8")
            except OSError as exc:
                raise VideoError(f"cannot write {self.path}: {exc.strerror}") from None
        self._file.write(json.dumps(result_record(result)) + "\n")
        self._file.flush()
        self.lines += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
