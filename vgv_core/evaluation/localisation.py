"""Localisation against ground-truth masks: the pointing game and energy in the mask.

Maps and masks are (B, T, H, W) in the same (model input) geometry. A clip whose mask
is empty (nothing to point at, like the test bay's ``all_off``) scores NaN, and NaN
is left out of averages.
- Pointing game (Zhang et al., 2016): a hit when the map's largest voxel over the whole
  clip lies within ``tolerance`` pixels (Chebyshev distance, in the peak's frame) of the
  mask; equal largest values are taken in (t, y, x) order, the first one counts.
- Energy in mask (Wang et al., Score-CAM, 2020): the share of the map's total mass that
  lies inside the mask; an all-zero map puts none there and scores 0.
"""

from __future__ import annotations

import torch
from torch import Tensor


def pointing_game(maps: Tensor, masks: Tensor, tolerance: int = 0) -> Tensor:
    """(B,) 1.0 hit, 0.0 miss, NaN for an empty mask."""
    batch, _, height, width = maps.shape
    peak = maps.flatten(1).argmax(dim=1)
    t, y, x = peak // (height * width), peak // width % height, peak % width
    offsets = torch.arange(-tolerance, tolerance + 1, device=maps.device)
    # Clamping keeps a window at the border inside the frame, and within the tolerance.
    rows = (y[:, None] + offsets).clamp(0, height - 1)[:, :, None]
    cols = (x[:, None] + offsets).clamp(0, width - 1)[:, None, :]
    window = masks[torch.arange(batch, device=maps.device)[:, None, None], t[:, None, None], rows, cols]
    return _nan_where_empty(window.flatten(1).any(dim=1).float(), masks)


def energy_in_mask(maps: Tensor, masks: Tensor) -> Tensor:
    """(B,) share of the map's mass inside the mask, NaN for an empty mask."""
    total = maps.flatten(1).sum(dim=1)
    inside = (maps * masks).flatten(1).sum(dim=1)
    share = torch.where(total > 0, inside / total.clamp(min=1e-12), torch.zeros_like(total))
    return _nan_where_empty(share, masks)


def _nan_where_empty(values: Tensor, masks: Tensor) -> Tensor:
    return torch.where(masks.flatten(1).any(dim=1), values, torch.full_like(values, float("nan")))
