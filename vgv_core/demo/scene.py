"""Synthetic test-bay clips: a car front whose lamps follow one demo class, with masks.

`render_clip(seed, label)` draws a random car (position, scale, body colour) in a random
test bay (clutter, markings, steady lights) under a random camera (illumination level,
gradient and tint, flicker, slight shake and roll, blur, sensor noise), then lights the
lamps the class asks for (see vgv_core.demo.classes). Everything random comes from
numpy Generators seeded with ``seed`` alone, so a seed always gives the same clip.

LEFT AND RIGHT are the VEHICLE's own: the camera faces the car's front, so the
`left_blinker` bulb appears on the IMAGE's right side.

Masks: ``masks[t]`` marks the pixels of the class-defining lamps (see the table in
vgv_core.demo.classes) that are drawn lit in frame ``t``: the lamp's core, not its glow,
moved with the camera shake. Frames where those lamps are dark (a blinker's off phase)
have empty masks, and so has every frame of `all_off`.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import cv2
import numpy as np

from vgv_core.demo.backdrop import draw_backdrop
from vgv_core.demo.car import CarFront, LampSprite, draw_car, lamp_sprites, sample_car
from vgv_core.demo.classes import CLASSES, LampPlan, sample_plan

DEFAULT_SIZE = (360, 640)
# Standard normal quantiles at 256 levels: indexing it with random bytes is a 5x cheaper
# sensor noise than Generator.standard_normal, and rendering runs inside training.
_GAUSS_LEVELS = np.array([NormalDist().inv_cdf((i + 0.5) / 256) for i in range(256)], np.float32)


@dataclass(frozen=True)
class Camera:
    """How the camera sees the bay; lengths are in pixels of the rendered size."""

    gain: float
    gradient: tuple[float, float]  # illumination slope across x and y, relative
    tint: tuple[float, float, float]  # per-channel (BGR) gain
    flicker: tuple[float, float, float]  # amplitude, Hz, phase
    shake: tuple[float, float, float, float, float]  # amplitude px, Hz x, Hz y, phase x, phase y
    roll_deg: float  # shake's rotation amplitude
    blur_sigma: float
    noise_sigma: float


@dataclass(frozen=True)
class Scene:
    """One clip's fixed content; `render_scene` turns it into frames at given times."""

    label: str
    image: np.ndarray  # (H, W, 3) uint8 BGR: bay and car, every lamp dark, before the camera
    car: CarFront
    plan: LampPlan
    camera: Camera
    noise_seed: tuple[int, int]


@dataclass(frozen=True)
class DemoClip:
    frames: np.ndarray  # (T, H, W, 3) uint8 BGR
    masks: np.ndarray  # (T, H, W) bool: class-defining lamps where drawn lit
    label: str
    times: np.ndarray  # (T,) seconds
    lamp_regions: dict[str, np.ndarray]  # lamp name -> (H, W) bool core, lit or not, without shake
    lit: dict[str, np.ndarray]  # lamp name -> (T,) bool: drawn lit in that frame


def sample_scene(seed: int, label: str | None = None, size: tuple[int, int] = DEFAULT_SIZE) -> Scene:
    """The random content of clip ``seed``; ``label`` None draws a class from the seed too."""
    rng = np.random.default_rng([seed, 0])
    drawn = CLASSES[int(rng.integers(len(CLASSES)))]
    label = drawn if label is None else label
    image = draw_backdrop(rng, size)
    car = sample_car(rng, size)
    draw_car(image, car)
    plan = sample_plan(label, rng)
    return Scene(label, image, car, plan, _sample_camera(rng, size), (seed, 1))


def _sample_camera(rng: np.random.Generator, size: tuple[int, int]) -> Camera:
    width = size[1]
    return Camera(
        gain=float(rng.uniform(0.55, 1.3)),
        gradient=(float(rng.uniform(-0.5, 0.5)), float(rng.uniform(-0.4, 0.4))),
        tint=tuple(float(v) for v in rng.uniform(0.88, 1.12, size=3)),
        flicker=(float(rng.uniform(0, 0.03)), float(rng.uniform(0.5, 5)), float(rng.uniform(0, 2 * np.pi))),
        shake=(
            float(rng.uniform(0, 0.008) * width), float(rng.uniform(0.5, 3)), float(rng.uniform(0.5, 3)),
            float(rng.uniform(0, 2 * np.pi)), float(rng.uniform(0, 2 * np.pi)),
        ),
        roll_deg=float(rng.uniform(0, 0.5)),
        blur_sigma=float(rng.uniform(0, 1.0) * width / 320),
        noise_sigma=float(rng.uniform(1, 7)),
    )


def render_scene(scene: Scene, times: np.ndarray) -> DemoClip:
    """Frames, masks and lamp regions of ``scene`` at ``times`` (seconds)."""
    times = np.asarray(times, dtype=np.float64)
    height, width = scene.image.shape[:2]
    sprites = lamp_sprites(scene.car, (height, width))
    lit = {name: scene.plan.lit(name, times) for name in sprites}
    base = scene.image.astype(np.float32) * _illumination(scene.camera, (height, width))
    noise = np.random.default_rng(list(scene.noise_seed))
    frames = np.empty((len(times), height, width, 3), np.uint8)
    masks = np.zeros((len(times), height, width), bool)
    for k, t in enumerate(times):
        img = base * _flicker(scene.camera, t)
        mask = np.zeros((height, width), np.uint8)
        for name, sprite in sprites.items():
            if lit[name][k]:
                _light(img, sprite)
                if name in scene.plan.defining:
                    _paint_mask(mask, sprite)
        frames[k], masks[k] = _photograph(img, mask, scene.camera, t, noise)
    regions = {name: _region(sprite, (height, width)) for name, sprite in sprites.items()}
    return DemoClip(frames, masks, scene.label, times, regions, lit)


def render_clip(
    seed: int,
    label: str | None = None,
    num_frames: int = 8,
    fps: float = 30.0,
    size: tuple[int, int] = DEFAULT_SIZE,
    stride: int = 1,
) -> DemoClip:
    """Clip ``seed`` of class ``label``: ``num_frames`` frames of a ``fps`` video, taking
    every ``stride``-th frame (stride 4 gives what a model with frame_stride 4 sees)."""
    if label is not None and label not in CLASSES:
        raise ValueError(f"unknown demo class {label!r}; known: {', '.join(CLASSES)}")
    times = np.arange(num_frames) * stride / fps
    return render_scene(sample_scene(seed, label, size), times)


def _illumination(camera: Camera, size: tuple[int, int]) -> np.ndarray:
    height, width = size
    x = np.linspace(-0.5, 0.5, width, dtype=np.float32)[None, :]
    y = np.linspace(-0.5, 0.5, height, dtype=np.float32)[:, None]
    field = camera.gain * (1 + camera.gradient[0] * x + camera.gradient[1] * y)
    return field[..., None] * np.asarray(camera.tint, np.float32)


def _flicker(camera: Camera, t: float) -> np.float32:
    amplitude, hz, phase = camera.flicker
    return np.float32(1 + amplitude * np.sin(2 * np.pi * hz * t + phase))


def _light(img: np.ndarray, sprite: LampSprite) -> None:
    y0, y1, x0, x1 = sprite.box
    alpha = sprite.alpha[..., None]
    roi = img[y0:y1, x0:x1]
    roi *= 1 - alpha
    roi += alpha * np.asarray(sprite.lamp.lit_colour, np.float32) + sprite.glow


def _paint_mask(mask: np.ndarray, sprite: LampSprite) -> None:
    y0, y1, x0, x1 = sprite.box
    mask[y0:y1, x0:x1] |= (sprite.alpha > 0.5).astype(np.uint8)


def _region(sprite: LampSprite, size: tuple[int, int]) -> np.ndarray:
    region = np.zeros(size, np.uint8)
    _paint_mask(region, sprite)
    return region.astype(bool)


def _photograph(
    img: np.ndarray, mask: np.ndarray, camera: Camera, t: float, noise: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Shake, blur and sensor noise: the same warp moves the mask."""
    height, width = img.shape[:2]
    amp, hz_x, hz_y, ph_x, ph_y = camera.shake
    dx, dy = amp * np.sin(2 * np.pi * hz_x * t + ph_x), amp * np.sin(2 * np.pi * hz_y * t + ph_y)
    roll = camera.roll_deg * np.sin(2 * np.pi * hz_y * t + ph_x)
    warp = cv2.getRotationMatrix2D((width / 2, height / 2), roll, 1.0)
    warp[:, 2] += (dx, dy)
    img = cv2.warpAffine(img, warp, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT101)
    if mask.any():
        mask = cv2.warpAffine(mask, warp, (width, height), flags=cv2.INTER_NEAREST)
    if camera.blur_sigma > 0.3:
        img = cv2.GaussianBlur(img, (0, 0), camera.blur_sigma)
    img += (_GAUSS_LEVELS * np.float32(camera.noise_sigma))[noise.integers(0, 256, img.shape, dtype=np.uint8)]
    np.maximum(img, 0, out=img)
    return cv2.convertScaleAbs(img), mask.astype(bool)  # rounds and saturates at 255
