"""The test bay behind the car: wall, floor, markings and random clutter.

Clutter includes steady amber and white round lights on the wall, so that "an amber
disc is lit somewhere" is not enough to call a blinker: the model must look at the car.
"""

from __future__ import annotations

import cv2
import numpy as np

from vgv_core.demo.car import random_colour

SHIFT = 4
SCALE = 1 << SHIFT


def draw_backdrop(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """A random test bay as a uint8 BGR image of ``size`` (H, W)."""
    height, width = size
    horizon = int(rng.uniform(0.45, 0.7) * height)
    wall = np.asarray(random_colour(rng, (0.0, 0.35), (0.3, 0.85)), np.float32)
    floor = np.asarray(random_colour(rng, (0.0, 0.2), (0.2, 0.6)), np.float32)
    ramp = np.linspace(0.85, 1.1, height, dtype=np.float32)[:, None, None]
    img = np.where(np.arange(height)[:, None, None] < horizon, wall, floor) * ramp
    img = np.broadcast_to(img, (height, width, 3)).clip(0, 255).astype(np.uint8)
    for _ in range(int(rng.integers(3, 13))):
        _draw_clutter(img, rng, horizon)
    _draw_markings(img, rng, horizon)
    return img


def _draw_clutter(img: np.ndarray, rng: np.random.Generator, horizon: int) -> None:
    height, width = img.shape[:2]
    kind = rng.choice(["box", "shelf", "light", "pipe"], p=[0.4, 0.2, 0.2, 0.2])
    colour = random_colour(rng, (0.0, 1.0), (0.1, 1.0))
    x, y = rng.uniform(0, width), rng.uniform(0, horizon * 1.1)
    w, h = rng.uniform(0.03, 0.25) * width, rng.uniform(0.03, 0.3) * height
    if kind == "box":
        cv2.rectangle(img, _p(x, y), _p(x + w, y + h), colour, -1, cv2.LINE_AA, SHIFT)
        cv2.rectangle(img, _p(x, y), _p(x + w, y + h), tuple(0.6 * c for c in colour), 1, cv2.LINE_AA, SHIFT)
    elif kind == "shelf":
        cv2.rectangle(img, _p(x, y), _p(x + 2 * w, y + 0.02 * height), colour, -1, cv2.LINE_AA, SHIFT)
    elif kind == "light":
        amber = rng.uniform() < 0.5
        colour = (40.0, 170.0, 255.0) if amber else (245.0, 245.0, 245.0)
        radius = rng.uniform(0.006, 0.02) * width
        cv2.circle(img, _p(x, y), int(radius * SCALE), colour, -1, cv2.LINE_AA, SHIFT)
    else:
        thickness = max(1, int(rng.uniform(0.003, 0.012) * width))
        cv2.line(img, _p(x, y), _p(x + rng.uniform(-1, 1) * width, y), colour, thickness, cv2.LINE_AA, SHIFT)


def _draw_markings(img: np.ndarray, rng: np.random.Generator, horizon: int) -> None:
    height, width = img.shape[:2]
    colour = (30.0, 200.0, 230.0) if rng.uniform() < 0.6 else (225.0, 225.0, 225.0)
    thickness = max(1, int(0.008 * width))
    for u in rng.uniform(0.1, 0.9, size=int(rng.integers(0, 3))):
        x0 = u * width
        x1 = width / 2 + (x0 - width / 2) * 2.5
        cv2.line(img, _p(x0, horizon), _p(x1, height), colour, thickness, cv2.LINE_AA, SHIFT)


def _p(x: float, y: float) -> tuple[int, int]:
    return int(round(x * SCALE)), int(round(y * SCALE))
