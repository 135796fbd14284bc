"""From raw attributions to per-frame maps in [0, 1], on the device."""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import Tensor

NORMALIZATIONS = ("clip", "frame")
UPSAMPLINGS = ("trilinear", "spline")
SALIENCY_SMOOTHING_FRAMES = 3  # the seed's rolling mean over neighbouring frames


def upsample_cam(cam: Tensor, size: tuple[int, int, int], mode: str = "trilinear") -> Tensor:
    """(R, t, h, w) or (R, h, w) layer map -> (R, T, H, W).

    "trilinear": half-pixel aligned, as F.interpolate, cv2.resize and captum. "spline":
    corner-aligned cubic B-spline, as scipy.ndimage.zoom, which pytorch-grad-cam uses for
    video: pick it to reproduce that library's maps. The spline rings below zero next to
    peaks; like that library, those values are clipped, as a CAM is never negative."""
    if mode == "spline":
        return _spline_zoom(cam if cam.dim() == 4 else cam[:, None], size).clamp(min=0)
    if cam.dim() == 3:
        frame = F.interpolate(cam[:, None], size=size[1:], mode="bilinear", align_corners=False)
        return frame[:, 0, None].expand(-1, size[0], -1, -1)
    return F.interpolate(cam[:, None], size=size, mode="trilinear", align_corners=False)[:, 0]


def _spline_zoom(cam: Tensor, size: tuple[int, int, int]) -> Tensor:
    """Separable cubic B-spline zoom of (R, t, h, w) to (R, *size), one matrix per axis."""
    t, h, w = (_spline_matrix(n_in, n_out).to(cam.device, cam.dtype) for n_in, n_out in zip(cam.shape[1:], size))
    return torch.einsum("rthw,Tt,Hh,Ww->rTHW", cam, t, h, w)


@functools.lru_cache(maxsize=64)
def _spline_matrix(n_in: int, n_out: int) -> Tensor:
    """(n_out, n_in) matrix of scipy.ndimage.zoom(order=3) along one axis: the spline
    prefilter (mirror boundary) followed by B-spline evaluation at corner-aligned points."""
    if n_in == 1:
        return torch.ones(n_out, 1, dtype=torch.float64)

    def mirror(k: Tensor) -> Tensor:
        period = 2 * n_in - 2
        k = k.remainder(period)
        return torch.where(k < n_in, k, period - k)

    def add_taps(rows: int, taps: Tensor, weights: Tensor) -> Tensor:
        return torch.zeros(rows, n_in, dtype=torch.float64).scatter_add_(1, mirror(taps), weights)

    centre = torch.arange(n_in)[:, None] + torch.tensor([-1, 0, 1])
    prefilter = add_taps(n_in, centre, torch.tensor([[1 / 6, 2 / 3, 1 / 6]], dtype=torch.float64).expand(n_in, 3))
    points = torch.linspace(0, n_in - 1, n_out, dtype=torch.float64)
    taps = points.floor().long()[:, None] + torch.arange(-1, 3)
    evaluate = add_taps(n_out, taps, _cubic_bspline(points[:, None] - taps))
    return torch.linalg.solve(prefilter.T, evaluate.T).T


def _cubic_bspline(x: Tensor) -> Tensor:
    a = x.abs()
    return torch.where(a < 1, 2 / 3 - a**2 + a**3 / 2, torch.where(a < 2, (2 - a) ** 3 / 6, torch.zeros_like(a)))


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
