"""Transformer tokens as a space-time grid: how a layer's (B, N, C) output maps to (B, C, t, h, w).

A video transformer cuts the clip into tubelets (or per-frame patches) on a (t, h, w) grid and
flattens them into tokens, in an order of its own, after any class tokens. Models that are
not torchvision's MViT (whose blocks return their grid beside their tokens) say how through
a ``token_grid(clip_shape)`` method returning a `TokenGrid` (vgv_core.models.huggingface).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch.nn as nn
from torch import Tensor

from vgv_core.errors import ModelError

ORDERS = ("thw", "hwt")  # which grid axis varies slowest; "hwt": a patch's frames are neighbours (TimeSformer)


@dataclass(frozen=True)
class TokenGrid:
    """``grid``: (t, h, w) of the patch tokens; ``order``: their flattening order; the tokens
    before the last t*h*w (class tokens) are not on the grid."""

    grid: tuple[int, int, int]
    order: str = "thw"

    def __post_init__(self) -> None:
        if self.order not in ORDERS:
            raise ValueError(f"token order must be one of {ORDERS}, got {self.order!r}")

    @property
    def patches(self) -> int:
        t, h, w = self.grid
        return t * h * w

    def to_channels_first(self, tokens: Tensor) -> Tensor:
        """(R, N, C) tokens -> (R, C, t, h, w), class tokens dropped."""
        if tokens.dim() != 3 or tokens.shape[1] < self.patches:
            raise ModelError(
                f"the CAM layer outputs shape {tuple(tokens.shape)}, not the model's {self.patches} patch tokens "
                f"(a {self.grid} grid); choose one of its transformer blocks"
            )
        return self.patch_values(tokens).movedim(-1, 1)

    def patch_values(self, values: Tensor) -> Tensor:
        """(R, N) per-token values (or (R, N, C)) -> (R, t, h, w) (or (R, t, h, w, C)), class tokens dropped."""
        t, h, w = self.grid
        patches = values[:, values.shape[1] - self.patches:]
        if self.order == "thw":
            return patches.unflatten(1, (t, h, w))
        return patches.unflatten(1, (h, w, t)).movedim(3, 1)

    def tokens_of(self, values: Tensor) -> Tensor:
        """(R, t, h, w) -> (R, t*h*w) in the model's token order: `patch_values` undone."""
        return (values if self.order == "thw" else values.movedim(1, 3)).flatten(1)


def token_grid_of(model: nn.Module, clip_shape: tuple[int, ...]) -> TokenGrid | None:
    """The model's own token grid for a clip of this shape, where it declares one."""
    grid_for = getattr(model, "token_grid", None)
    return grid_for(clip_shape) if callable(grid_for) else None
