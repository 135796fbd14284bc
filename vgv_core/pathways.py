"""Two-pathway clips (SlowFast): one window of frames as a slow and a fast pathway, and back.

The fast pathway is the window itself, (B, C, T, H, W); the slow one takes T // alpha of
its frames, evenly spaced, exactly as pytorchvideo's ``PackPathway`` does
(``torch.linspace(0, T - 1, T // alpha).long()``). Since the slow frames are copies of
window frames, the gradient with respect to the window is the fast pathway's gradient plus
the slow one's added onto the frames it was taken from (`fold_onto_frames`), and a slow
layer's map is brought to the fast one's frames by interpolating between the frames it was
taken from (`onto_frames_of`).
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

TIME = -3  # the frame axis of (..., C, T, H, W)


def slow_frame_indices(frames: int, slow_frames: int, device: torch.device | str = "cpu") -> Tensor:
    """Which of ``frames`` window frames the ``slow_frames`` slow-pathway frames are."""
    return torch.linspace(0, frames - 1, slow_frames, device=device).long()


def pack_pathways(clip: Tensor, alpha: int) -> list[Tensor]:
    """[slow, fast] pathways of one clip (..., C, T, H, W), as pytorchvideo's PackPathway."""
    frames = clip.shape[TIME]
    indices = slow_frame_indices(frames, max(1, frames // alpha), clip.device)
    return [clip.index_select(TIME, indices), clip]


def fold_onto_frames(gradients: Sequence[Tensor]) -> Tensor:
    """The gradient with respect to the window's frames, from each pathway's gradient
    (..., C, t_p, H, W); the pathway with the most frames is the window itself."""
    if len(gradients) == 1:
        return gradients[0]
    fast = max(gradients, key=lambda g: g.shape[TIME])
    folded = fast.clone()
    for gradient in gradients:
        if gradient is not fast:
            indices = slow_frame_indices(fast.shape[TIME], gradient.shape[TIME], fast.device)
            folded.index_add_(folded.dim() + TIME, indices, gradient)
    return folded


def onto_frames_of(values: Tensor, size: tuple[int, int, int]) -> Tensor:
    """A pathway's (R, t_p, h, w) values -> (R, *size) on the fast pathway's grid: linear
    between the frames the pathway holds, each at the window frame it was taken from
    (PackPathway's linspace places them corner-aligned)."""
    if tuple(values.shape[1:]) == tuple(size):
        return values
    return F.interpolate(values[:, None], size=size, mode="trilinear", align_corners=True)[:, 0]
