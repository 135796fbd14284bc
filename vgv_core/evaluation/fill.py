"""What a deleted voxel becomes: the reference clip the perturbation metrics blend towards.

- ``blur``: the clip under a separable Gaussian blur over (T, H, W) (sigma in voxels),
  which removes fine detail and short events (a blinker's flashes) while keeping the
  clip's colours and layout, so deleting shows no sharp edges of its own;
- ``mean``: every voxel of a channel set to the clip's mean over (T, H, W) for that
  channel: no information at all.
Both work on normalised (B, C, T, H, W) clips, on their device.
"""

from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

Fill = Callable[[Tensor], Tensor]
BLUR_SIGMA = (2.0, 8.0, 8.0)  # (T, H, W) voxels: ~one blink and ~a lamp at 112 px


def mean_fill(clips: Tensor) -> Tensor:
    """Each channel's mean over (T, H, W), everywhere."""
    return clips.mean(dim=(2, 3, 4), keepdim=True).expand_as(clips).contiguous()


def blur_fill(clips: Tensor, sigma: tuple[float, float, float] = BLUR_SIGMA) -> Tensor:
    """Separable Gaussian blur over (T, H, W) with reflected borders."""
    out = clips
    for axis, s in zip((2, 3, 4), sigma):
        out = _blur_axis(out, axis, s)
    return out


def _blur_axis(x: Tensor, axis: int, sigma: float) -> Tensor:
    radius = min(int(3 * sigma + 0.5), x.shape[axis] - 1)
    if sigma <= 0 or radius < 1:
        return x
    offsets = torch.arange(-radius, radius + 1, device=x.device, dtype=x.dtype)
    kernel = torch.exp(-0.5 * (offsets / sigma) ** 2)
    moved = x.movedim(axis, -1)
    rows = moved.reshape(-1, 1, moved.shape[-1])
    padded = F.pad(rows, (radius, radius), mode="reflect")
    blurred = F.conv1d(padded, (kernel / kernel.sum()).view(1, 1, -1))
    return blurred.reshape(moved.shape).movedim(-1, axis)


FILLS: dict[str, Fill] = {"blur": blur_fill, "mean": mean_fill}
