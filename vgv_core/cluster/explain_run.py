"""`vgv explain --ray`: the driver of an archive run.

It plans (which videos the run manifest already has as finished: those are skipped), joins
or starts the cluster only when something is left to do, has one ExplainWorker per worker
slot load the model, gives each video to a worker as one task, and records every video in
the manifest as it ends (done, damaged or failed with its error; the others go on).
Stderr: one bar for the run, a line per failed or damaged video, a summary line. With
``--json FOLDER`` the run's summary, with each worker's videos, frames and frames per
second, goes to ``FOLDER/vgv-run.json`` beside the per-video summaries.

Exit codes as in one process: 1 when a video failed (this run; a rerun retries it), else 3
when a video is damaged (this run or before), else 0.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from vgv_core.cluster.connection import ClusterSpec, connected, require_ray
from vgv_core.cluster.explain_worker import ExplainWorker, VideoResult
from vgv_core.cluster.run_progress import RunProgress
from vgv_core.cluster.workers import WorkerPool, WorkerState, worker_layout
from vgv_core.commands.explain import (
    EXIT_DAMAGED,
    EXIT_OK,
    EXIT_SOME_FAILED,
    failure_message,
    output_arguments,
    output_paths,
    output_settings,
    prepare_folders,
    report_outcome,
    say,
)
from vgv_core.errors import VGVError
from vgv_core.atomic_file import write_atomically
from vgv_core.offline.inputs import VIDEO_SUFFIXES, Video
from vgv_core.offline.job import Options, OutputPaths
from vgv_core.output_paths import Output
from vgv_core.offline.run_manifest import DAMAGED, DONE, FAILED, FileState, RunManifest, VideoRecord, settings_hash
from vgv_core.progress import clock

RUN_SUMMARY_NAME = "vgv-run.json"


@dataclass(frozen=True)
class Planned:
    video: Video
    outputs: OutputPaths
    state: FileState

    @property
    def files(self) -> dict[str, Path]:
        return {kind: path for kind, path in vars(self.outputs).items() if path is not None}


def explain_archive(args: argparse.Namespace, method: str, videos: list[Video], options: Options,
                    folders: list[Output]) -> int:
    """Explain ``videos`` on the cluster ``args.ray`` names into ``folders`` (checked by the caller)."""
    spec = ClusterSpec.parse(args.ray)
    require_ray()
    threads = 1 if args.threads is None else args.threads
    plans = [(video, output_paths(video, args, several=True)) for video in videos]
    folder, summary = _output_places(args, plans)
    run = ArchiveRun(RunManifest(folder), settings_hash(output_settings(args, method)), args.quiet)
    todo = run.plan(plans)
    workers: list[WorkerState] = []
    if todo:
        cpus = None if spec.local_workers is None else spec.local_workers * threads
        with connected(spec, cpus) as ray:
            nodes = [node["Resources"] for node in ray.nodes() if node["Alive"]]
            layout = worker_layout(nodes, args.device, threads, spec.local_workers)
            name = f"vgv-explain-{uuid.uuid4().hex[:8]}"
            pool = WorkerPool(ray, ExplainWorker, layout, name, args, method, replace(options, quiet=True), threads)
            workers = pool.workers
            pool.wait_loaded()
            prepare_folders(folders)
            run.start(todo)
            pool.run(todo, lambda k, item: pool.call(k, "explain", item.video.path, item.outputs), run.finished,
                     lambda: run.tick(pool.workers))
    return run.close(workers, summary, spec, threads)


def _output_places(args: argparse.Namespace, plans: list[tuple[Video, OutputPaths]]) -> tuple[Path, Path | None]:
    """The manifest's folder (-o's, else the first output folder) and the run summary's file."""
    if args.output is not None and Path(args.output).suffix.lower() in VIDEO_SUFFIXES:
        raise VGVError(f"with --ray, -o names a folder for the videos, not a file: {args.output}")
    summary = None if args.json is None else Path(args.json) / RUN_SUMMARY_NAME
    if summary is not None and any(paths.json == summary for _, paths in plans):
        raise VGVError(f"a video's JSON summary would be {summary}, the run's own summary: rename that video")
    return Path(output_arguments(args)[0]), summary


class ArchiveRun:
    """The bookkeeping of one run: manifest records, the bar, per-worker tallies."""

    def __init__(self, manifest: RunManifest, settings: str, quiet: bool) -> None:
        self.manifest, self.settings, self.quiet = manifest, settings, quiet
        self.started = time.monotonic()
        self.skipped: list[VideoRecord] = []
        self.failures: list[dict[str, str]] = []
        self.explained: list[tuple[int, VideoRecord]] = []  # (worker, record)
        self.ended: set[str] = set()  # videos of this run that ended, as given to the workers
        self.sizes: dict[str, int] = {}
        self.bar: RunProgress | None = None
        self.bytes_done = 0

    def plan(self, plans: list[tuple[Video, OutputPaths]]) -> list[Planned]:
        """The videos left to do; the finished ones are counted as skipped."""
        todo = []
        for video, outputs in plans:
            try:
                state = FileState.of(video.path)
            except OSError as exc:
                self._fail(video.path, f"cannot read the video: {exc.strerror or exc}")
                continue
            item = Planned(video, outputs, state)
            done = self.manifest.finished(state, self.settings, item.files)
            if done is not None:
                self.skipped.append(done)
            else:
                todo.append(item)
        return todo

    def start(self, todo: list[Planned]) -> None:
        self.sizes = {str(item.video.path): item.state.size for item in todo}
        self.bar = RunProgress("explain", len(todo), sum(self.sizes.values()), self.quiet)

    def finished(self, item: Planned, worker: int, result: VideoResult | BaseException) -> None:
        state = item.state
        if isinstance(result, BaseException) or result.outcome is None:
            error = str(result).splitlines()[0] if isinstance(result, BaseException) else result.error
            record = VideoRecord(state.path, state.size, state.mtime_ns, self.settings, FAILED, error=error)
            self._fail(item.video.path, error)
        else:
            outcome = result.outcome
            record = VideoRecord(state.path, state.size, state.mtime_ns, self.settings,
                                 DAMAGED if outcome.missing_frames else DONE, self.manifest.relative(item.files),
                                 outcome.frames, round(outcome.seconds, 3), worker=f"{worker}/{result.pid}")
            self.explained.append((worker, record))
            if outcome.missing_frames or outcome.fps_note:
                self._clear_bar()
                report_outcome(outcome, quiet=True)
        self.manifest.add(record)
        self.ended.add(str(item.video.path))
        self.bytes_done += state.size

    def tick(self, workers: list[WorkerState]) -> None:
        """Redraw the bar, counting the share done of the videos in progress."""
        in_progress = 0.0
        for worker in workers:
            task, done, total = (worker.report.get(key) for key in ("task", "done", "total"))
            if task in self.sizes and task not in self.ended and total:
                in_progress += self.sizes[task] * min(1.0, done / total)
        frames = sum(record.frames for _, record in self.explained)
        self.bar.advance(len(self.ended), frames, self.bytes_done + in_progress)

    def close(self, workers: list[WorkerState], summary_path: Path | None, spec: ClusterSpec, threads: int) -> int:
        """Summarise on stderr (and in ``summary_path``); the exit code."""
        if self.bar is not None:
            self.bar.close()
        document = self._summary(workers, time.monotonic() - self.started, spec, threads)
        if summary_path is not None and summary_path.parent.is_dir():
            text = json.dumps(document, indent=1) + "\n"
            write_atomically(summary_path, lambda temp: temp.write_text(text))
        total = len(self.explained) + len(self.skipped) + len(self.failures)
        print(f"vgv explain: {total} videos: {len(self.explained)} explained, {len(self.skipped)} done before "
              f"(skipped), {len(self.failures)} failed; {document['frames']} frames in {clock(document['seconds'])} "
              f"on {len(workers)} workers ({document['frames_per_s']:.1f} frames/s); manifest {self.manifest.path}",
              file=sys.stderr)
        if self.failures:
            say("error", f"{len(self.failures)} of {total} videos failed; the others were explained "
                         "(the same command run again retries them)")
            return EXIT_SOME_FAILED
        records = [record for _, record in self.explained] + self.skipped
        return EXIT_DAMAGED if any(record.status == DAMAGED for record in records) else EXIT_OK

    def _fail(self, path: Path, error: str) -> None:
        self.failures.append({"path": str(path), "error": error})
        self._clear_bar()
        say("error", failure_message(path, error))

    def _clear_bar(self) -> None:
        if self.bar is not None:
            self.bar.close()  # redrawn at the next tick

    def _summary(self, workers: list[WorkerState], seconds: float, spec: ClusterSpec, threads: int) -> dict[str, Any]:
        frames = sum(record.frames for _, record in self.explained)
        per_worker = []
        for worker in workers:
            mine = [record for index, record in self.explained if index == worker.index]
            busy = sum(record.seconds for record in mine)
            done = sum(record.frames for record in mine)
            per_worker.append({
                "worker": worker.index, "node": worker.info.get("node"), "device": worker.info.get("device"),
                "threads": threads, "pids": sorted(worker.pids), "restarts": max(0, len(worker.pids) - 1),
                "videos": len(mine), "frames": done, "busy_s": round(busy, 3),
                "frames_per_s": round(done / busy, 2) if busy > 0 else 0.0,
            })
        return {
            "cluster": spec.describe(), "settings": self.settings, "explained": len(self.explained),
            "skipped": len(self.skipped), "failed": self.failures, "frames": frames, "seconds": round(seconds, 3),
            "frames_per_s": round(frames / seconds, 2) if seconds > 0 else 0.0, "workers": per_worker,
            "manifest": str(self.manifest.path),
        }
