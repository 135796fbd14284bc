"""Rendering explanations: colormaps, overlays, panels (torch on the device)."""

from vgv_core.render.colormaps import COLORMAPS, colorize, colormap_lut
from vgv_core.render.overlay import LAYOUTS, compose, overlay, side_by_side

__all__ = ["COLORMAPS", "LAYOUTS", "colorize", "colormap_lut", "compose", "overlay", "side_by_side"]
