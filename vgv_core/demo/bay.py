"""The test bay as an inspector sees it: one car parked in place under a fixed camera, its
lamps switched class by class, and the regions around its lamps where the evidence lies.

`bay_scene` draws the car, bay and camera once (the camera does not shake: it is mounted);
`lit_as` keeps all of that and switches the lamps for one segment. `bay_regions` is the
regions file an inspector would draw for this bay: a rectangle around each lamp with a
margin, and which lamps each class must look at (as in vgv_core.demo.classes: the
vehicle's left blinker is on the image's right).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from vgv_core.demo.car import Lamp
from vgv_core.demo.classes import sample_plan
from vgv_core.demo.scene import DEFAULT_SIZE, Scene, sample_scene

REGION_OF_LAMP = {
    "left_blinker": "left_bulb",
    "right_blinker": "right_bulb",
    "left_headlight": "left_headlight",
    "right_headlight": "right_headlight",
}
EXPECT = {
    "headlights_on": ["left_headlight", "right_headlight"],
    "left_blinker": ["left_bulb"],
    "right_blinker": ["right_bulb"],
    "hazard": ["left_bulb", "right_bulb"],
    "headlight_defective": ["left_headlight", "right_headlight"],
}
MARGIN = 1.0  # a region reaches this many lamp half-axes beyond the lamp's edge


def bay_scene(seed: int, size: tuple[int, int] = DEFAULT_SIZE) -> Scene:
    """The bay of ``seed`` with every lamp dark, seen by a camera that does not move."""
    scene = sample_scene(seed, "all_off", size)
    mounted = replace(scene.camera, shake=(0.0, *scene.camera.shake[1:]), roll_deg=0.0)
    return replace(scene, camera=mounted)


def lit_as(scene: Scene, label: str, segment: int) -> Scene:
    """The same car and camera with its lamps as class ``label`` has them in segment ``segment``
    (blink rate, phase and headlights drawn from the scene's seed and the segment)."""
    seed = scene.noise_seed[0]
    plan = sample_plan(label, np.random.default_rng([seed, 2, segment]))
    return replace(scene, label=label, plan=plan, noise_seed=(seed, 3 + segment))


def bay_regions(scene: Scene) -> dict:
    """The regions file of ``scene``'s bay: {"regions": {name: [x0, y0, x1, y1]}, "expect": ...}."""
    height, width = scene.image.shape[:2]
    regions = {REGION_OF_LAMP[lamp.name]: _box(lamp, width, height) for lamp in scene.car.lamps
               if lamp.name in REGION_OF_LAMP}
    return {"frame_size": [width, height], "regions": regions, "expect": EXPECT}


def _box(lamp: Lamp, width: int, height: int) -> list[int]:
    (x, y), (ax, ay) = lamp.center, lamp.axes
    reach_x, reach_y = ax * (1 + MARGIN), ay * (1 + MARGIN)
    return [max(0, int(np.floor(x - reach_x))), max(0, int(np.floor(y - reach_y))),
            min(width, int(np.ceil(x + reach_x))), min(height, int(np.ceil(y + reach_y)))]
