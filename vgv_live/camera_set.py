"""Several cameras in one headless run (``vgv-live SRC1 SRC2 ... --headless`` or ``[[cameras]]``).

One model is loaded per distinct model spec and shared by the cameras that use it, with one
CameraWorker each: every pass explains the newest window of each ready camera as one batch.
Each camera keeps its own LivePipeline (producer with its reconnect state machine, ring,
sinks, stats), so a camera that dies, hangs or sends garbage only reconnects itself. A camera
whose source fails for good is reported once and the others go on; the run's exit code is
then that camera's (1: the source could not be opened). Files play in real time, as cameras.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import torch

from vgv_core import VideoModel, load_model
from vgv_core.exits import EXIT_OK, EXIT_PART_FAILED
from vgv_core.output_paths import Output, check_folder, check_outputs
from vgv_live.camera_worker import CameraWorker
from vgv_live.cameras import Camera, cameras_of
from vgv_live.clip_explainer import ClipExplainer
from vgv_live.config import LiveConfig
from vgv_live.edge.operations import EdgeOperations
from vgv_live.headless import (
    TICK_S, attention_guard, build_sinks, capture_options, default_threads, live_inputs, stop_on_signals, summary,
)
from vgv_live.pipeline import LivePipeline
from vgv_live.producer import RUNNING
from vgv_live.sinks import JsonlWriter, Sink
from vgv_live.sinks.jsonl import CameraJsonl
from vgv_live.sources import Source, default_source, parse_source
from vgv_live.torch_threads import in_passing_thread
from vgv_live.worker import WorkerOptions


@dataclass
class CameraRun:
    camera: Camera
    source: Source
    pipeline: LivePipeline | None = None
    sinks: list[Sink] | None = None
    announced: bool = False
    failure_said: bool = False

    @property
    def name(self) -> str:
        return self.camera.name


class CameraSet:
    """The cameras of ``config`` built and run together: their models, batched workers and pipelines.

    The headless run gives them outputs (``shared_jsonl``, ``edge``); the window's grid none."""

    def __init__(self, config: LiveConfig, shared_jsonl: JsonlWriter | None = None,
                 edge: EdgeOperations | None = None, runs: list[CameraRun] | None = None) -> None:
        self.runs = runs if runs is not None else camera_runs(config)
        self.workers = build(config, self.runs, shared_jsonl, edge)

    def start(self, warm_up_timeout: float = 300.0) -> None:
        """Warm every model up, then start the cameras (no frame waits on a warm-up)."""
        for worker in self.workers:
            worker.start()
        for worker in self.workers:
            worker.ready.wait(warm_up_timeout)
        for run in self.runs:
            run.pipeline.start()

    def stop(self) -> bool:
        """Stop the cameras' producers, then the workers (a pass under way still publishes), then
        let every camera's outputs finish; True when every thread ended."""
        pipelines = [run.pipeline for run in self.runs if run.pipeline is not None]
        stopped = all([pipeline.producer.stop() for pipeline in pipelines])
        stopped &= all([worker.stop() for worker in self.workers])
        return all([pipeline.stop() for pipeline in pipelines]) and stopped


def camera_runs(config: LiveConfig) -> list[CameraRun]:
    return [CameraRun(camera, parse_source(default_source(camera.config.source, camera.config.model)))
            for camera in cameras_of(config)]


def run_cameras(config: LiveConfig, edge: EdgeOperations, log: TextIO, settings_files: list[str]) -> int:
    """Run every camera of ``config`` until all ended, ``duration`` passed or a signal came; the exit status."""
    runs = camera_runs(config)
    shared_jsonl = prepare_outputs(config, runs, settings_files)
    try:
        cameras = CameraSet(config, shared_jsonl, edge, runs)
        try:
            with stop_on_signals() as stop_requested:
                cameras.start()
                reason = watch(config, cameras.runs, stop_requested, log, edge.tick)
        finally:
            cameras.stop()
    finally:
        if shared_jsonl is not None:
            shared_jsonl.close()
    return report(cameras.runs, cameras.workers, reason, log)


def prepare_outputs(config: LiveConfig, runs: list[CameraRun], settings_files: list[str]) -> JsonlWriter | None:
    """Check every camera's outputs against every input, make the per-camera folders; the shared JSONL."""
    folders = [Output(option, Path(path)) for option, path in
               (("--events", config.events), ("--snapshots", config.snapshots)) if path]
    for folder in folders:
        check_folder(folder)
    shared = config.jsonl if config.jsonl and "{camera}" not in config.jsonl else None
    files = [Output("--jsonl", Path(shared))] if shared else []
    inputs: list[str] = []
    for run in runs:
        own = run.camera.config
        files += [Output(f"{option} (camera {run.name})", Path(path))
                  for option, path in (("--record", own.record), ("--jsonl", own.jsonl)) if path]
        inputs += live_inputs(own, run.source, settings_files)
    check_outputs(files, inputs)
    for run in runs:
        for folder in (run.camera.config.events, run.camera.config.snapshots):
            if folder:
                Path(folder).mkdir(exist_ok=True)
    return JsonlWriter(shared) if shared else None


def build(config: LiveConfig, runs: list[CameraRun], shared_jsonl: JsonlWriter | None,
          edge: EdgeOperations | None) -> list[CameraWorker]:
    """One model and CameraWorker per distinct model, one explainer per model and method, a pipeline per camera."""
    models: dict[tuple, VideoModel] = {}
    explainers: dict[tuple, ClipExplainer] = {}
    for run in runs:
        own = run.camera.config
        key = (own.model, own.checkpoint)
        if key not in models:
            models[key] = in_passing_thread(load_model, own.model, checkpoint=own.checkpoint, device=own.device)
        if key + (own.method,) not in explainers:
            explainers[key + (own.method,)] = ClipExplainer(models[key], own.method, own.map_size, own.exact)
    torch.set_num_threads(config.threads or default_threads())
    workers = {}
    for key, model in models.items():
        target = model.spec.label_index(config.target) if config.target is not None else None
        workers[key] = CameraWorker([e for k, e in explainers.items() if k[:2] == key], target)
    for run in runs:
        own = run.camera.config
        key = (own.model, own.checkpoint)
        explainer = explainers[key + (own.method,)]
        run.pipeline, run.sinks = camera_pipeline(run, explainer, workers[key], shared_jsonl, edge)
    return list(workers.values())


def camera_pipeline(run: CameraRun, explainer: ClipExplainer, worker: CameraWorker, shared_jsonl: JsonlWriter | None,
                    edge: EdgeOperations | None) -> tuple[LivePipeline, list[Sink]]:
    own, spec = run.camera.config, explainer.model.spec
    thresholds = {spec.label_index(label): prob for label, prob in own.thresholds.items()}
    guard = attention_guard(own, run.source, spec.labels)
    sinks = build_sinks(own, run.source, thresholds, guard)
    if shared_jsonl is not None:
        sinks.append(CameraJsonl(shared_jsonl, run.name))
    if edge is not None:
        sinks += edge.sinks_for(run.name, sinks)
    pipeline = LivePipeline(
        run.source, explainer, capture_options(own), WorkerOptions(hop=own.hop), sinks=sinks,
        ring_frames=own.ring_frames, style=own.style, regions=guard.regions if guard else None,
        worker=lambda ring: worker.lane(run.name, ring, explainer, own.hop, guard),
    )
    if edge is not None:
        edge.attach(run.name, pipeline)
    return pipeline, sinks


def watch(config: LiveConfig, runs: list[CameraRun], stop_requested: threading.Event, log: TextIO,
          tick: Callable[[], None]) -> str:
    """Say what each camera does until there is a reason to stop; return it in words."""
    started = time.monotonic()
    next_stats = started + config.stats_every
    while True:
        if stop_requested.wait(TICK_S):
            return "stopped by signal"
        tick()
        now = time.monotonic()
        for run in runs:
            announce(run, config, log)
        if all(run.pipeline.finished or run.pipeline.failure for run in runs):
            return "every camera ended"
        if config.duration is not None and now - started >= config.duration:
            return f"ran for {config.duration:g} s"
        if now >= next_stats:
            next_stats = now + config.stats_every
            for run in runs:
                print(f"{run.name}: {run.pipeline.stats().line()}", file=log, flush=True)


def announce(run: CameraRun, config: LiveConfig, log: TextIO) -> None:
    """Once: the camera runs, or why it failed (the others go on)."""
    producer = run.pipeline.producer
    if not run.announced and producer.state == RUNNING:
        run.announced = True
        own = run.camera.config
        print(f"vgv-live: camera {run.name}: reading {run.source.text}, explaining with {own.model} ({own.method})",
              file=log, flush=True)
    failure = run.pipeline.failure
    if failure is not None and not run.failure_said:
        run.failure_said = True
        print(f"vgv-live: camera {run.name}: error: {failure.line()}", file=log, flush=True)


def report(runs: list[CameraRun], workers: list[CameraWorker], reason: str, log: TextIO) -> int:
    """Each camera's stats and outputs; the exit status (the first failed camera's code, else 0)."""
    codes = []
    for run in runs:
        failure = run.pipeline.failure
        if failure is not None:
            codes.append(failure.code)
            continue
        print(f"{run.name}: {run.pipeline.stats().line()}", file=log, flush=True)
        print(f"vgv-live: camera {run.name}: {summary(run.sinks)}", file=log, flush=True)
        missing = [sink.missing for sink in run.sinks if sink.missing]
        if missing:
            print(f"vgv-live: camera {run.name}: error: {'; '.join(missing)}", file=log, flush=True)
            codes.append(EXIT_PART_FAILED)
    passes = sum(worker.passes for worker in workers)
    results = sum(run.pipeline.worker.results for run in runs)
    print(f"vgv-live: {reason}; {len(runs)} cameras, {results} results in {passes} batched passes", file=log,
          flush=True)
    return codes[0] if codes else EXIT_OK
