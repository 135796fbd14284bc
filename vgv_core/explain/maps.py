"""From raw attributions to per-frame maps in [0, 1], on the device."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

NORMALIZATIONS = ("clip", "frame")
SALIENCY_SMOOTHING_FRAMES = 3  # the seed's rolling mean over neighbouring frames


def upsample_cam(cam: Tensor, size: tuple[int, int, int]) -> Tensor:
    """(R, t, h, w) or (R, h, w) layer map -> (R, T, H, W), trilinear (or bilinear per frame)."""
    if cam.dim() == 3:
        frame = F.interpolate(cam[:, None], size=size[1:], mode="bilinear", align_corners=False)
        return frame[:, 0, None].expand(-1, size[0], -1, -1)
    return F.interpolate(cam[:, None], size=size, mode="trilinear", align_corners=False)[:, 0]


def gradient_magnitude(grad: Tensor) -> Tensor:
    """(R, C, T, H, W) input gradient -> (R, T, H, W): the largest |value| over channels."""
    return grad.abs().amax(dim=1)


def temporal_rolling_mean(maps: Tensor, frames: int = SALIENCY_SMOOTHING_FRAMES) -> Tensor:
    """Centred mean over `frames` neighbouring frames of (R, T, H, W), edges replicated."""
    if maps.shape[1] < 2 or frames < 2:
        return maps
    left, right = frames // 2, (frames - 1) // 2
    padded = torch.cat([maps[:, :1]] * left + [maps] + [maps[:, -1:]] * right, dim=1)
    return padded.unfold(1, frames, 1).mean(-1)


def normalize(maps: Tensor, per: str = "clip") -> Tensor:
    """Min-max scale (R, T, H, W) to [0, 1] per clip (over T, H, W) or per frame (H, W)."""
    dims = (1, 2, 3) if per == "clip" else (2, 3)
    low = maps.amin(dim=dims, keepdim=True)
    span = maps.amax(dim=dims, keepdim=True) - low
    return torch.where(span > 0, (maps - low) / span.clamp(min=1e-12), torch.zeros_like(maps))
