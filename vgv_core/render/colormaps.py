"""256-entry colour lookup tables, applied with torch on the maps' device."""

from __future__ import annotations

import cv2
import numpy as np
import torch
from torch import Tensor

from vgv_core.errors import MethodError

# Names users pick from -> OpenCV's tables (BGR), sampled once at 256 levels.
COLORMAPS = {
    "jet": cv2.COLORMAP_JET,
    "turbo": cv2.COLORMAP_TURBO,
    "inferno": cv2.COLORMAP_INFERNO,
    "hot": cv2.COLORMAP_HOT,
    "viridis": cv2.COLORMAP_VIRIDIS,
    "magma": cv2.COLORMAP_MAGMA,
}
_LUTS: dict[tuple[str, str], Tensor] = {}


def colormap_lut(name: str, device: torch.device | str = "cpu") -> Tensor:
    """(256, 3) uint8 BGR table for ``name`` on ``device`` (cached)."""
    if name not in COLORMAPS:
        raise MethodError(f"unknown colormap {name!r}; choose from {', '.join(COLORMAPS)}")
    key = (name, str(device))
    if key not in _LUTS:
        ramp = np.arange(256, dtype=np.uint8)[:, None]
        table = cv2.applyColorMap(ramp, COLORMAPS[name])[:, 0, :]
        _LUTS[key] = torch.from_numpy(np.ascontiguousarray(table)).to(device)
    return _LUTS[key]


def colorize(maps: Tensor, name: str = "jet") -> Tensor:
    """Maps (..., H, W) in [0, 1] -> uint8 BGR (..., H, W, 3) on the same device."""
    index = (maps.clamp(0, 1) * 255).round().long()
    return colormap_lut(name, maps.device)[index]
