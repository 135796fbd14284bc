"""The actor behind `vgv eval --ray`: model, methods and clips built from the command's own
arguments (the `build_benchmark` of the single-process path); a task scores a range of
batches, or runs the sanity check."""

from __future__ import annotations

import argparse
import time
from typing import Any

import torch

from vgv_core.cluster.workers import ModelWorker
from vgv_core.commands.evaluate import build_benchmark, describe
from vgv_core.evaluation.benchmark import ClipScores, sanity_check, score_clips
from vgv_core.evaluation.sanity import SanityResult


SANITY = "sanity"


def range_label(batches: range) -> str:
    return f"batches {batches.start}-{batches.stop - 1}"


class EvalWorker(ModelWorker):
    def __init__(self, args: argparse.Namespace, threads: int) -> None:
        super().__init__(threads)
        self.args = args

    def _load(self) -> torch.device:
        self.vm, self.methods, self.dataset, self.config = build_benchmark(self.args)
        return self.vm.device

    def about(self) -> dict[str, Any]:
        """What the run's settings report about the model and data (see `describe`)."""
        self.load()
        return describe(self.vm, self.dataset) | {"methods": self.methods.names}

    def score(self, batches: range) -> ClipScores:
        self.load()
        self._start(range_label(batches), len(batches) * self.config.batch_size)
        return score_clips(self.vm.net, self.dataset, self.methods, self.config, batches, self._count)

    def sanity(self) -> tuple[SanityResult, float]:
        """The sanity check and the seconds it took."""
        self.load()
        self._start(SANITY)
        started = time.monotonic()
        return sanity_check(self.vm.net, self.dataset, self.methods, self.config), time.monotonic() - started

    def _count(self, clips: int) -> None:
        self.status["done"] = clips
