"""The files `vgv explain` writes beside the annotated video: CSV, NPZ, JSON summary, GIF.

Every file is written under a temporary name in its destination folder and renamed into
place by `OutputSet.commit()`; `OutputSet.abort()` deletes the temporaries, so an error
or Ctrl-C leaves no partial file under a final name. Rows go to disk as they come, so
memory does not grow with the video's length.

- CSV: ``frame, time_s, top1``, then ``p_<label>`` per class; one row per frame. With an
  attention guard also ``attention_in_region`` (empty for a class bound to no region) and
  ``looked_elsewhere`` (0 or 1).
- NPZ: ``maps`` (N, h, w) uint8 heatmaps (255 = the map's 1.0) over the whole frame at
  reduced size, ``frame_index`` (N,), ``time_s`` (N,), ``probs`` (N, K) float32,
  ``labels`` (K,) and ``method``.
- JSON: the run's settings and ``segments``, maximal runs of frames with the same top-1
  class: ``label``, ``start_frame``, ``end_frame`` (inclusive), ``start_s``, ``end_s``
  (the end of the last frame, so end_s - start_s is the duration) and ``mean_prob``
  (that class's mean probability over the run). With an attention guard also
  ``looked_elsewhere``: maximal runs of frames flagged for the same class, with
  ``label``, the frame and time bounds and ``mean_attention``, and ``attention``: frames
  checked and frames flagged.
- GIF: the annotated pictures, optionally scaled to a width, through ffmpeg with one
  palette per frame (a global palette would need every frame in memory first).
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from vgv_core.errors import VideoError
from vgv_core.atomic_file import publish, temp_path_beside, writing
from vgv_core.json_text import json_text
from vgv_core.video_writer import AtomicVideoWriter


class Output(Protocol):
    def finish(self) -> None:  # complete the temporary file
        ...

    def publish(self) -> Path:  # rename it into place
        ...

    def abort(self) -> None:  # delete the temporary file; harmless once published
        ...


@dataclass(frozen=True)
class FrameAttention:
    """The attention guard's finding on one frame's map."""

    target: int  # the class checked
    share: float | None  # attention_in_region (None: the class is bound to no region)
    looked_elsewhere: bool


class CsvWriter:
    def __init__(self, path: Path, labels: Sequence[str], attention: bool = False) -> None:
        self.path, self.labels = path, tuple(labels)
        self._temp = temp_path_beside(path)
        self._file = self._temp.open("w", newline="")
        self._rows = csv.writer(self._file)
        guard_columns = ["attention_in_region", "looked_elsewhere"] if attention else []
        self._rows.writerow(["frame", "time_s", "top1", *(f"p_{label}" for label in self.labels), *guard_columns])

    def write(self, index: int, time_s: float, probs: np.ndarray, attention: FrameAttention | None = None) -> None:
        top1 = self.labels[int(np.argmax(probs))]
        guard = [] if attention is None else [
            "" if attention.share is None else f"{attention.share:.4f}", int(attention.looked_elsewhere)]
        with writing(self.path):
            self._rows.writerow([index, f"{time_s:.4f}", top1, *(f"{p:.5f}" for p in probs), *guard])

    def finish(self) -> None:
        with writing(self.path):
            self._file.close()

    def publish(self) -> Path:
        return publish(self._temp, self.path)

    def abort(self) -> None:
        self._file.close()
        self._temp.unlink(missing_ok=True)


class _RowStream:
    """Rows of one dtype and shape appended to an anonymous file, then stored as one .npy entry."""

    def __init__(self, name: str, dtype: np.dtype | type, row_shape: tuple[int, ...] = ()) -> None:
        self.name, self.dtype, self.row_shape = name, np.dtype(dtype), row_shape
        self.rows = 0
        self._file = tempfile.TemporaryFile()

    def append(self, row: Any) -> None:
        self._file.write(np.ascontiguousarray(row, dtype=self.dtype).tobytes())
        self.rows += 1

    def store(self, archive: zipfile.ZipFile) -> None:
        header = {"descr": np.lib.format.dtype_to_descr(self.dtype), "fortran_order": False,
                  "shape": (self.rows, *self.row_shape)}
        with archive.open(f"{self.name}.npy", "w", force_zip64=True) as entry:
            np.lib.format.write_array_header_1_0(entry, header)
            self._file.seek(0)
            shutil.copyfileobj(self._file, entry)

    def close(self) -> None:
        self._file.close()


class NpzWriter:
    def __init__(self, path: Path, map_size: tuple[int, int], labels: Sequence[str], method: str) -> None:
        self.path, self.labels, self.method = path, tuple(labels), method
        self._temp = temp_path_beside(path)
        self._maps = _RowStream("maps", np.uint8, map_size)
        self._index = _RowStream("frame_index", np.int64)
        self._time = _RowStream("time_s", np.float64)
        self._probs = _RowStream("probs", np.float32, (len(self.labels),))
        self._streams = (self._maps, self._index, self._time, self._probs)

    def write(self, index: int, time_s: float, probs: np.ndarray, heatmap: np.ndarray) -> None:
        with writing(self.path):
            self._maps.append(heatmap)
            self._index.append(index)
            self._time.append(time_s)
            self._probs.append(probs)

    def finish(self) -> None:
        with writing(self.path), zipfile.ZipFile(self._temp, "w", zipfile.ZIP_DEFLATED) as archive:
            for stream in self._streams:
                stream.store(archive)
            _store_array(archive, "labels", np.array(self.labels))
            _store_array(archive, "method", np.array(self.method))
        self._close_streams()

    def publish(self) -> Path:
        return publish(self._temp, self.path)

    def abort(self) -> None:
        self._close_streams()
        self._temp.unlink(missing_ok=True)

    def _close_streams(self) -> None:
        for stream in self._streams:
            stream.close()


def _store_array(archive: zipfile.ZipFile, name: str, array: np.ndarray) -> None:
    buffer = io.BytesIO()
    np.save(buffer, array)
    archive.writestr(f"{name}.npy", buffer.getvalue())


class SummaryWriter:
    """Segments of constant top-1 class (and runs that looked elsewhere), written as JSON with
    ``settings`` on close."""

    def __init__(self, path: Path, labels: Sequence[str], fps: float, settings: dict[str, Any]) -> None:
        self.path, self.labels, self.fps, self.settings = path, tuple(labels), fps, settings
        self._temp = temp_path_beside(path)
        self.segments: list[dict[str, Any]] = []
        self.frames = 0
        self._sum = 0.0
        self.notes: dict[str, Any] = {}  # what is known only at the end, e.g. decode trouble
        self.attention: _AttentionRuns | None = None

    def write(self, index: int, time_s: float, probs: np.ndarray, attention: FrameAttention | None = None) -> None:
        if attention is not None:
            self.attention = self.attention or _AttentionRuns(self.labels, self.fps)
            self.attention.add(index, time_s, attention)
        top1 = int(np.argmax(probs))
        current = self.segments[-1] if self.segments else None
        if current is None or current["label"] != self.labels[top1]:
            self._finish_segment()
            current = {"label": self.labels[top1], "start_frame": index, "start_s": round(time_s, 4)}
            self.segments.append(current)
            self._sum = 0.0
        current["end_frame"] = index
        current["end_s"] = round(time_s + 1 / self.fps, 4)
        self._sum += float(probs[top1])
        current["frames"] = current["end_frame"] - current["start_frame"] + 1
        self.frames += 1

    def _finish_segment(self) -> None:
        if self.segments:
            last = self.segments[-1]
            last["mean_prob"] = round(self._sum / last["frames"], 5)

    def finish(self) -> None:
        self._finish_segment()
        document = {**self.settings, **self.notes, "frames": self.frames, "labels": list(self.labels),
                    "segments": self.segments}
        if self.attention is not None:
            document |= self.attention.summary()
        with writing(self.path):
            self._temp.write_text(json_text(document, indent=2) + "\n")

    def publish(self) -> Path:
        return publish(self._temp, self.path)

    def abort(self) -> None:
        self._temp.unlink(missing_ok=True)


class _AttentionRuns:
    """Maximal runs of consecutive frames that looked elsewhere for the same class."""

    def __init__(self, labels: tuple[str, ...], fps: float) -> None:
        self.labels, self.fps = labels, fps
        self.runs: list[dict[str, Any]] = []
        self.checked = 0
        self.flagged = 0
        self._open: dict[str, Any] | None = None
        self._shares: list[float] = []

    def add(self, index: int, time_s: float, attention: FrameAttention) -> None:
        self.checked += attention.share is not None
        if not attention.looked_elsewhere:
            self._close()
            return
        self.flagged += 1
        label = self.labels[attention.target]
        if self._open is None or self._open["label"] != label or self._open["end_frame"] != index - 1:
            self._close()
            self._open = {"label": label, "start_frame": index, "start_s": round(time_s, 4)}
        self._open.update(end_frame=index, end_s=round(time_s + 1 / self.fps, 4))
        self._shares.append(attention.share)

    def summary(self) -> dict[str, Any]:
        self._close()
        return {"attention": {"frames_checked": self.checked, "frames_looked_elsewhere": self.flagged},
                "looked_elsewhere": self.runs}

    def _close(self) -> None:
        if self._open is not None:
            self._open["frames"] = len(self._shares)
            self._open["mean_attention"] = round(float(np.mean(self._shares)), 4)
            self.runs.append(self._open)
        self._open, self._shares = None, []


class GifWriter(AtomicVideoWriter):
    """An animated GIF through ffmpeg, scaled to ``width`` pixels wide when given."""

    def __init__(self, path: Path, fps: float, size: tuple[int, int], width: int | None = None) -> None:
        if shutil.which("ffmpeg") is None:
            raise VideoError("GIF output needs the ffmpeg program; install it or leave out --gif")
        self.scaled_width = width
        super().__init__(path, fps, size, codec="h264")

    def _open_ffmpeg(self) -> subprocess.Popen:
        scale = f"scale={self.scaled_width}:-1:flags=lanczos," if self.scaled_width else ""
        graph = f"{scale}split[a][b];[a]palettegen=stats_mode=single[p];[b][p]paletteuse=new=1"
        command = [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{self.width}x{self.height}", "-r", f"{self.fps:.6g}",
            "-i", "-", "-an", "-filter_complex", graph, "-loop", "0", "-f", "gif", str(self._temp),
        ]
        # A session of its own: a Ctrl-C on the terminal reaches only us, and we abort it.
        return subprocess.Popen(command, stdin=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)


class OutputSet:
    """Every output of one input: commit() completes them all, then publishes them all;
    abort() drops them. So a failure while any of them is written (a full disk) leaves
    none of them, and each final name holds a complete file or nothing."""

    def __init__(self) -> None:
        self._outputs: list[Output] = []

    def add(self, output: Output) -> Output:
        self._outputs.append(output)
        return output

    def commit(self) -> None:
        for output in self._outputs:
            output.finish()
        for output in self._outputs:
            output.publish()

    def abort(self) -> None:
        for output in self._outputs:
            output.abort()
