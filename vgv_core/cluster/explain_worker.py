"""The actor behind `vgv explain --ray`: the model and explainer built from the command's own
arguments (the `build_engine` of the single-process path), then one `explain_video` per task,
so that a video's outputs are those one process writes."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from vgv_core.atomic_file import remove_stale_temporaries
from vgv_core.cluster.workers import ModelWorker
from vgv_core.commands.explain import build_engine, guarded
from vgv_core.errors import VGVError
from vgv_core.offline.job import Options, OutputPaths, VideoOutcome, explain_video
from vgv_core.progress import Progress


@dataclass(frozen=True)
class VideoResult:
    outcome: VideoOutcome | None  # None: it failed
    error: str | None
    pid: int  # the process that explained it


class ExplainWorker(ModelWorker):
    def __init__(self, args: argparse.Namespace, method: str, options: Options, threads: int) -> None:
        super().__init__(threads)
        self.args, self.method, self.options = args, method, options

    def _load(self) -> torch.device:
        self.engine, self.settings = build_engine(self.args, self.method)
        self.options = guarded(self.args, self.engine, self.options, self.settings)
        return self.engine.preprocessor.device

    def explain(self, video: Path, outputs: OutputPaths) -> VideoResult:
        self.load()  # again after a restart
        self._start(str(video))
        for path in vars(outputs).values():
            if path is not None:  # a killed earlier try of this video left them
                remove_stale_temporaries(path)
        try:
            outcome = explain_video(video, outputs, self.engine, self.options, self.settings, self._counter)
        except VGVError as exc:
            return VideoResult(None, str(exc), self.status["pid"])
        return VideoResult(outcome, None, self.status["pid"])

    def _counter(self, label: str, total: int | None, quiet: bool) -> Progress:
        self.status["total"] = total
        return _ReportedProgress(self.status, label, total)


class _ReportedProgress(Progress):
    """A silent bar whose count the actor's report carries."""

    def __init__(self, status: dict[str, Any], label: str, total: int | None) -> None:
        super().__init__(label, total, quiet=True)
        self.status = status

    def update(self, done: int) -> None:
        super().update(done)
        self.status["done"] = done
