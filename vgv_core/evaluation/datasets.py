"""What a benchmark runs on: batches of model-ready clips, with ground truth when known.

- ``SyntheticBay``: clips of the demo's test bay (vgv_core.demo), classes in turn,
  explained for their TRUE class, with masks of where the evidence is. The masks mark
  the class-defining lamps' location over the clip (the union of the frames where they
  are drawn lit, for every frame): a model must look at a blinker's bulb in its dark
  frames too to see that it blinks. ``all_off`` clips have empty masks. Clip seeds are
  drawn with ``seed`` from the tests' range (vgv_core.demo.seeds), which training never
  uses. Needs a model with the six demo classes.
- ``VideoFolder``: any folder of videos, windows of the model's clip length and frame
  stride taken back to back from the start of each video, as many per video as needed
  to reach ``n`` clips in all; explained for the model's top-1 class. No masks (so
  localisation metrics are not computed), unless a regions file says where each class's
  evidence lies (the attention guard's, vgv_core.regions): its regions, resized and
  cropped like the frames, are then the masks of the class explained, in every frame.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from math import ceil
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from torch import Tensor

from vgv_core.demo.classes import CLASSES
from vgv_core.demo.dataset import render_clips
from vgv_core.demo.seeds import TEST_SEEDS, VALIDATION_SEEDS
from vgv_core.errors import VGVError
from vgv_core.models.spec import ModelSpec
from vgv_core.offline.inputs import VIDEO_SUFFIXES
from vgv_core.preprocess import Preprocessor
from vgv_core.regions import Regions
from vgv_core.video_reader import VideoReader
from vgv_core.window_geometry import window_span

SYNTHETIC = "synthetic"


@dataclass(frozen=True)
class EvalBatch:
    clips: Tensor  # (B, C, T, S, S) normalised for the model, on its device
    targets: Tensor | None  # (B,) classes to explain; None: the model's top-1
    masks: Tensor | None  # (B, T, S, S) bool in the clips' geometry; None: no ground truth
    names: tuple[str, ...]  # where each clip comes from
    class_masks: Tensor | None = None  # (B, K, S, S) bool: where each class's evidence lies, whichever is explained

    def masks_for(self, targets: Tensor) -> Tensor | None:
        """(B, T, S, S) ground truth for the classes ``targets`` (B,) explained; None when there is none."""
        if self.masks is not None or self.class_masks is None:
            return self.masks
        chosen = self.class_masks[torch.arange(len(targets), device=targets.device), targets]
        return chosen[:, None].expand(-1, self.clips.shape[2], -1, -1)


class Dataset(Protocol):
    size: int  # clips it will yield, at most
    has_masks: bool
    description: str

    def batches(self, batch_size: int, start: int = 0, stop: int | None = None) -> Iterator[EvalBatch]:
        """Batches number ``start`` to before ``stop`` (None: to the end) of ``batch_size`` clips;
        the same clips in the same batches whatever part is asked for."""
        ...


class SyntheticBay:
    """``n`` test-bay clips, balanced over the six classes, with lamp masks."""

    has_masks = True

    def __init__(self, spec: ModelSpec, device: torch.device, n: int, seed: int = 0) -> None:
        if spec.num_classes != len(CLASSES):
            raise VGVError(
                f"--data {SYNTHETIC} needs a model with the {len(CLASSES)} demo classes ({', '.join(CLASSES)}); "
                f"this one has {spec.num_classes}: give a folder of videos instead"
            )
        span = VALIDATION_SEEDS - TEST_SEEDS
        if n > span:
            raise VGVError(f"--data {SYNTHETIC} has {span} distinct clips; ask for at most that many")
        self.spec, self.size = spec, n
        self.preprocess = Preprocessor(spec, device)
        self.seeds = (TEST_SEEDS + np.random.default_rng(seed).choice(span, n, replace=False)).tolist()
        self.description = f"{SYNTHETIC} test bay, {n} clips (seed {seed})"

    def batches(self, batch_size: int, start: int = 0, stop: int | None = None) -> Iterator[EvalBatch]:
        end = self.size if stop is None else min(self.size, stop * batch_size)
        for first in range(start * batch_size, end, batch_size):
            clips = render_clips(self.seeds[first:first + batch_size], self.spec, first_index=first)
            yield EvalBatch(
                clips=torch.cat([self.preprocess(clip.frames) for clip in clips]),
                targets=torch.tensor([self._class_index(clip.label) for clip in clips], device=self.preprocess.device),
                masks=torch.stack([self._lamp_location(clip.masks) for clip in clips]),
                names=tuple(f"seed {seed} {clip.label}" for seed, clip in zip(self.seeds[first:], clips)),
            )

    def _class_index(self, label: str) -> int:
        labels = self.spec.labels
        return labels.index(label) if label in labels else CLASSES.index(label)

    def _lamp_location(self, masks: np.ndarray) -> Tensor:
        """(T, H, W) lit-lamp masks -> (T, S, S) their union, resized and cropped like the frames."""
        return as_model_input(masks.any(axis=0)[None], self.preprocess)[0].expand(self.spec.clip_len, -1, -1)


class VideoFolder:
    """Up to ``n`` clips from the videos in ``folder`` (sorted by name); masks from ``regions``."""

    def __init__(self, folder: Path, spec: ModelSpec, device: torch.device, n: int,
                 regions: Regions | None = None) -> None:
        self.videos = sorted(p for p in folder.iterdir() if p.suffix.lower() in VIDEO_SUFFIXES)
        if not self.videos:
            raise VGVError(f"{folder} holds no videos ({', '.join(VIDEO_SUFFIXES)})")
        self.spec, self.size = spec, n
        self.preprocess = Preprocessor(spec, device)
        self.per_video = ceil(n / len(self.videos))
        self.regions = regions
        self.has_masks = regions is not None
        self.description = f"{len(self.videos)} videos in {folder}, up to {n} clips"
        self._class_masks: dict[tuple[int, int], Tensor] = {}

    def batches(self, batch_size: int, start: int = 0, stop: int | None = None) -> Iterator[EvalBatch]:
        """The windows of earlier batches are decoded to find where batch ``start`` begins."""
        for group in islice(_groups(self._windows(), batch_size), start, stop):
            clips = [self.preprocess(frames) for _, frames in group]
            masks = [] if self.regions is None else [
                self._masks_of_classes(frames.shape[2], frames.shape[1]) for _, frames in group]
            yield self._batch(clips, [name for name, _ in group], masks)

    @staticmethod
    def _batch(clips: list[Tensor], names: list[str], masks: list[Tensor]) -> EvalBatch:
        return EvalBatch(torch.cat(clips), None, None, tuple(names), torch.stack(masks) if masks else None)

    def _masks_of_classes(self, width: int, height: int) -> Tensor:
        """(K, S, S): each class's regions in the model input's geometry, for frames of this size."""
        if (width, height) not in self._class_masks:
            self.regions.check_frame(width, height)
            covers = [self.regions.coverage(label, (width, height), (width, height)) for label in self.spec.labels]
            inside = np.stack([np.zeros((height, width), bool) if c is None else c >= 0.5 for c in covers])
            self._class_masks[(width, height)] = as_model_input(inside, self.preprocess)
        return self._class_masks[(width, height)]

    def _windows(self) -> Iterator[tuple[str, np.ndarray]]:
        span = window_span(self.spec.clip_len, self.spec.frame_stride)
        produced = 0
        for path in self.videos:
            if produced == self.size:
                return
            with VideoReader(path) as reader:
                window: list[np.ndarray] = []
                for index, frame in reader.frames(stop=span * min(self.per_video, self.size - produced)):
                    window.append(frame)
                    if len(window) == span:
                        yield f"{path.name}@{index + 1 - span}", np.stack(window[::self.spec.frame_stride])
                        produced, window = produced + 1, []


def _groups(items: Iterable, size: int) -> Iterator[list]:
    """``items`` in lists of ``size`` (the last one may be shorter)."""
    iterator = iter(items)
    while group := list(islice(iterator, size)):
        yield group


def as_model_input(masks: np.ndarray, preprocess: Preprocessor) -> Tensor:
    """(N, H, W) bool masks in a frame's geometry -> (N, S, S) bool, resized and cropped as frames are."""
    images = np.repeat(masks[..., None].astype(np.uint8) * 255, 3, axis=3)
    level = preprocess(images)[0, 0] * preprocess.spec.std[0] + preprocess.spec.mean[0]  # back to [0, 1]
    return level > 0.5


def open_dataset(data: str, spec: ModelSpec, device: torch.device, n: int, seed: int = 0,
                 regions: Regions | None = None) -> Dataset:
    """``synthetic`` or a folder of videos (whose ground truth ``regions`` give)."""
    if data == SYNTHETIC:
        if regions is not None:
            raise VGVError(f"--regions goes with --data FOLDER: the {SYNTHETIC} test bay has its own lamp masks")
        return SyntheticBay(spec, device, n, seed)
    folder = Path(data)
    if not folder.is_dir():
        raise VGVError(f"--data must be '{SYNTHETIC}' or a folder of videos; {data} is neither")
    return VideoFolder(folder, spec, device, n, regions)
