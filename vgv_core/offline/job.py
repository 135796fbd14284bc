"""Explaining one recorded video into its outputs: the library call behind `vgv explain`."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from vgv_core.atomic_file import remove_stale_temporaries
from vgv_core.attention_guard import AttentionGuard
from vgv_core.errors import VGVError, VideoError
from vgv_core.offline.outputs import CsvWriter, GifWriter, NpzWriter, OutputSet, SummaryWriter
from vgv_core.offline.pipeline import run_pipeline
from vgv_core.offline.sink import FrameSink, Look, reduced_size
from vgv_core.offline.window_explainer import WindowExplainer
from vgv_core.output_paths import Output
from vgv_core.progress import Progress
from vgv_core.render.annotate import Annotator, picture_width
from vgv_core.video_reader import VideoInfo, VideoReader
from vgv_core.video_writer import AtomicVideoWriter


# (label, expected frames or None, quiet) -> the bar a video's frames are counted on
ProgressFactory = Callable[[str, int | None, bool], Progress]


@dataclass(frozen=True)
class OutputPaths:
    video: Path | None = None
    csv: Path | None = None
    npz: Path | None = None
    json: Path | None = None
    gif: Path | None = None

    def named(self) -> list[Output]:
        """Each output asked for, with the option that asked for it."""
        options = {"video": "-o", "csv": "--csv", "npz": "--npz", "json": "--json", "gif": "--gif"}
        return [Output(option, getattr(self, name)) for name, option in options.items() if getattr(self, name)]


@dataclass(frozen=True)
class Selection:
    """Which frames to explain: from ``start_s`` to before ``end_s``, at most ``max_frames``."""

    start_s: float = 0.0
    end_s: float | None = None
    max_frames: int | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.start_s) and self.start_s >= 0):
            raise VGVError(f"--start must be a time >= 0 in seconds, got {self.start_s}")
        if self.end_s is not None and not self.end_s > self.start_s:
            raise VGVError(f"--end ({self.end_s} s) must come after --start ({self.start_s} s)")
        if self.max_frames is not None and self.max_frames < 1:
            raise VGVError(f"--max-frames must be at least 1, got {self.max_frames}")

    def frames(self, info: VideoInfo) -> tuple[int, int | None]:
        """[first, stop) frame indices of ``info``'s video; stop None = to the end."""
        first = round(self.start_s * info.fps)
        stop = round(self.end_s * info.fps) if self.end_s is not None else None
        if self.max_frames is not None:
            stop = first + self.max_frames if stop is None else min(stop, first + self.max_frames)
        if info.frame_count is not None and first >= info.frame_count:
            raise VideoError(
                f"--start {self.start_s:g} s is past the end of {info.path} ({info.frame_count / info.fps:.2f} s)"
            )
        return first, stop


@dataclass(frozen=True)
class Options:
    look: Look = Look()
    selection: Selection = Selection()
    gif_width: int | None = None
    pipelined: bool = True
    quiet: bool = False
    guard: AttentionGuard | None = None  # the attention guard's regions (vgv_core.attention_guard)


@dataclass(frozen=True)
class VideoOutcome:
    path: Path
    frames: int
    fps: float
    seconds: float
    missing_frames: int = 0  # frames the container promised but that could not be decoded
    fps_note: str | None = None


def explain_video(
    path: Path, outputs: OutputPaths, engine: WindowExplainer, options: Options, settings: dict[str, Any],
    progress: ProgressFactory = Progress,
) -> VideoOutcome:
    """Explain every selected frame of ``path`` into ``outputs``; all are published together
    at the end, or none (an error or KeyboardInterrupt removes the temporary files).
    ``progress`` makes the bar counting the frames (a cluster worker's reports them instead)."""
    started = time.monotonic()
    with VideoReader(path) as reader:
        info = reader.info
        if options.guard is not None:
            options.guard.regions.check_frame(info.width, info.height)
        first, stop = options.selection.frames(info)
        progress_bar = progress(path.name, _expected_frames(info, first, stop), options.quiet)
        files = OutputSet()
        try:
            sink = _open_sink(files, engine, info, outputs, options, progress_bar, settings)
            on_gpu = engine.preprocessor.device.type != "cpu"
            decoded = reader.frames(first, stop)
            frames = run_pipeline(decoded, engine.run, sink, options.pipelined, explain_thread=on_gpu)
            if sink.summary is not None:
                sink.summary.notes = {"missing_frames": reader.missing_frames, "fps_note": info.fps_note}
            files.commit()
        except BaseException:
            files.abort()
            for output in outputs.named():  # also a temporary whose writer an interrupt cut short in its making
                remove_stale_temporaries(output.path)
            raise
        finally:
            progress_bar.close()
    return VideoOutcome(path, frames, info.fps, time.monotonic() - started, reader.missing_frames, info.fps_note)


def _open_sink(
    files: OutputSet,
    engine: WindowExplainer,
    info: VideoInfo,
    outputs: OutputPaths,
    options: Options,
    progress: Progress,
    settings: dict[str, Any],
) -> FrameSink:
    labels = engine.spec.labels
    width = picture_width(info.width, options.look.layout)
    annotator = Annotator(labels, width, options.look.style.colormap)
    size = (width, info.height + annotator.height)
    sink = FrameSink(
        preprocessor=engine.preprocessor,
        annotator=annotator,
        look=options.look,
        fps=info.fps,
        caption=engine.method if engine.target is None else f"{engine.method} for {labels[engine.target]}",
        progress=progress,
        guard=options.guard,
        target=engine.target,
    )
    if outputs.video:
        sink.video = files.add(_writable(AtomicVideoWriter, outputs.video, info.fps, size))
    if outputs.gif:
        sink.gif = files.add(_writable(GifWriter, outputs.gif, info.fps, size, options.gif_width))
    if outputs.csv:
        sink.csv = files.add(CsvWriter(outputs.csv, labels, attention=options.guard is not None))
    if outputs.npz:
        map_size = reduced_size((info.height, info.width))
        sink.npz = files.add(NpzWriter(outputs.npz, map_size, labels, engine.method))
    if outputs.json:
        document = {"input": str(info.path), "fps": info.fps, **settings}
        sink.summary = files.add(SummaryWriter(outputs.json, labels, info.fps, document))
    return sink


def _writable(writer: type, path: Path, *args: Any) -> Any:
    """Open a video writer, turning the OS's refusal into an error that names the folder."""
    try:
        return writer(path, *args)
    except OSError as exc:
        raise VideoError(f"cannot write into {path.parent}: {exc.strerror or exc}") from None


def _expected_frames(info: VideoInfo, first: int, stop: int | None) -> int | None:
    end = info.frame_count if stop is None else stop if info.frame_count is None else min(stop, info.frame_count)
    return None if end is None else max(0, end - first)
