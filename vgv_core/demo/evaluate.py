"""Accuracy and per-class recall of a demo model on freshly rendered clips."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn

from vgv_core.demo.dataset import TRAIN_SIZE, model_input, render_clips
from vgv_core.models.spec import ModelSpec
from vgv_core.preprocess import Preprocessor


@dataclass(frozen=True)
class Evaluation:
    labels: tuple[str, ...]
    confusion: np.ndarray  # (K, K): rows true class, columns predicted class

    @property
    def accuracy(self) -> float:
        return float(np.trace(self.confusion) / max(1, self.confusion.sum()))

    @property
    def recall(self) -> dict[str, float]:
        per_class = np.diag(self.confusion) / np.maximum(1, self.confusion.sum(axis=1))
        return dict(zip(self.labels, per_class.tolist()))

    def summary(self) -> str:
        recalls = ", ".join(f"{name} {value:.1%}" for name, value in self.recall.items())
        return f"accuracy {self.accuracy:.1%} on {int(self.confusion.sum())} clips; recall: {recalls}"


def evaluate(
    net: nn.Module, spec: ModelSpec, seeds: Sequence[int], size: tuple[int, int] = TRAIN_SIZE, batch_size: int = 16
) -> Evaluation:
    """Classify one balanced clip per seed (classes in turn) rendered at ``size``."""
    device = next(net.parameters()).device
    preprocess = Preprocessor(spec, device)
    confusion = np.zeros((spec.num_classes, spec.num_classes), np.int64)
    was_training = net.training
    net.eval()
    with torch.inference_mode():
        for start in range(0, len(seeds), batch_size):
            clips = render_clips(seeds[start:start + batch_size], spec, size, first_index=start)
            batch, labels = model_input(clips, preprocess)
            predicted = net(batch).argmax(dim=1).cpu()
            np.add.at(confusion, (labels.numpy(), predicted.numpy()), 1)
    net.train(was_training)
    return Evaluation(tuple(spec.labels), confusion)
