"""A car front as the test-bay camera sees it: sampled geometry, drawing, lamp sprites.

Lamp names follow the vehicle's own left/right (see vgv_core.demo.classes): the
vehicle's left lamps are drawn right of the car's centre line in the image.
The car is drawn with every lamp dark; `lamp_sprites` give what a lit lamp adds.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import cv2
import numpy as np

SHIFT = 4  # cv2 sub-pixel bits
SCALE = 1 << SHIFT
Colour = tuple[float, float, float]  # BGR, 0..255


@dataclass(frozen=True)
class Lamp:
    name: str
    center: tuple[float, float]  # (x, y) pixels
    axes: tuple[float, float]  # ellipse half-axes (x, y) pixels
    off_colour: Colour
    lit_colour: Colour
    glow_colour: Colour
    glow_strength: float  # 0..1 of glow_colour at the glow's peak
    glow_sigma: float  # pixels


@dataclass(frozen=True)
class LampSprite:
    """A lit lamp's contribution inside ``box`` = (y0, y1, x0, x1): core coverage ``alpha``
    (0..1, drawn in ``lit_colour``) and additive ``glow`` (already times strength)."""

    lamp: Lamp
    box: tuple[int, int, int, int]
    alpha: np.ndarray  # (h, w) float32
    glow: np.ndarray  # (h, w, 3) float32, BGR units


@dataclass(frozen=True)
class CarFront:
    cx: float
    top: float  # y of the body's top edge (bonnet line)
    s: float  # half of the body width, pixels
    body: Colour
    glass: Colour
    grille: Colour
    plate: Colour
    grille_slats: int
    has_fog_lights: bool
    lamps: tuple[Lamp, ...]

    def at(self, u: float, v: float) -> tuple[float, float]:
        """Pixel of car coordinates (u across, +1 = image right; v down), both in units of s."""
        return self.cx + u * self.s, self.top + v * self.s


def random_colour(rng: np.random.Generator, sat: tuple[float, float], val: tuple[float, float]) -> Colour:
    hsv = np.array([[[rng.uniform(0, 180), rng.uniform(*sat) * 255, rng.uniform(*val) * 255]]], np.float32)
    return tuple(float(c) for c in cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR)[0, 0])


def sample_car(rng: np.random.Generator, size: tuple[int, int]) -> CarFront:
    """A car of random size, place and colours, lamps inside the frame."""
    height, width = size
    s = rng.uniform(0.24, 0.36) * width
    cx = rng.uniform(max(1.08 * s, 0.3 * width), min(width - 1.08 * s, 0.7 * width))
    lo, hi = 0.12 * height, 0.97 * height - 0.76 * s
    top = rng.uniform(lo, max(lo, hi))
    body = random_colour(rng, (0.0, 0.9), (0.15, 0.95))
    car = CarFront(
        cx=cx, top=top, s=s, body=body,
        glass=random_colour(rng, (0.1, 0.5), (0.1, 0.3)),
        grille=random_colour(rng, (0.0, 0.2), (0.05, 0.3)),
        plate=(235.0, 235.0, 235.0) if rng.uniform() < 0.6 else (40.0, 200.0, 245.0),
        grille_slats=int(rng.integers(3, 7)),
        has_fog_lights=bool(rng.uniform() < 0.5),
        lamps=(),
    )
    return replace(car, lamps=_sample_lamps(rng, car))


def _sample_lamps(rng: np.random.Generator, car: CarFront) -> tuple[Lamp, ...]:
    outboard = rng.uniform() < 0.5
    if outboard:
        hx, rx = rng.uniform(0.50, 0.58), rng.uniform(0.14, 0.18)
    else:
        hx, rx = rng.uniform(0.55, 0.68), rng.uniform(0.16, 0.22)
    hy, ry = rng.uniform(0.15, 0.22), rng.uniform(0.07, 0.1)
    br = rng.uniform(0.08, 0.1)
    bx, by = (hx + rx + 0.04 + br, hy) if outboard else (hx + rng.uniform(-0.05, 0.05), hy + ry + 0.05 + br)
    head_off = tuple(float(rng.uniform(70, 130) + d) for d in (12, 4, 0))
    head_lit = (255.0, 250.0, 238.0) if rng.uniform() < 0.5 else (205.0, 238.0, 255.0)
    bulb_off = _bulb_off_colour(rng)
    bulb_lit = (float(rng.uniform(20, 60)), float(rng.uniform(150, 195)), 255.0)
    head_glow, bulb_glow = rng.uniform(0.6, 0.95), rng.uniform(0.5, 0.9)
    lamps = []
    for side, sign in (("left", 1.0), ("right", -1.0)):  # vehicle's left = image right
        lamps.append(Lamp(
            f"{side}_headlight", car.at(sign * hx, hy), (rx * car.s, ry * car.s), head_off, head_lit,
            head_lit, head_glow, 0.6 * ry * car.s + 1.0,
        ))
        lamps.append(Lamp(
            f"{side}_blinker", car.at(sign * bx, by), (br * car.s, br * car.s), bulb_off, bulb_lit,
            (0.0, 140.0, 255.0), bulb_glow, 0.8 * br * car.s + 1.0,
        ))
    return tuple(lamps)


def _bulb_off_colour(rng: np.random.Generator) -> Colour:
    if rng.uniform() < 0.7:  # amber lens, dark
        return (float(rng.uniform(20, 50)), float(rng.uniform(70, 110)), float(rng.uniform(110, 160)))
    grey = float(rng.uniform(90, 150))  # clear lens
    return (grey + 6, grey, grey - 4)


def draw_car(img: np.ndarray, car: CarFront) -> None:
    """Draw ``car`` into the uint8 BGR ``img`` in place, every lamp dark."""
    shadow = tuple(0.35 * c for c in _mean_colour(img, car))
    _ellipse(img, car.at(0, 0.86), (1.15 * car.s, 0.08 * car.s), shadow)
    for sign in (-1, 1):  # tyres, mirrors
        _poly(img, [car.at(sign * 0.95, 0.6), car.at(sign * 0.7, 0.6), car.at(sign * 0.7, 0.88), car.at(sign * 0.95, 0.88)], (18, 18, 20))
        _ellipse(img, car.at(sign * 1.06, -0.12), (0.1 * car.s, 0.07 * car.s), car.body)
    _poly(img, [car.at(-0.72, -0.64), car.at(0.72, -0.64), car.at(0.94, 0.02), car.at(-0.94, 0.02)], car.body)
    _poly(img, [car.at(-0.64, -0.57), car.at(0.64, -0.57), car.at(0.85, -0.03), car.at(-0.85, -0.03)], car.glass)
    sheen = tuple(min(255.0, c + 45) for c in car.glass)
    _poly(img, [car.at(-0.3, -0.57), car.at(-0.12, -0.57), car.at(-0.35, -0.03), car.at(-0.55, -0.03)], sheen)
    _rounded_rect(img, car.at(-1, 0), car.at(1, 0.72), 0.14 * car.s, car.body)
    _rounded_rect(img, car.at(-0.98, 0.6), car.at(0.98, 0.72), 0.05 * car.s, tuple(0.55 * c for c in car.body))
    _draw_grille(img, car)
    _draw_plate(img, car)
    if car.has_fog_lights:
        for sign in (-1, 1):
            _ellipse(img, car.at(sign * 0.72, 0.66), (0.05 * car.s, 0.035 * car.s), (150, 150, 150))
    for lamp in car.lamps:
        housing = (lamp.axes[0] + 0.025 * car.s, lamp.axes[1] + 0.025 * car.s)
        _ellipse(img, lamp.center, housing, (45, 45, 50))
        _ellipse(img, lamp.center, lamp.axes, lamp.off_colour)
        spot = (lamp.center[0] - 0.4 * lamp.axes[0], lamp.center[1] - 0.35 * lamp.axes[1])
        _ellipse(img, spot, (0.18 * lamp.axes[0], 0.18 * lamp.axes[1]), tuple(min(255.0, c + 70) for c in lamp.off_colour))


def _draw_grille(img: np.ndarray, car: CarFront) -> None:
    y0, y1 = 0.14, 0.44
    _rounded_rect(img, car.at(-0.38, y0), car.at(0.38, y1), 0.05 * car.s, car.grille)
    slat = tuple(min(255.0, c + 50) for c in car.grille)
    for v in np.linspace(y0, y1, car.grille_slats + 2)[1:-1]:
        _poly(img, [car.at(-0.36, v - 0.008), car.at(0.36, v - 0.008), car.at(0.36, v + 0.008), car.at(-0.36, v + 0.008)], slat)
    _ellipse(img, car.at(0, (y0 + y1) / 2), (0.06 * car.s, 0.04 * car.s), (190, 190, 195))


def _draw_plate(img: np.ndarray, car: CarFront) -> None:
    _rounded_rect(img, car.at(-0.25, 0.47), car.at(0.25, 0.58), 0.015 * car.s, car.plate)
    for u in np.linspace(-0.19, 0.19, 6):
        _poly(img, [car.at(u - 0.022, 0.49), car.at(u + 0.022, 0.49), car.at(u + 0.022, 0.56), car.at(u - 0.022, 0.56)], (25, 25, 25))


def _mean_colour(img: np.ndarray, car: CarFront) -> Colour:
    x, y = car.at(0, 0.86)
    y = int(np.clip(y, 0, img.shape[0] - 1))
    return tuple(float(c) for c in img[y, int(np.clip(x, 0, img.shape[1] - 1))])


def _pts(points: list[tuple[float, float]]) -> np.ndarray:
    return np.round(np.asarray(points) * SCALE).astype(np.int32)


def _poly(img: np.ndarray, points: list[tuple[float, float]], colour: Colour) -> None:
    cv2.fillPoly(img, [_pts(points)], colour, cv2.LINE_AA, SHIFT)


def _ellipse(img: np.ndarray, center: tuple[float, float], axes: tuple[float, float], colour: Colour) -> None:
    c = tuple(int(round(v * SCALE)) for v in center)
    a = tuple(max(1, int(round(v * SCALE))) for v in axes)
    cv2.ellipse(img, c, a, 0, 0, 360, colour, -1, cv2.LINE_AA, SHIFT)


def _rounded_rect(img: np.ndarray, p0: tuple[float, float], p1: tuple[float, float], r: float, colour: Colour) -> None:
    (x0, y0), (x1, y1) = p0, p1
    r = min(r, (x1 - x0) / 2, (y1 - y0) / 2)
    corners = ((x1 - r, y0 + r, 270), (x1 - r, y1 - r, 0), (x0 + r, y1 - r, 90), (x0 + r, y0 + r, 180))
    points = []
    for cx, cy, start in corners:
        angles = np.deg2rad(start + np.linspace(0, 90, 6))
        points += [(cx + r * np.cos(a), cy + r * np.sin(a)) for a in angles]
    _poly(img, points, colour)


def lamp_sprites(car: CarFront, size: tuple[int, int]) -> dict[str, LampSprite]:
    """Per lamp: what lighting it adds to the frame, clipped to the frame."""
    return {lamp.name: _sprite(lamp, size) for lamp in car.lamps}


def _sprite(lamp: Lamp, size: tuple[int, int]) -> LampSprite:
    height, width = size
    reach = 3.0 * lamp.glow_sigma
    x, y = lamp.center
    x0, x1 = int(max(0, np.floor(x - lamp.axes[0] - reach))), int(min(width, np.ceil(x + lamp.axes[0] + reach) + 1))
    y0, y1 = int(max(0, np.floor(y - lamp.axes[1] - reach))), int(min(height, np.ceil(y + lamp.axes[1] + reach) + 1))
    canvas = np.zeros((y1 - y0, x1 - x0), np.uint8)
    _ellipse(canvas, (x - x0, y - y0), lamp.axes, (255,))
    alpha = canvas.astype(np.float32) / 255.0
    halo = cv2.GaussianBlur(alpha, (0, 0), lamp.glow_sigma)
    halo *= lamp.glow_strength / max(float(halo.max()), 1e-6)
    glow = halo[..., None] * np.asarray(lamp.glow_colour, np.float32)
    return LampSprite(lamp, (y0, y1, x0, x1), alpha, glow)
