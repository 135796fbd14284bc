"""Gradient-weighted attention rollout (Chefer, Gur and Wolf, "Generic Attention-model
Explainability", ICCV 2021): which patches the decision for a class read, through every block.

For each attention map A (heads, n, n) of the pass and the gradient G of the class score with
respect to it, Ā = the mean over heads of relu(G * A). The relevance of token j for token i,
R, starts as the identity and every attention, in forward order, adds what it mixes in:
R <- R + Ā R (the residual connection keeps R). The map is the row of R of what the head
reads, over the patch tokens on the model's token grid: the class token's row (TimeSformer,
ViViT; VideoMAE without mean pooling reads its first token). A head that pools every token
(VideoMAE's usual one) reads every row, each by how much its token of the last block raises
the class score, relu(sum over channels of gradient x activation), as HiResCAM weighs a
location: with equal weights every token's own path (the identity) would count the same.

Only that row is needed, so it is computed as a row vector, from the last attention back to
the first (v <- v + v Ā), at O(n^2) per attention instead of O(n^3).

Kinds of attention (`AttentionRecord.kind`):
- "joint": over all tokens, class token included (VideoMAE, ViViT, TimeSformer's joint
  space-time attention);
- TimeSformer's divided space-time attention, per block "temporal" (each patch position over
  its frames; the class token is left alone) then "spatial" (each frame's patches with the one
  class token, whose outputs the block then averages over the frames). Both assume
  TimeSformer's layout: one class token first.

Models offer this by ``recording_attention()``, a context manager yielding the `AttentionTrace`
the forward fills, ``attention_readout`` and ``token_grid(clip_shape)``
(vgv_core.models.huggingface); others get a MethodError naming the methods they do support.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Sequence

import torch
import torch.nn as nn
from torch import Tensor

from vgv_core.errors import MethodError
from vgv_core.explain.methods import ATTENTION_METHODS, METHODS
from vgv_core.explain.tokens import TokenGrid

(ATTENTION_METHOD,) = ATTENTION_METHODS
KINDS = ("joint", "temporal", "spatial")
READOUTS = ("first", "mean")  # the head reads the first token (a class token), or the mean of all tokens


@dataclass(frozen=True)
class AttentionRecord:
    """One attention map of a pass: ``probs`` (items, heads, n, n), in the graph. Items: the
    batch ("joint"), batch x patch positions ("temporal"), batch x frames ("spatial")."""

    kind: str
    probs: Tensor


@dataclass
class AttentionTrace:
    """What one forward recorded: every attention map, in forward order, and the last block's
    output tokens (B, N, C), which the head reads."""

    maps: list[AttentionRecord] = field(default_factory=list)
    tokens: Tensor | None = None

    def tensors(self) -> list[Tensor]:
        """What the rollout needs gradients of: the maps, then the tokens."""
        return [record.probs for record in self.maps] + ([self.tokens] if self.tokens is not None else [])


def reads_attention(model: nn.Module) -> bool:
    return callable(getattr(model, "recording_attention", None))


def methods_for(model: nn.Module) -> tuple[str, ...]:
    """The methods that can explain ``model``: attention rollout only where there is attention to read."""
    return METHODS if reads_attention(model) else tuple(m for m in METHODS if m not in ATTENTION_METHODS)


def recording_attention(model: nn.Module) -> AbstractContextManager[AttentionTrace]:
    """The model's attention recorder for one forward pass; a MethodError for models without."""
    if not reads_attention(model):
        spec = getattr(model, "vgv_spec", None)
        what = spec.arch if spec is not None else type(model).__name__
        raise MethodError(
            f"{ATTENTION_METHOD} reads a transformer's attention (VideoMAE, TimeSformer or ViViT, loaded from a "
            f"save_pretrained folder); {what} has none: use gradcam, guided_gradcam or saliency"
        )
    return model.recording_attention()


def gradient_rollout(
    trace: AttentionTrace, gradients: Sequence[Tensor], grid: TokenGrid, readout: str, batch: int
) -> Tensor:
    """The rollout map (batch * K, t, h, w) from the pass's trace and the gradients of its
    `AttentionTrace.tensors`, each (K, ...) for K target classes."""
    records = trace.maps
    weighted = [_head_mean(record, gradient, batch) for record, gradient in zip(records, gradients)]
    row = _readout_row(readout, trace, gradients, batch, _token_count(records[0], grid))
    for record, attention in zip(reversed(records), reversed(weighted)):
        row = row + _mix(record.kind, row, attention, grid)
    return grid.patch_values(row)


def _readout_row(readout: str, trace: AttentionTrace, gradients: Sequence[Tensor], batch: int, tokens: int) -> Tensor:
    """The row of R the map is: (batch * K, tokens) weights of the tokens the head reads."""
    if readout not in READOUTS:
        raise ValueError(f"unknown readout {readout!r}; one of {READOUTS}")
    if readout == "first":
        row = torch.zeros(batch * gradients[0].shape[0], tokens, device=gradients[0].device)
        row[:, 0] = 1
        return row
    gradient = gradients[len(trace.maps)]  # of the last block's tokens, (K, B, N, C)
    contribution = (gradient * trace.tokens.detach()).sum(dim=-1).clamp(min=0).transpose(0, 1).flatten(0, 1).float()
    total = contribution.sum(dim=1, keepdim=True)
    return torch.where(total > 0, contribution / total.clamp(min=1e-12), torch.full_like(contribution, 1 / tokens))


def _head_mean(record: AttentionRecord, gradient: Tensor, batch: int) -> Tensor:
    """Ā per (batch item, class): (batch * K, groups, n, n), groups being the items of one clip."""
    weighted = (gradient * record.probs.detach()).clamp(min=0).mean(dim=2)  # (K, items, n, n)
    return weighted.unflatten(1, (batch, -1)).transpose(0, 1).flatten(0, 1).float()


def _token_count(record: AttentionRecord, grid: TokenGrid) -> int:
    """Tokens in the sequence: a joint attention sees them all; divided ones, one class token and the patches."""
    return record.probs.shape[-1] if record.kind == "joint" else 1 + grid.patches


def _mix(kind: str, row: Tensor, attention: Tensor, grid: TokenGrid) -> Tensor:
    """row @ Ā for one attention of this kind, as it acts on the whole token sequence."""
    if kind == "joint":
        return torch.einsum("ri,rij->rj", row, attention[:, 0])
    if kind not in KINDS:
        raise ValueError(f"unknown attention kind {kind!r}; one of {KINDS}")
    patches = grid.patch_values(row)  # (R, t, h, w)
    r, t, h, w = patches.shape
    if kind == "temporal":  # attention (R, h*w, t, t)
        mixed = torch.einsum("rpt,rpts->rps", patches.flatten(2).transpose(1, 2), attention)
        return _sequence(torch.zeros_like(row[:, :1]), mixed.transpose(1, 2).unflatten(2, (h, w)), grid)
    # spatial, attention (R, t, 1 + h*w, 1 + h*w): per frame, the class token's share and the frame's patches
    per_frame = torch.cat([(row[:, :1] / t).expand(r, t)[..., None], patches.flatten(2)], dim=2)
    mixed = torch.einsum("rti,rtij->rtj", per_frame, attention)
    return _sequence(mixed[:, :, :1].sum(dim=1), mixed[:, :, 1:].unflatten(2, (h, w)), grid)


def _sequence(class_token: Tensor, patches: Tensor, grid: TokenGrid) -> Tensor:
    """(R, 1) class token and (R, t, h, w) patch values -> (R, 1 + t*h*w) in the model's token order."""
    return torch.cat([class_token, grid.tokens_of(patches)], dim=1)
