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
from vgv_core.evaluation.datasets import Dataset
from vgv_core.evaluation.fill import FILLS
from vgv_core.evaluation.frame_deletion import frame_deletion_curve
from vgv_core.evaluation.localisation import energy_in_mask, pointing_game
from vgv_core.evaluation.methods import MethodSet
from vgv_core.evaluation.perturbation import (
    area_under_curve,
    deletion_curve,
    insertion_curve,
    switched_fractions,
)
from vgv_core.evaluation.sanity import SanityResult, cascading_randomisation
from vgv_core.evaluation.scoring import ClassScorer

CURVES = ("deletion", "insertion", "frame_deletion")
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


@dataclass(frozen=True)
class BenchmarkConfig:
    steps: int = 5  # deletion and insertion curves: points at 0, 1/steps, ..., 1 of the voxels
    frame_steps: int = 4  # frame-deletion curve: points at 0, T/frame_steps, ..., T frames (at most T steps)
    fill: str = "blur"  # what deleted voxels become, see vgv_core.evaluation.fill
    batch_size: int = 4  # clips explained together
    forward_batch: int = 8  # perturbed clips per forward pass (8 ms of CPU per X3D demo clip at 4 to 16)
    sanity_clips: int = 8
    tolerance: int = 4  # pointing game, pixels of the model input
    seed: int = 0


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


def run_benchmark(
    net: nn.Module,
    dataset: Dataset,
    methods: MethodSet,
    config: BenchmarkConfig = BenchmarkConfig(),
    progress: Callable[[str, int], None] = lambda phase, done: None,
) -> BenchmarkResult:
    """Evaluate ``methods`` on ``dataset``; ``progress("clips", n)`` after each batch and
    ``progress("sanity", k)`` after each randomised stage."""
    started = time.monotonic()
    scorer = ClassScorer(net.eval(), config.forward_batch)
    generator = torch.Generator().manual_seed(config.seed)
    per_clip, curves = _Tally(), _Tally()
    names: list[str] = []
    kept: list[tuple[Tensor, Tensor]] = []
    for batch in dataset.batches(config.batch_size):
        fractions = _fractions(config, batch.clips.shape[2:])
        reference = FILLS[config.fill](batch.clips)
        probs = scorer.probabilities(batch.clips)
        targets = probs.argmax(dim=1) if batch.targets is None else batch.targets
        ends = (probs.gather(1, targets[:, None])[:, 0], scorer.score(reference, targets))
        for name, maps in methods.maps(net, batch.clips, targets).items():
            found = _curves(scorer, (batch.clips, reference, maps, targets), ends, fractions, config, generator)
            curves.add(name, found)
            per_clip.add(name, {f"{curve}_auc": area_under_curve(found[curve], fractions[curve]) for curve in CURVES})
            drop, increase = confidence_change(scorer, batch.clips, reference, maps, targets, ends[0])
            per_clip.add(name, {"average_drop": drop, "increase_in_confidence": increase})
            per_clip.add(name, _localisation(maps, batch.masks, config.tolerance))
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
        per_clip=per_clip.arrays(),
        curves=curves.arrays(),
        fractions={curve: x.numpy() for curve, x in fractions.items()},
        sanity=sanity,
        timing={
            "metrics_s": metrics_done - started,
            "sanity_s": time.monotonic() - metrics_done,
            "clips_scored": scorer.clips_scored,
        },
    )


def _fractions(config: BenchmarkConfig, size: torch.Size) -> dict[str, Tensor]:
    frames, voxels = size[0], size.numel()
    return {
        "deletion": switched_fractions(config.steps, voxels),
        "insertion": switched_fractions(config.steps, voxels),
        "frame_deletion": switched_fractions(min(config.frame_steps, frames), frames),
    }


def _curves(scorer: ClassScorer, inputs: tuple[Tensor, ...], ends: tuple[Tensor, Tensor],
            fractions: dict[str, Tensor], config: BenchmarkConfig, generator: torch.Generator) -> dict[str, Tensor]:
    steps = {curve: len(x) - 1 for curve, x in fractions.items()}
    return {
        "deletion": deletion_curve(scorer, *inputs, steps["deletion"], generator, ends),
        "insertion": insertion_curve(scorer, *inputs, steps["insertion"], generator, ends),
        "frame_deletion": frame_deletion_curve(scorer, *inputs, steps["frame_deletion"], generator, ends),
    }


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
