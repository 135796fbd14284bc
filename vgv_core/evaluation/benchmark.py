"""Run every metric for every method over a dataset: the engine behind `vgv eval`.

Per batch of clips: one forward for the intact clips (their scores, and the classes to
explain when the data has no labels), one for the reference clips, one Explainer pass
for all the engine's methods, then for each method the deletion, insertion and
frame-deletion curves, the confidence change and, with masks, the localisation
scores; perturbed clips are scored ``forward_batch`` per forward. After the last batch
the sanity check runs on the first ``sanity_clips`` clips. Everything random (clip
seeds, random maps, tie order, re-initialised weights) derives from ``seed``.
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
        self.generator = torch.Generator().manual_seed(config.seed)
        self.per_clip, self.curves = _Tally(), _Tally()
        self.fractions: dict[str, Tensor] = {}

    def add(self, batch: EvalBatch) -> Tensor:
        """Score one batch; returns the classes explained."""
        frames, voxels = batch.clips.shape[2], batch.clips[0, 0].numel()
        steps = {"deletion": self.config.steps, "insertion": self.config.steps}
        steps["frame_deletion"] = min(self.config.frame_steps, frames)
        self.fractions = {curve: switched_fractions(steps[curve], frames if curve == "frame_deletion" else voxels)
                          for curve in CURVES}
        reference = FILLS[self.config.fill](batch.clips)
        probs = self.scorer.probabilities(batch.clips)
        targets = probs.argmax(dim=1) if batch.targets is None else batch.targets
        ends = (probs.gather(1, targets[:, None])[:, 0], self.scorer.score(reference, targets))
        for name, maps in self.methods.maps(self.net, batch.clips, targets).items():
            found = self._curves(batch.clips, reference, maps, targets, steps, ends)
            drop, increase = confidence_change(self.scorer, batch.clips, reference, maps, targets, ends[0])
            self.curves.add(name, found)
            self.per_clip.add(name, {f"{c}_auc": area_under_curve(found[c], self.fractions[c]) for c in CURVES})
            self.per_clip.add(name, {"average_drop": drop, "increase_in_confidence": increase})
            self.per_clip.add(name, _localisation(maps, batch.masks_for(targets),
                                                  self.config.pointing_tolerance(batch.clips.shape[-1])))
        return targets

    def _curves(self, clips: Tensor, reference: Tensor, maps: Tensor, targets: Tensor, steps: dict[str, int],
                ends: tuple[Tensor, Tensor]) -> dict[str, Tensor]:
        voxels, frames = relevance_rank(maps, self.generator), frame_rank(maps, self.generator)
        inputs = (self.scorer, clips, reference)
        return {
            "deletion": deletion_curve(*inputs, voxels, targets, steps["deletion"], ends),
            "insertion": insertion_curve(*inputs, voxels, targets, steps["insertion"], ends),
            "frame_deletion": frame_deletion_curve(*inputs, frames, targets, steps["frame_deletion"], ends),
        }


def run_benchmark(
    net: nn.Module,
    dataset: Dataset,
    methods: MethodSet,
    config: BenchmarkConfig = BenchmarkConfig(),
    progress: Callable[[str, int], None] = lambda phase, done: None,
) -> BenchmarkResult:
    """Evaluate ``methods`` on ``dataset``; ``progress("clips", n)`` after each batch and
    ``progress("sanity", k)`` after each randomised stage (k = 0 as it starts)."""
    started = time.monotonic()
    metrics = _Metrics(net, methods, config)
    names: list[str] = []
    kept: list[tuple[Tensor, Tensor]] = []
    for batch in dataset.batches(config.batch_size):
        targets = metrics.add(batch)
        kept.append((batch.clips[: config.sanity_clips], targets[: config.sanity_clips]))
        names.extend(batch.names)
        progress("clips", len(names))
    if not names:
        raise VGVError(f"no clips to evaluate in {dataset.description}")
    metrics_done = time.monotonic()
    progress("sanity", 0)
    clips, targets = (torch.cat(parts)[: config.sanity_clips] for parts in zip(*kept))
    sanity = cascading_randomisation(net, methods, clips, targets, config.seed, lambda k: progress("sanity", k))
    return BenchmarkResult(
        methods=methods.names,
        clip_names=tuple(names),
        per_clip=metrics.per_clip.arrays(),
        curves=metrics.curves.arrays(),
        fractions={curve: x.numpy() for curve, x in metrics.fractions.items()},
        sanity=sanity,
        timing={
            "metrics_s": metrics_done - started,
            "sanity_s": time.monotonic() - metrics_done,
            "clips_scored": metrics.scorer.clips_scored,
        },
    )


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
