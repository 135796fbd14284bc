"""Blending heatmaps over frames, and the seed's side-by-side panel, as torch ops."""

from __future__ import annotations

import torch
from torch import Tensor

from vgv_core.render.colormaps import colorize

LAYOUTS = ("overlay", "side-by-side")


def overlay(frames: Tensor, maps: Tensor, alpha: float = 0.5, colormap: str = "jet") -> Tensor:
    """uint8 BGR frames (..., H, W, 3) + maps (..., H, W) in [0, 1] -> uint8 blend."""
    heat = colorize(maps, colormap).float()
    blended = frames.float() * (1 - alpha) + heat * alpha
    return blended.round().clamp(0, 255).to(torch.uint8)


def side_by_side(frames: Tensor, maps: Tensor, alpha: float = 0.5, colormap: str = "jet") -> Tensor:
    """frame | overlay | heatmap, concatenated along the width: (..., H, 3W, 3)."""
    return torch.cat([frames, overlay(frames, maps, alpha, colormap), colorize(maps, colormap)], dim=-2)


def compose(frames: Tensor, maps: Tensor, layout: str = "overlay", alpha: float = 0.5, colormap: str = "jet") -> Tensor:
    """The picture for ``layout``: ``overlay`` or ``side-by-side``."""
    if layout == "overlay":
        return overlay(frames, maps, alpha, colormap)
    if layout == "side-by-side":
        return side_by_side(frames, maps, alpha, colormap)
    raise ValueError(f"unknown layout {layout!r}; choose from {LAYOUTS}")
