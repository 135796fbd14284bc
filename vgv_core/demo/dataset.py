"""Rendered demo clips as model input: what the model of a spec sees, batch by batch."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from vgv_core.demo.classes import CLASSES
from vgv_core.demo.scene import DemoClip, render_clip
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
