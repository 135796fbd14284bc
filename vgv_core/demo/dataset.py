"""Rendered demo clips as model input: what the model of a spec sees, batch by batch."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from vgv_core.demo.classes import CLASSES, LAMPS
from vgv_core.demo.scene import DemoClip, render_clip
from vgv_core.demo.seeds import train_seed
from vgv_core.models.spec import ModelSpec
from vgv_core.preprocess import Preprocessor

FPS = 30.0
TRAIN_SIZE = (180, 320)  # (H, W): 16:9 like the demo video, cheap enough to render while training


def balanced_label(index: int) -> str:
    """Clip ``index``'s class: the classes in turn, so every batch of 6k is balanced."""
    return CLASSES[index % len(CLASSES)]


def render_clips(seeds: Sequence[int], spec: ModelSpec, size: tuple[int, int] = TRAIN_SIZE,
                 first_index: int = 0) -> list[DemoClip]:
    """One clip per seed as the spec's model samples it (clip_len frames, frame_stride apart)."""
    return [
        render_clip(seed, balanced_label(first_index + k), spec.clip_len, FPS, size, spec.frame_stride)
        for k, seed in enumerate(seeds)
    ]


def model_input(clips: Sequence[DemoClip], preprocess: Preprocessor) -> tuple[Tensor, Tensor]:
    """(B, 3, T, crop, crop) input and (B,) class indices of ``clips``."""
    batch = torch.cat([preprocess(clip.frames) for clip in clips])
    labels = torch.tensor([CLASSES.index(clip.label) for clip in clips])
    return batch, labels


def lamp_targets(clips: Sequence[DemoClip], grid: tuple[int, int]) -> Tensor:
    """(B, 4, T, h, w): lamp k (in LAMPS order) is lit in frame t and covers cell (y, x)
    of an h x w grid laid over the whole (stretched) frame."""
    height, width = grid
    targets = np.zeros((len(clips), len(LAMPS), len(clips[0].times), height, width), np.float32)
    for b, clip in enumerate(clips):
        for k, lamp in enumerate(LAMPS):
            cells = cv2.resize(clip.lamp_regions[lamp].astype(np.float32), (width, height), interpolation=cv2.INTER_AREA)
            targets[b, k] = clip.lit[lamp][:, None, None] * (cells > 0.02)
    return torch.from_numpy(targets)


class TrainBatches(Dataset):
    """Batch ``step`` of a training run: input, class indices and lamp targets.

    Indexed by step, so a DataLoader worker can render ahead while the model trains and
    the sequence stays the same whatever the worker count.
    """

    def __init__(self, spec: ModelSpec, run_seed: int, batch_size: int, steps: int, grid: tuple[int, int]) -> None:
        self.spec, self.run_seed, self.batch_size, self.steps, self.grid = spec, run_seed, batch_size, steps, grid

    def __len__(self) -> int:
        return self.steps

    def __getitem__(self, step: int) -> tuple[Tensor, Tensor, Tensor]:
        first = step * self.batch_size
        seeds = [train_seed(self.run_seed, first + k) for k in range(self.batch_size)]
        clips = render_clips(seeds, self.spec, first_index=first)
        batch, labels = model_input(clips, Preprocessor(self.spec, "cpu"))
        return batch, labels, lamp_targets(clips, self.grid)
