"""Camera health events written where the other events are: a line in the JSONL file and a
JSON record in the events folder, ``health_<camera>_<kind>_<local time>.json``."""

from __future__ import annotations

import time
from pathlib import Path

from vgv_core.atomic_file import write_text_atomically
from vgv_core.json_text import json_text
from vgv_live.sinks.jsonl import CameraJsonl, JsonlWriter


class HealthRecords:
    def __init__(self, jsonl: JsonlWriter | CameraJsonl | None, folder: str | Path | None) -> None:
        self.jsonl = jsonl
        self.folder = Path(folder) if folder else None

    def write(self, event: dict) -> None:
        if self.jsonl is not None:
            self.jsonl.write_record(event)
        if self.folder is not None:
            write_text_atomically(self.folder / record_name(event), json_text(event, indent=2) + "\n")


def record_name(event: dict) -> str:
    wall = event["wall_time"]
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(wall)) + f"-{int(wall % 1 * 1000):03d}"
    return f"health_{event['camera']}_{event['kind']}_{stamp}.json"
