"""The demo's classes and which lamps each one switches on.

Lamp names use the VEHICLE's own left and right (as its driver sees them). The camera
faces the car's front, so the vehicle's left lamps appear on the IMAGE's right side,
and `left_blinker` is the bulb drawn on the right half of the frame.

| label                 | headlights               | blinkers                  | mask (lamps that define the class) |
|-----------------------|--------------------------|---------------------------|------------------------------------|
| `all_off`             | off                      | off                       | empty                              |
| `headlights_on`       | both on                  | off                       | both headlights                    |
| `left_blinker`        | both on or both off      | left blinks               | left blinker bulb                  |
| `right_blinker`       | both on or both off      | right blinks              | right blinker bulb                 |
| `hazard`              | both on or both off      | both blink together       | both blinker bulbs                 |
| `headlight_defective` | exactly one on           | off                       | the working headlight              |

Blinkers blink at 1-2 Hz with a random phase and a duty cycle of 40-65 %. With these
bounds every ~1 s window (8 frames, one every 4th frame at 30 fps) of a blinker clip
holds at least one lit and one dark sample, so blinking is visible to the model but
a single frame can miss it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CLASSES = ("all_off", "headlights_on", "left_blinker", "right_blinker", "hazard", "headlight_defective")
LAMPS = ("left_headlight", "right_headlight", "left_blinker", "right_blinker")
HEADLIGHTS = ("left_headlight", "right_headlight")
BLINKERS = ("left_blinker", "right_blinker")

BLINK_HZ = (1.0, 2.0)
BLINK_DUTY = (0.4, 0.65)


@dataclass(frozen=True)
class Blink:
    """A blinker's timing: lit while ``(hz * t + phase) mod 1 < duty``."""

    hz: float
    duty: float
    phase: float

    def lit(self, times: np.ndarray) -> np.ndarray:
        return np.mod(self.hz * np.asarray(times) + self.phase, 1.0) < self.duty


@dataclass(frozen=True)
class LampPlan:
    """Which lamps are lit when: ``steady`` always, ``blinking`` per ``blink``."""

    label: str
    steady: frozenset[str]
    blinking: frozenset[str]
    blink: Blink
    defining: frozenset[str]

    def lit(self, lamp: str, times: np.ndarray) -> np.ndarray:
        """Boolean per time: is ``lamp`` lit."""
        times = np.asarray(times, dtype=np.float64)
        if lamp in self.steady:
            return np.ones(times.shape, dtype=bool)
        if lamp in self.blinking:
            return self.blink.lit(times)
        return np.zeros(times.shape, dtype=bool)


def sample_plan(label: str, rng: np.random.Generator) -> LampPlan:
    """The lamp states of one clip of class ``label``, randomised where the class allows."""
    if label not in CLASSES:
        raise ValueError(f"unknown demo class {label!r}; known: {', '.join(CLASSES)}")
    blink = Blink(float(rng.uniform(*BLINK_HZ)), float(rng.uniform(*BLINK_DUTY)), float(rng.uniform()))
    headlights = frozenset(HEADLIGHTS) if rng.uniform() < 0.5 else frozenset()
    working = frozenset([HEADLIGHTS[int(rng.integers(2))]])
    steady, blinking, defining = {
        "all_off": (frozenset(), frozenset(), frozenset()),
        "headlights_on": (frozenset(HEADLIGHTS), frozenset(), frozenset(HEADLIGHTS)),
        "left_blinker": (headlights, frozenset(["left_blinker"]), frozenset(["left_blinker"])),
        "right_blinker": (headlights, frozenset(["right_blinker"]), frozenset(["right_blinker"])),
        "hazard": (headlights, frozenset(BLINKERS), frozenset(BLINKERS)),
        "headlight_defective": (working, frozenset(), working),
    }[label]
    return LampPlan(label, steady, blinking, blink, defining)
