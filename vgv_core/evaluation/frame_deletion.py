"""The frame-deletion curve: does the score depend on the frames the map says matter?

Frames are ranked by the map's total mass in each frame, and whole frames (every
pixel) are replaced by the reference clip's frames, most important first. The curve
has ``steps + 1`` points at 0, T/steps, ..., T deleted frames (rounded); as with
spatial deletion a LOWER area is better. A map that is flat over time (a still-image
explanation repeated per frame) ranks frames at random and scores like the random map.
"""

from __future__ import annotations

import torch
from torch import Tensor

from vgv_core.evaluation.perturbation import perturbation_curve, rank_descending, switch_counts
from vgv_core.evaluation.scoring import ClassScorer


def frame_rank(maps: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """Maps (B, T, H, W) -> (B, T, H, W) voxel ranks in which every voxel of a frame
    shares its frame's rank times H * W, so ``rank < k * H * W`` selects the k most
    important frames."""
    frames = rank_descending(maps.sum(dim=(2, 3)), generator)
    pixels = maps.shape[2] * maps.shape[3]
    return (frames * pixels)[:, :, None, None].expand(maps.shape)


def frame_deletion_curve(
    scorer: ClassScorer, clips: Tensor, reference: Tensor, rank: Tensor, targets: Tensor, steps: int,
    ends: tuple[Tensor, Tensor] | None = None,
) -> Tensor:
    """(B, steps + 1): the class probability as whole frames are deleted in ``rank`` order
    (from ``frame_rank``); ``ends`` = (score of the intact clips, of the reference clips)."""
    _, frames, height, width = rank.shape
    counts = switch_counts(steps, frames, height * width)
    return perturbation_curve(scorer, clips, reference, rank, targets, counts, ends)
