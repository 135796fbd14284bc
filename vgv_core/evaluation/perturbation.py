"""Spatio-temporal deletion and insertion curves, and their areas.

Deletion: replace the clip's voxels, most relevant first (a voxel is one (t, y, x)
position, all channels together), by a reference clip (see vgv_core.evaluation.fill)
and follow the probability of the explained class: a faithful map makes it fall fast,
so a LOWER area is better. Insertion: start from the reference and put the clip's
voxels back, most relevant first: a faithful map makes it rise fast, HIGHER is better.

A curve has ``steps + 1`` points, at fractions 0, 1/steps, ..., 1 of the voxels. Both
end points do not depend on the map (the intact clip, the reference clip), so callers
scoring several maps of one clip pass them once as ``ends``. Equal map values are taken
in a random order drawn from ``generator`` (voxel order without one), so a map with
large flat regions is not favoured by a scan order. The perturbed clips of all
points and all clips are scored ``scorer.batch_size`` per forward pass.
"""

from __future__ import annotations

import torch
from torch import Tensor

from vgv_core.evaluation.scoring import ClassScorer


def rank_descending(values: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """(B, N) -> (B, N) long: 0 for each row's largest value; ties randomly ordered."""
    count = values.shape[1]
    if generator is None:
        shuffle = torch.arange(count, device=values.device)
    else:
        shuffle = torch.randperm(count, generator=generator).to(values.device)
    order = shuffle[torch.argsort(values[:, shuffle], dim=1, descending=True, stable=True)]
    positions = torch.arange(count, device=values.device).expand_as(order)
    return torch.empty_like(order).scatter_(1, order, positions)


def relevance_rank(maps: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """Maps (B, T, H, W) -> voxel ranks (B, T, H, W), 0 = most relevant."""
    return rank_descending(maps.flatten(1), generator).view(maps.shape)


def switch_counts(steps: int, total: int, unit: int = 1) -> Tensor:
    """How many of ``total`` items (each ``unit`` voxels) are switched at each of the
    ``steps + 1`` points, as voxel counts."""
    return torch.linspace(0, total, steps + 1).round().long() * unit


def perturbation_curve(
    scorer: ClassScorer,
    start: Tensor,
    end: Tensor,
    rank: Tensor,
    targets: Tensor,
    counts: Tensor,
    ends: tuple[Tensor, Tensor] | None = None,
) -> Tensor:
    """(B, P) scores of the clips made by taking voxels with ``rank < counts[p]`` from
    ``end`` (B, C, T, H, W) and the others from ``start``; ``ends`` = the scores of
    ``start`` and ``end`` when already known."""
    batch, voxels, counts = start.shape[0], rank[0].numel(), counts.to(start.device)
    first, last = ends if ends is not None else (scorer.score(start, targets), scorer.score(end, targets))
    curve = torch.empty(batch, counts.shape[0], device=start.device)
    curve[:, counts <= 0] = first[:, None]
    curve[:, counts >= voxels] = last[:, None]
    inner = torch.nonzero((counts > 0) & (counts < voxels))[:, 0]
    rows = torch.arange(batch, device=start.device).repeat_interleave(inner.numel())
    cols = inner.repeat(batch)
    if rows.numel() == 0:
        return curve
    for row, col in zip(rows.split(scorer.batch_size), cols.split(scorer.batch_size)):
        switched = (rank[row] < counts[col].view(-1, 1, 1, 1))[:, None]
        clips = torch.where(switched, end[row], start[row])
        curve[row, col] = scorer.score(clips, targets[row])
    return curve


def deletion_curve(
    scorer: ClassScorer, clips: Tensor, reference: Tensor, rank: Tensor, targets: Tensor, steps: int,
    ends: tuple[Tensor, Tensor] | None = None,
) -> Tensor:
    """(B, steps + 1): the class probability as the voxels are deleted in ``rank`` order
    (from ``relevance_rank``); ``ends`` = (score of the intact clips, of the reference clips)."""
    return perturbation_curve(scorer, clips, reference, rank, targets, switch_counts(steps, rank[0].numel()), ends)


def insertion_curve(
    scorer: ClassScorer, clips: Tensor, reference: Tensor, rank: Tensor, targets: Tensor, steps: int,
    ends: tuple[Tensor, Tensor] | None = None,
) -> Tensor:
    """(B, steps + 1): the class probability as the voxels are inserted into the reference
    in ``rank`` order; ``ends`` = (score of the intact clips, of the reference clips)."""
    flipped = None if ends is None else (ends[1], ends[0])
    return perturbation_curve(scorer, reference, clips, rank, targets, switch_counts(steps, rank[0].numel()), flipped)


def switched_fractions(steps: int, total: int) -> Tensor:
    """(steps + 1,) the fractions of ``total`` items switched at a curve's points (x axis)."""
    return switch_counts(steps, total).double() / total


def area_under_curve(curve: Tensor, fractions: Tensor) -> Tensor:
    """(B, P) curve at ``fractions`` (P,) of [0, 1] -> (B,) trapezoid area."""
    return torch.trapezoid(curve, fractions.to(curve), dim=1)
