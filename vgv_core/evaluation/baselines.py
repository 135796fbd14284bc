"""Reference maps that know nothing about the model, in every results table.

- ``random``: every voxel uniform in [0, 1), fresh values at every call, drawn from a
  generator seeded by the run's seed, and re-seeded by the benchmark before every batch
  (``reseed``, see vgv_core.evaluation.streams), so a run is repeatable however it is split.
  Its scores are chance level.
- ``centre_bias``: a Gaussian bump in the middle of every frame (sigma a quarter of the
  frame's height and width), the same for every clip: scores of a map that only knows
  that subjects tend to be framed in the centre.
Both follow the MapMethod signature (vgv_core.evaluation.methods).
"""

from __future__ import annotations

import torch
import torch.nn as nn
from torch import Tensor

from vgv_core.evaluation.methods import MapMethod

CENTRE_SIGMA = 0.25  # of the frame's height and width
BASELINES = ("random", "centre_bias")


class RandomMap:
    """Uniform random maps from a generator seeded with ``seed``."""

    def __init__(self, seed: int) -> None:
        self.generator = torch.Generator().manual_seed(seed)

    def reseed(self, seed: int) -> None:
        self.generator.manual_seed(seed)

    def __call__(self, net: nn.Module, clips: Tensor, targets: Tensor) -> Tensor:
        batch, _, frames, height, width = clips.shape
        return torch.rand((batch, frames, height, width), generator=self.generator).to(clips.device)


def centre_bias(net: nn.Module, clips: Tensor, targets: Tensor) -> Tensor:
    """exp(-(dy^2 + dx^2) / 2) with offsets from the frame centre in units of sigma."""
    batch, _, frames, height, width = clips.shape
    y = (torch.arange(height, device=clips.device) - (height - 1) / 2) / (CENTRE_SIGMA * height)
    x = (torch.arange(width, device=clips.device) - (width - 1) / 2) / (CENTRE_SIGMA * width)
    bump = torch.exp(-0.5 * (y[:, None].square() + x[None, :].square()))
    return bump.expand(batch, frames, height, width)


def baseline_methods(seed: int) -> dict[str, MapMethod]:
    """The baselines by name, ``random`` drawing from ``seed``."""
    return dict(zip(BASELINES, (RandomMap(seed), centre_bias)))
