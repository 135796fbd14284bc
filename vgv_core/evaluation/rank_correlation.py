"""Spearman rank correlation of maps, row by row, with tied values sharing their mean rank.

Ties matter here: CAM maps are zero (after their ReLU) over large regions. A row that
is constant has no ranking to share and correlates 0 with anything.
"""

from __future__ import annotations

import torch
from torch import Tensor


def average_ranks(values: Tensor) -> Tensor:
    """(B, N) -> (B, N) float64 ranks 1..N per row; equal values get their mean rank."""
    batch, count = values.shape
    ordered, order = values.sort(dim=1, stable=True)
    starts = torch.ones_like(ordered, dtype=torch.bool)
    starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    group = starts.flatten().cumsum(0) - 1  # every row opens a new group
    positions = torch.arange(1, count + 1, device=values.device, dtype=torch.float64).repeat(batch)
    groups = int(group[-1]) + 1
    sums = torch.zeros(groups, dtype=torch.float64, device=values.device).index_add_(0, group, positions)
    sizes = torch.zeros(groups, dtype=torch.float64, device=values.device).index_add_(0, group, torch.ones_like(positions))
    means = (sums / sizes)[group].view(batch, count)
    return torch.empty_like(means).scatter_(1, order, means)


def spearman(a: Tensor, b: Tensor) -> Tensor:
    """(B, ...) and (B, ...) -> (B,) rank correlation of each pair of rows."""
    ra, rb = average_ranks(a.flatten(1)), average_ranks(b.flatten(1))
    ra, rb = ra - ra.mean(dim=1, keepdim=True), rb - rb.mean(dim=1, keepdim=True)
    scale = (ra.square().sum(dim=1) * rb.square().sum(dim=1)).sqrt()
    rho = torch.where(scale > 0, (ra * rb).sum(dim=1) / scale.clamp(min=1e-300), torch.zeros_like(scale))
    return rho.float()
