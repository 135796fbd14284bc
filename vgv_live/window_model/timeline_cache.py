"""TimelineCache: whole-video confidence timelines on disk, keyed by video and model.

A key names the exact video file (path, size, modification time) and the exact model
(spec and weights), so a changed file or model never reads a stale timeline. Files are
written under a temporary name and renamed, so a half-written cache entry never exists.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch.nn as nn

from vgv_core import ModelSpec

FORMAT = "vgv-live-timeline-1"


@dataclass(frozen=True)
class Timeline:
    frame_indices: np.ndarray  # (n,) int64: point i is the window that ends on this frame
    probs: np.ndarray  # (n, K) float32
    frame_count: int  # frames in the video (0 while still being computed)


def timeline_key(video: Path, spec: ModelSpec, net: nn.Module, step: int) -> str:
    """A hex digest naming this video, this model (spec and weights) and this step."""
    digest = hashlib.sha256(FORMAT.encode())
    stat = video.stat()
    digest.update(json.dumps([str(video.resolve()), stat.st_size, stat.st_mtime_ns, step]).encode())
    digest.update(json.dumps(asdict(spec), sort_keys=True, default=list).encode())
    for name, tensor in net.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


class TimelineCache:
    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def load(self, key: str) -> Timeline | None:
        """The cached timeline, or None when absent or unreadable."""
        try:
            with np.load(self._path(key)) as data:
                return Timeline(data["frame_indices"], data["probs"], int(data["frame_count"]))
        except (OSError, KeyError, ValueError):
            return None

    def save(self, key: str, timeline: Timeline) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(key)
        temp = path.with_name(f".{path.name}.partial")
        with open(temp, "wb") as file:
            np.savez(file, frame_indices=timeline.frame_indices, probs=timeline.probs,
                     frame_count=np.int64(timeline.frame_count))
        os.replace(temp, path)

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.npz"
