"""Rendering explanations: colormaps, blends, overlays, panels (torch on the device, OpenCV on the host)."""

from vgv_core.render.blend import BLENDS, HEAT, UNIFORM, HeatStyle, blend_heat
from vgv_core.render.colormaps import COLORMAPS, colorize, colormap_lut
from vgv_core.render.overlay import LAYOUTS, compose, overlay, side_by_side

__all__ = ["BLENDS", "COLORMAPS", "HEAT", "LAYOUTS", "UNIFORM", "HeatStyle", "blend_heat", "colorize", "colormap_lut",
           "compose", "overlay", "side_by_side"]
