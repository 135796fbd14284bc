"""Run every metric for every method over a dataset: the engine behind `vgv eval`.

Per batch of clips: one forward for the intact clips (their scores, and the classes to
explain when the data has no labels), one for the reference clips, one Explainer pass
for all the engine's methods, then for each method the deletion, insertion and
frame-deletion curves, the confidence change and, with masks, the localisation
scores; perturbed clips are scored ``forward_batch`` per forward. The sanity check runs
on the first ``sanity_clips`` clips. Everything random (clip seeds, random maps, tie
order, re-initialised weights) derives from ``seed``, per batch (vgv_core.evaluation.streams):
so the batches can be scored in parts, anywhere (`score_clips` on a range of batches,
then `merge`), with the numbers of one run in one piece (`run_benchmark`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn as nn
from torch import Tensor

from vgv_core.errors import VGVError
from vgv_core.evaluation.confidence import confidence_change
from vgv_core.evaluation.datasets import Dataset, EvalBatch
from vgv_core.evaluation.fill import FILLS
from vgv_core.evaluation.frame_deletion import frame_deletion_curve, frame_rank
from vgv_core.evaluation.localisation import energy_in_mask, pointing_game
from vgv_core.evaluation.methods import MethodSet
from vgv_core.evaluation.perturbation import (
    area_under_curve,
    deletion_curve,
    insertion_curve,
    relevance_rank,
    switched_fractions,
)
from vgv_core.evaluation.sanity import SanityResult, cascading_randomisation
from vgv_core.evaluation.scoring import ClassScorer
from vgv_core.evaluation.streams import MAPS, SANITY, TIES, generator, stream_seed

# metric -> True when higher is better
METRICS = {
    "deletion_auc": False,
    "insertion_auc": True,
    "frame_deletion_auc": False,
    "average_drop": False,
    "increase_in_confidence": True,
    "pointing_game": True,
    "energy_in_mask": True,
    "sanity_rho": False,
}
PERCENT_METRICS = ("average_drop", "increase_in_confidence", "pointing_game")
CURVES = ("deletion", "insertion", "frame_deletion")
POINTING_TOLERANCE = 15 / 224  # of the input width: Zhang et al.'s 15 pixels at 224


@dataclass(frozen=True)
class BenchmarkConfig:
    steps: int = 5  # deletion and insertion curves: points at 0, 1/steps, ..., 1 of the voxels
    frame_steps: int = 4  # frame-deletion curve: points at 0, T/frame_steps, ..., T frames (at most T steps)
    fill: str = "blur"  # what deleted voxels become, see vgv_core.evaluation.fill
    batch_size: int = 4  # clips explained together
    forward_batch: int = 8  # perturbed clips per forward pass (8 ms of CPU per X3D demo clip at 4 to 16)
    sanity_clips: int = 8
    tolerance: int | None = None  # pointing game, pixels of the model input; None: 15 px per 224 (Zhang et al.)
    seed: int = 0

    def pointing_tolerance(self, width: int) -> int:
        """The pointing game's tolerance for inputs ``width`` pixels wide."""
        return self.tolerance if self.tolerance is not None else round(POINTING_TOLERANCE * width)


@dataclass(frozen=True)
class BenchmarkResult:
    methods: tuple[str, ...]
    clip_names: tuple[str, ...]
    per_clip: dict[str, dict[str, np.ndarray]]  # method -> metric -> (n,), NaN where not applicable
    curves: dict[str, dict[str, np.ndarray]]  # method -> curve -> (n, points)
    fractions: dict[str, np.ndarray]  # curve -> (points,) fraction of voxels / frames switched
    sanity: SanityResult
    timing: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, dict[str, float]]:
        """method -> metric -> mean over the clips it applies to (percent metrics in %)."""
        final = self.sanity.final()
        return {
            name: {metric: _mean(values, metric) for metric, values in self.per_clip[name].items()}
            | {"sanity_rho": final[name]}
            for name in self.methods
        }


@dataclass(frozen=True)
class ClipScores:
    """What scoring a range of batches found: the per-clip part of a BenchmarkResult."""

    clip_names: tuple[str, ...]
    per_clip: dict[str, dict[str, np.ndarray]]
    curves: dict[str, dict[str, np.ndarray]]
    fractions: dict[str, np.ndarray]
    clips_scored: int  # forwards' clips, perturbed ones included
    seconds: float


class _Tally:
    """Per-method tensors of every batch, joined at the end."""

    def __init__(self) -> None:
        self.parts: dict[str, dict[str, list[Tensor]]] = defaultdict(lambda: defaultdict(list))

    def add(self, method: str, values: dict[str, Tensor]) -> None:
        for key, value in values.items():
            self.parts[method][key].append(value)

    def arrays(self) -> dict[str, dict[str, np.ndarray]]:
        return {
            method: {key: torch.cat(values).float().cpu().numpy() for key, values in by_key.items()}
            for method, by_key in self.parts.items()
        }


class _Metrics:
    """The per-clip pass: every metric of every method, batch after batch."""

    def __init__(self, net: nn.Module, methods: MethodSet, config: BenchmarkConfig) -> None:
        self.net, self.methods, self.config = net, methods, config
        self.scorer = ClassScorer(net.eval(), config.forward_batch)
        self.per_clip, self.curves = _Tally(), _Tally()
        self.fractions: dict[str, Tensor] = {}

    def add(self, batch: EvalBatch, index: int) -> None:
        """Score batch number ``index``."""
        frames, voxels = batch.clips.shape[2], batch.clips[0, 0].numel()
        steps = {"deletion": self.config.steps, "insertion": self.config.steps}
        steps["frame_deletion"] = min(self.config.frame_steps, frames)
        self.fractions = {curve: switched_fractions(steps[curve], frames if curve == "frame_deletion" else voxels)
                          for curve in CURVES}
        reference = FILLS[self.config.fill](batch.clips)
        probs = self.scorer.probabilities(batch.clips)
        targets = explained_classes(batch, probs)
        ends = (probs.gather(1, targets[:, None])[:, 0], self.scorer.score(reference, targets))
        ties = generator(self.config.seed, TIES, index)
        self.methods.reseed(stream_seed(self.config.seed, MAPS, index))
        for name, maps in self.methods.maps(self.net, batch.clips, targets).items():
            found = self._curves(batch.clips, reference, maps, targets, steps, ends, ties)
            drop, increase = confidence_change(self.scorer, batch.clips, reference, maps, targets, ends[0])
            self.curves.add(name, found)
            self.per_clip.add(name, {f"{c}_auc": area_under_curve(found[c], self.fractions[c]) for c in CURVES})
            self.per_clip.add(name, {"average_drop": drop, "increase_in_confidence": increase})
            self.per_clip.add(name, _localisation(maps, batch.masks_for(targets),
                                                  self.config.pointing_tolerance(batch.clips.shape[-1])))

    def _curves(self, clips: Tensor, reference: Tensor, maps: Tensor, targets: Tensor, steps: dict[str, int],
                ends: tuple[Tensor, Tensor], ties: torch.Generator) -> dict[str, Tensor]:
        voxels, frames = relevance_rank(maps, ties), frame_rank(maps, ties)
        inputs = (self.scorer, clips, reference)
        return {
            "deletion": deletion_curve(*inputs, voxels, targets, steps["deletion"], ends),
            "insertion": insertion_curve(*inputs, voxels, targets, steps["insertion"], ends),
            "frame_deletion": frame_deletion_curve(*inputs, frames, targets, steps["frame_deletion"], ends),
        }


def explained_classes(batch: EvalBatch, probs: Tensor) -> Tensor:
    """(B,) the classes a batch's clips are explained for: their labels, else the top-1."""
    return probs.argmax(dim=1) if batch.targets is None else batch.targets


def score_clips(
    net: nn.Module,
    dataset: Dataset,
    methods: MethodSet,
    config: BenchmarkConfig = BenchmarkConfig(),
    batches: range | None = None,
    progress: Callable[[int], None] = lambda clips: None,
) -> ClipScores:
    """Every metric of every method on the clips of ``batches`` (batch indices of
    ``config.batch_size`` clips; None: all); ``progress(clips)`` after each batch."""
    started = time.monotonic()
    metrics = _Metrics(net, methods, config)
    first, stop = (0, None) if batches is None else (batches.start, batches.stop)
    names: list[str] = []
    for index, batch in enumerate(dataset.batches(config.batch_size, first, stop), start=first):
        metrics.add(batch, index)
        names.extend(batch.names)
        progress(len(names))
    return ClipScores(
        clip_names=tuple(names),
        per_clip=metrics.per_clip.arrays(),
        curves=metrics.curves.arrays(),
        fractions={curve: x.numpy() for curve, x in metrics.fractions.items()},
        clips_scored=metrics.scorer.clips_scored,
        seconds=time.monotonic() - started,
    )


def sanity_check(
    net: nn.Module,
    dataset: Dataset,
    methods: MethodSet,
    config: BenchmarkConfig = BenchmarkConfig(),
    progress: Callable[[int], None] = lambda stages: None,
) -> SanityResult:
    """The cascading randomisation check on the dataset's first ``config.sanity_clips``
    clips, explained for the classes the metrics explain them for; ``progress(k)`` after
    each randomised stage."""
    scorer = ClassScorer(net.eval(), config.forward_batch)
    clips, targets, kept = [], [], 0
    for batch in dataset.batches(config.batch_size):
        if kept >= config.sanity_clips:
            break
        clips.append(batch.clips[: config.sanity_clips - kept])
        targets.append(explained_classes(batch, scorer.probabilities(batch.clips))[: config.sanity_clips - kept])
        kept += clips[-1].shape[0]
    if not kept:
        raise VGVError(f"no clips to evaluate in {dataset.description}")
    methods.reseed(stream_seed(config.seed, SANITY))
    return cascading_randomisation(net, methods, torch.cat(clips), torch.cat(targets), config.seed, progress)


def merge(methods: tuple[str, ...], parts: list[ClipScores], sanity: SanityResult, description: str,
          sanity_s: float = 0.0) -> BenchmarkResult:
    """One result from the scores of consecutive ranges of batches, in order; its timing's
    ``metrics_s`` adds up the parts' seconds (worker time, where they ran side by side)."""
    parts = [part for part in parts if part.clip_names]
    if not parts:
        raise VGVError(f"no clips to evaluate in {description}")
    return BenchmarkResult(
        methods=methods,
        clip_names=tuple(name for part in parts for name in part.clip_names),
        per_clip=_joined(methods, [part.per_clip for part in parts]),
        curves=_joined(methods, [part.curves for part in parts]),
        fractions=parts[-1].fractions,
        sanity=sanity,
        timing={
            "metrics_s": sum(part.seconds for part in parts),
            "sanity_s": sanity_s,
            "clips_scored": sum(part.clips_scored for part in parts),
        },
    )


def run_benchmark(
    net: nn.Module,
    dataset: Dataset,
    methods: MethodSet,
    config: BenchmarkConfig = BenchmarkConfig(),
    progress: Callable[[str, int], None] = lambda phase, done: None,
) -> BenchmarkResult:
    """Evaluate ``methods`` on ``dataset``; ``progress("clips", n)`` after each batch and
    ``progress("sanity", k)`` after each randomised stage (k = 0 as it starts)."""
    scores = score_clips(net, dataset, methods, config, progress=lambda done: progress("clips", done))
    if not scores.clip_names:
        raise VGVError(f"no clips to evaluate in {dataset.description}")
    started = time.monotonic()
    progress("sanity", 0)
    sanity = sanity_check(net, dataset, methods, config, lambda done: progress("sanity", done))
    return merge(methods.names, [scores], sanity, dataset.description, time.monotonic() - started)


PerMethod = dict[str, dict[str, np.ndarray]]  # method -> metric or curve -> values


def _joined(methods: tuple[str, ...], parts: list[PerMethod]) -> PerMethod:
    return {name: {key: np.concatenate([part[name][key] for part in parts]) for key in parts[0][name]}
            for name in methods}


def _localisation(maps: Tensor, masks: Tensor | None, tolerance: int) -> dict[str, Tensor]:
    if masks is None:
        missing = torch.full((maps.shape[0],), float("nan"), device=maps.device)
        return {"pointing_game": missing, "energy_in_mask": missing}
    return {"pointing_game": pointing_game(maps, masks, tolerance), "energy_in_mask": energy_in_mask(maps, masks)}


def _mean(values: np.ndarray, metric: str) -> float:
    finite = values[~np.isnan(values)]
    if finite.size == 0:
        return float("nan")
    return float(finite.mean() * (100 if metric in PERCENT_METRICS else 1))
