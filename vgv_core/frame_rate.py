"""The frame-rate policy, one for every path: which rates to believe, and what to assume.

A container's or a driver's claimed rate is not trusted blindly (0, NaN, 90000 and 180000
are all seen): it is believed only within PLAUSIBLE; otherwise a rate is measured from the
frames' own timestamps; failing that, FALLBACK is assumed (and the caller says so).
"""

from __future__ import annotations

import math

PLAUSIBLE = (1.0, 1000.0)  # frames per second a camera or a video file can really have
FALLBACK = 30.0


def plausible(fps: float | None) -> bool:
    return fps is not None and math.isfinite(fps) and PLAUSIBLE[0] <= fps <= PLAUSIBLE[1]


def believed(fps: float | None) -> float | None:
    """``fps`` if it is plausible, else None."""
    return fps if plausible(fps) else None


def or_fallback(fps: float | None) -> float:
    """``fps`` if it is plausible, else FALLBACK."""
    return fps if plausible(fps) else FALLBACK
