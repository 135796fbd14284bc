"""The panel under `vgv explain`'s pictures: its colour scale."""

import numpy as np
import pytest

from vgv_core.render.panel import Annotator
from vgv_core.render.colormaps import colormap_lut

LABELS = ("all_off", "headlights_on", "left_blinker", "right_blinker")


def colormap_levels(row: np.ndarray, lut: np.ndarray) -> list[int]:
    """The colormap level of each pixel of ``row`` that has a colormap colour, left to right."""
    level_of = {tuple(int(c) for c in colour): level for level, colour in enumerate(lut)}
    return [level_of[key] for key in (tuple(int(c) for c in pixel) for pixel in row) if key in level_of]


@pytest.mark.parametrize("colormap", ["turbo", "inferno"])
def test_the_colour_scale_runs_from_the_maps_zero_to_its_peak(colormap):
    annotator = Annotator(LABELS, 640, colormap)
    framed = annotator(np.zeros((360, 640, 3), np.uint8), np.array([0.1, 0.2, 0.6, 0.1]), 0.0, "frame 0")
    lut = colormap_lut(colormap).numpy()
    rows = [colormap_levels(row, lut) for row in framed[360:]]
    scale = max(rows, key=len)  # the panel row with the most colormap colours crosses the scale
    assert len(scale) >= 100, "wide enough to read"
    assert scale[0] == 0 and scale[-1] == 255, "from the colormap's cold end to its hot end"
    assert scale == sorted(scale), "rising from left to right"
