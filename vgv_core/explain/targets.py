"""What to explain: class indices, or a callable scoring the model output.

A callable target maps the model output (B, ...) to one score per batch item (B,). Two
ready-made ones cover the seed's advertised uses beyond classification.
"""

from __future__ import annotations

from typing import Callable, Sequence, Union

import torch
import torch.nn.functional as F
from torch import Tensor

from vgv_core.errors import TargetError

ScoreFunction = Callable[[Tensor], Tensor]
Targets = Union[None, int, Sequence[int], Sequence[Sequence[int]], Tensor, ScoreFunction]


class SegmentationMaskTarget:
    """Score = the output of ``category`` summed over ``mask``, for dense models whose
    output is (B, K, *S) with a boolean or float mask of shape S."""

    def __init__(self, category: int, mask: Tensor) -> None:
        self.category = category
        self.mask = mask

    def __call__(self, output: Tensor) -> Tensor:
        mask = self.mask.to(device=output.device, dtype=output.dtype)
        return (output[:, self.category] * mask).flatten(1).sum(dim=1)


class EmbeddingSimilarityTarget:
    """Score = cosine similarity between the model's embedding and a reference one,
    for metric-learning models whose output is (B, D)."""

    def __init__(self, reference: Tensor) -> None:
        self.reference = reference.flatten()

    def __call__(self, output: Tensor) -> Tensor:
        reference = self.reference.to(device=output.device, dtype=output.dtype)
        return F.cosine_similarity(output.flatten(1), reference[None], dim=1)


def resolve_class_targets(targets: Targets, logits: Tensor) -> Tensor:
    """Class indices (B, K) for the given request; None means top-1."""
    batch, num_classes = logits.shape
    if targets is None:
        return logits.argmax(dim=1, keepdim=True)
    indices = _as_index_tensor(targets, batch).to(logits.device)
    bad = indices[(indices < 0) | (indices >= num_classes)]
    if bad.numel():
        raise TargetError(
            f"target class {int(bad[0])} is out of range: the model has {num_classes} classes (0..{num_classes - 1})"
        )
    return indices


def _as_index_tensor(targets: Targets, batch: int) -> Tensor:
    try:
        indices = torch.as_tensor(targets, dtype=torch.long)
    except (TypeError, ValueError, RuntimeError):
        raise TargetError(
            "targets must be None, an int, one int per clip, [[c1, c2, ...], ...] or a callable"
        ) from None
    if indices.dim() == 0:
        return indices.expand(batch, 1)
    if indices.dim() == 1 and indices.shape[0] == batch:
        return indices[:, None]
    if indices.dim() == 2 and indices.shape[0] == batch:
        return indices
    raise TargetError(f"targets of shape {tuple(indices.shape)} do not fit a batch of {batch} clips")
