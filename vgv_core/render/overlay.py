"""Blending heatmaps over frames, and the side-by-side panel, as torch ops on the maps' device.

The blend is `blend.HeatStyle`'s: the heat sets the opacity (HEAT) or one opacity
covers the frame (UNIFORM); `blend.blend_heat` is the same on the host.
"""

from __future__ import annotations

import torch
from torch import Tensor

from vgv_core.render.blend import FULL_FROM, HEAT, HeatStyle
from vgv_core.render.colormaps import colorize

LAYOUTS = ("overlay", "side-by-side")


def overlay(frames: Tensor, maps: Tensor, style: HeatStyle = HeatStyle()) -> Tensor:
    """uint8 BGR frames (..., H, W, 3) + maps (..., H, W) in [0, 1] -> uint8 blend."""
    heat = colorize(maps, style.colormap).float()
    weight = style.alpha * (maps / FULL_FROM).clamp(0, 1)[..., None] if style.blend == HEAT else style.alpha
    blended = frames.float() * (1 - weight) + heat * weight
    return blended.round().clamp(0, 255).to(torch.uint8)


def side_by_side(frames: Tensor, maps: Tensor, style: HeatStyle = HeatStyle()) -> Tensor:
    """frame | overlay | heatmap, concatenated along the width: (..., H, 3W, 3)."""
    return torch.cat([frames, overlay(frames, maps, style), colorize(maps, style.colormap)], dim=-2)


def compose(frames: Tensor, maps: Tensor, layout: str = "overlay", style: HeatStyle = HeatStyle()) -> Tensor:
    """The picture for ``layout``: ``overlay`` or ``side-by-side``."""
    if layout == "overlay":
        return overlay(frames, maps, style)
    if layout == "side-by-side":
        return side_by_side(frames, maps, style)
    raise ValueError(f"unknown layout {layout!r}; choose from {LAYOUTS}")
