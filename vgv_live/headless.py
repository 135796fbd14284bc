"""Headless runner: a LivePipeline with file sinks, stats on stderr, clean stop on signals.

Runs until the source ends, ``duration`` passes, or SIGINT/SIGTERM arrives; in every
case the recorder, the JSONL file and open event clips are finished before it returns.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import torch

from vgv_core import VideoModel, load_model
from vgv_core.attention_guard import AttentionGuard
from vgv_core.batching import default_window_batch
from vgv_core.errors import VideoError
from vgv_core.exits import EXIT_OK, EXIT_PART_FAILED
from vgv_core.models.loader import model_files
from vgv_core.output_paths import Output, check_outputs
from vgv_core.regions import load_regions
from vgv_core.shipped import named_regions, shipped_regions_of
from vgv_live.capture import CaptureOptions
from vgv_live.producer import ERROR, RUNNING
from vgv_live.config import LiveConfig
from vgv_live.edge.addresses import DEFAULT_CAMERA as CAMERA
from vgv_live.edge.operations import EdgeOperations
from vgv_live.pipeline import LivePipeline
from vgv_live.sinks import EventRecorder, JsonlWriter, Recorder, Sink, Snapshotter, ThresholdTrigger
from vgv_live.sinks.jsonl import CameraJsonl
from vgv_live.sinks.events import LOOKED_ELSEWHERE, LookedElsewhereTrigger, Trigger
from vgv_live.sources import FILE, Source, default_source, parse_source
from vgv_live.torch_threads import in_passing_thread
from vgv_live.worker import WorkerOptions

TICK_S = 0.1


def run_headless(config: LiveConfig, log: TextIO | None = None, settings_file: str | None = None) -> int:
    """Run ``config`` (read from ``settings_file``, if any) without a display; return the exit
    status. VGVError escapes for bad input. Stats and messages go to ``log`` (default: stderr
    at call time).
    """
    log = log or sys.stderr
    settings_files = [settings_file] if settings_file else []
    if config.cameras:
        from vgv_live.camera_set import run_cameras

        run: Callable[[EdgeOperations], int] = lambda edge: run_cameras(config, edge, log, settings_files)  # noqa: E731
    else:
        text = default_source(config.source, config.model)
        if text is None:
            raise VideoError("no SOURCE given: name a camera index, a stream URL or a video file")
        source = parse_source(text)
        check_live_outputs(config, source, settings_files)
        run = lambda edge: run_pipeline(config, source, edge, log)  # noqa: E731
    edge = EdgeOperations(config, log)  # binds --http before the model loads: a port in use fails at once
    with edge:
        code = run(edge)
    if edge.summary():
        print(f"vgv-live: {edge.summary()}", file=log, flush=True)
    return code


def run_pipeline(config: LiveConfig, source: Source, edge: EdgeOperations, log: TextIO) -> int:
    """Load the model, run the pipeline of ``source`` until done; the exit status."""
    model = in_passing_thread(load_model, config.model, checkpoint=config.checkpoint, device=config.device)
    torch.set_num_threads(config.threads or default_threads())
    target = model.spec.label_index(config.target) if config.target is not None else None
    thresholds = {model.spec.label_index(label): prob for label, prob in config.thresholds.items()}
    guard = attention_guard(config, source, model.spec.labels)
    sinks = build_sinks(config, source, thresholds, guard)
    sinks += edge.sinks_for(CAMERA, sinks)
    pipeline = build_pipeline(config, source, model, target, sinks, guard)
    edge.attach(CAMERA, pipeline)
    with stop_on_signals() as stop_requested:
        pipeline.start()
        reason = wait_until_done(pipeline, config, stop_requested, log, edge.tick)
        pipeline.stop()
    failure = pipeline.failure
    if failure is not None:
        print(f"vgv-live: error: {failure.line()}", file=log, flush=True)
        return failure.code
    print(pipeline.stats().line(), file=log, flush=True)
    print(f"vgv-live: {reason}; {summary(sinks)}", file=log, flush=True)
    if pipeline.pump is not None and pipeline.pump.results.dropped:
        print(f"vgv-live: the outputs fell behind and skipped {pipeline.pump.results.dropped} result(s)", file=log)
    missing = [sink.missing for sink in sinks if sink.missing]
    if missing:
        print(f"vgv-live: error: {'; '.join(missing)}", file=log, flush=True)
        return EXIT_PART_FAILED
    return EXIT_OK


def check_live_outputs(config: LiveConfig, source: Source, settings_files: list[str]) -> None:
    """Refuse outputs that would overwrite an input or cannot be written, before anything starts."""
    files = [Output(option, Path(path)) for option, path in (("--record", config.record), ("--jsonl", config.jsonl))
             if path]
    folders = [Output(option, Path(path)) for option, path in
               (("--events", config.events), ("--snapshots", config.snapshots)) if path]
    check_outputs(files, live_inputs(config, source, settings_files), folders)


def live_inputs(config: LiveConfig, source: Source, settings_files: list[str]) -> list[str]:
    """The files a run reads, which no output may overwrite."""
    inputs = [path for path in (config.checkpoint, config.regions and named_regions(config.regions), config.mqtt_ca,
                                *settings_files)
              if path and Path(path).is_file()] + model_files(config.model)
    return inputs + [source.target] if source.kind == FILE else inputs


def default_threads() -> int:
    """One core stays free for decoding and the sinks: intra-op threads that have to share
    cores with them spin against each other (measured 100x slower on 2 busy cores)."""
    return max(1, len(os.sched_getaffinity(0)) - 1)


def attention_guard(config: LiveConfig, source: Source, labels: tuple[str, ...]) -> AttentionGuard | None:
    """The guard of ``config.regions``, or of the regions shipped with the source (the bay
    video's); None without. A class counts as confident from its event threshold, where it has one."""
    shipped = shipped_regions_of(source.target) if source.kind == FILE else None
    path = named_regions(config.regions) if config.regions else shipped
    if path is None:
        return None
    return AttentionGuard(load_regions(path, labels), labels, config.thresholds)


def build_sinks(config: LiveConfig, source: Source, thresholds: dict[int, float], guard: AttentionGuard | None = None
                ) -> list[Sink]:
    sinks: list[Sink] = []
    if config.jsonl:
        sinks.append(JsonlWriter(config.jsonl))
    if config.record:
        sinks.append(Recorder(config.record, source.live))
    if config.events:
        triggers: list[Trigger] = [ThresholdTrigger(thresholds, config.hysteresis)]
        if guard is not None:
            triggers.append(LookedElsewhereTrigger(guard, config.hysteresis))
        sinks.append(EventRecorder(config.events, triggers, config.pre_roll, config.post_roll))
    if config.snapshots:
        sinks.append(Snapshotter(config.snapshots, config.snapshot_every))
    return sinks


def build_pipeline(
    config: LiveConfig, source: Source, model: VideoModel, target: int | None, sinks: list[Sink],
    guard: AttentionGuard | None = None,
) -> LivePipeline:
    worker_options = WorkerOptions(
        hop=config.hop, lossless=config.lossless and not source.live, target=target,
        batch=config.batch or default_window_batch(model.device),
    )
    return LivePipeline.for_model(
        source, model, config.method, config.map_size, config.exact, guard,
        capture_options=capture_options(config), worker_options=worker_options, sinks=sinks,
        ring_frames=config.ring_frames, style=config.style,
    )


def capture_options(config: LiveConfig, loop_by_default: bool = False) -> CaptureOptions:
    """How ``config``'s source is captured; files loop when asked, or by default where ``loop_by_default``."""
    return CaptureOptions(
        open_timeout_s=config.open_timeout,
        stale_timeout_s=config.stale_timeout,
        retry=config.retry,
        backoff_max_s=config.backoff_max,
        paced=not config.lossless,
        loop=config.loop if config.loop is not None else loop_by_default,
    )


def wait_until_done(pipeline: LivePipeline, config: LiveConfig, stop_requested: threading.Event, log: TextIO,
                    tick: Callable[[], None] = lambda: None) -> str:
    """Block until there is a reason to stop, calling ``tick`` every TICK_S; return the reason in words."""
    next_stats = time.monotonic() + config.stats_every
    announced = False
    while True:
        if stop_requested.wait(TICK_S):
            return "stopped by signal"
        tick()
        now = time.monotonic()
        if pipeline.producer.state == ERROR or pipeline.error:
            return "failed"
        if not announced and pipeline.producer.state == RUNNING:
            announced = True
            print(f"vgv-live: reading {pipeline.source.text}, explaining with {config.model} ({config.method})",
                  file=log, flush=True)
        if pipeline.finished:
            return "end of source"
        if config.duration is not None and now - pipeline.started_t >= config.duration:
            return f"ran for {config.duration:g} s"
        if now >= next_stats:
            next_stats = now + config.stats_every
            print(pipeline.stats().line(), file=log, flush=True)
            if pipeline.producer.error and pipeline.producer.state != ERROR:
                print(f"vgv-live: {pipeline.producer.error}", file=log, flush=True)


def summary(sinks: list[Sink]) -> str:
    parts = []
    for sink in sinks:
        if isinstance(sink, (JsonlWriter, CameraJsonl)):
            parts.append(f"{sink.path} ({sink.lines} results)")
        elif isinstance(sink, Recorder) and sink.frames_written:
            parts.append(f"{sink.path} ({sink.frames_written} frames)")
        elif isinstance(sink, EventRecorder):
            looked_elsewhere = sink.counts[LOOKED_ELSEWHERE]
            detail = f" ({looked_elsewhere} looked elsewhere)" if looked_elsewhere else ""
            parts.append(f"{sink.events} event(s){detail} in {sink.folder}")
        elif isinstance(sink, Snapshotter):
            parts.append(f"{sink.saved} snapshot(s) in {sink.folder}")
    return "wrote " + ", ".join(parts) if parts else "no outputs asked for"


@contextmanager
def stop_on_signals():
    """SIGINT and SIGTERM set the yielded event instead of killing the process."""
    requested = threading.Event()
    handler = lambda signum, frame: requested.set()  # noqa: E731
    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield requested
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
