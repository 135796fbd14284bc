"""Colours: one per class, shared by every plot, the threshold editor and the screenshot test."""

from __future__ import annotations

# Bright, distinct on a dark plot background (Tableau 10, reordered so neighbours differ).
CLASS_COLORS: tuple[tuple[int, int, int], ...] = (
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (23, 190, 207), (227, 119, 194), (188, 189, 34), (140, 86, 75), (127, 127, 127),
)
PLOT_BACKGROUND = (20, 22, 28)
ERROR_BACKGROUND = "#7a1f1f"


def class_color(index: int) -> tuple[int, int, int]:
    return CLASS_COLORS[index % len(CLASS_COLORS)]
