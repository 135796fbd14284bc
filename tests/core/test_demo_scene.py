"""The demo scene generator: determinism, every class, and masks that are the lit lamps."""

from dataclasses import replace

import cv2
import numpy as np
import pytest

from vgv_core.demo.classes import BLINKERS, CLASSES, HEADLIGHTS
from vgv_core.demo.scene import render_clip, render_scene, sample_scene

SIZE = (180, 320)
TIMES = np.arange(8) * 4 / 30.0  # what the demo model samples: 8 frames, every 4th at 30 fps


def test_same_seed_gives_identical_clip() -> None:
    a = render_clip(11, "hazard", num_frames=6, size=SIZE, stride=4)
    b = render_clip(11, "hazard", num_frames=6, size=SIZE, stride=4)
    assert np.array_equal(a.frames, b.frames)
    assert np.array_equal(a.masks, b.masks)
    assert a.masks.any()


def test_different_seeds_give_different_clips() -> None:
    a = render_clip(11, "hazard", num_frames=2, size=SIZE)
    b = render_clip(12, "hazard", num_frames=2, size=SIZE)
    assert np.abs(a.frames.astype(int) - b.frames.astype(int)).mean() > 10


def test_label_none_draws_every_class_from_the_seed() -> None:
    labels = {render_clip(seed, None, num_frames=1, size=(36, 64)).label for seed in range(60)}
    assert labels == set(CLASSES)


@pytest.mark.parametrize("label", CLASSES)
def test_every_class_renders_with_its_masks(label: str) -> None:
    clip = render_clip(3, label, num_frames=8, size=SIZE, stride=4)
    assert clip.label == label
    assert clip.frames.shape == (8, *SIZE, 3) and clip.frames.dtype == np.uint8
    assert clip.masks.shape == (8, *SIZE) and clip.masks.dtype == bool
    lit_frames = clip.masks.any(axis=(1, 2))
    if label == "all_off":
        assert not lit_frames.any()
    elif label in ("headlights_on", "headlight_defective"):
        assert lit_frames.all()
    else:  # a blinker is both lit and dark within the model's ~1 s window
        assert lit_frames.any() and not lit_frames.all()


@pytest.mark.parametrize("seed", range(12))
def test_masks_are_exactly_the_lit_class_lamps(seed: int) -> None:
    label = CLASSES[1 + seed % 5]
    scene = sample_scene(seed, label, SIZE)
    dark_plan = replace(scene.plan, steady=frozenset(), blinking=frozenset())
    lit, dark = render_scene(scene, TIMES), render_scene(replace(scene, plan=dark_plan), TIMES)
    brighter = lit.frames.astype(int).sum(-1) - dark.frames.astype(int).sum(-1)
    # Masked pixels are lit lamp cores: much brighter than the same lamp dark.
    assert np.median(brighter[lit.masks]) > 150
    # Pixels far from every lamp do not change when the lamps switch (same noise).
    radius = int(0.15 * SIZE[1])  # beyond glow, shake and blur
    lamps = np.any(list(lit.lamp_regions.values()), axis=0).astype(np.uint8)
    near = cv2.dilate(lamps, np.ones((2 * radius + 1, 2 * radius + 1), np.uint8))
    assert np.array_equal(lit.frames[:, near == 0], dark.frames[:, near == 0])
    # A frame has a mask exactly when a class-defining lamp is lit then.
    lit_now = np.any([scene.plan.lit(lamp, TIMES) for lamp in scene.plan.defining], axis=0)
    assert np.array_equal(lit.masks.any(axis=(1, 2)), lit_now)


@pytest.mark.parametrize("seed", range(6))
def test_mask_colours_are_the_lamp_colours(seed: int) -> None:
    blinker = render_clip(seed, "hazard", size=SIZE, stride=4)
    b, g, r = np.median(blinker.frames[blinker.masks].astype(int), axis=0)
    assert r > 200 and r - b > 100, "a lit blinker is amber"
    head = render_clip(seed, "headlights_on", size=SIZE, stride=4)
    assert np.median(head.frames[head.masks].astype(int), axis=0).min() > 170, "a lit headlight is white"


@pytest.mark.parametrize("seed", range(6))
def test_left_means_the_vehicles_left_on_the_image_right(seed: int) -> None:
    scene = sample_scene(seed, "left_blinker", SIZE)
    clip = render_scene(scene, TIMES)
    columns = np.nonzero(clip.masks.any(axis=(0, 1)))[0]
    assert columns.min() > scene.car.cx
    right = render_clip(seed, "right_blinker", size=SIZE, stride=4)
    assert np.nonzero(right.masks.any(axis=(0, 1)))[0].max() < scene.car.cx
    assert set(clip.lamp_regions) == set(HEADLIGHTS) | set(BLINKERS)


def test_unknown_label_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown demo class"):
        render_clip(0, "fog_lights")
