"""The Hugging Face video classifiers explained here, and what the engine must know of each.

Per family (the ``model_type`` of its config.json; its transformers class is in adapter.py): how its tokens lie
on the clip (tokens.TokenGrid: tubelet or patch geometry, flattening order, class token),
what its head reads (attention.py's readout), which block CAM looks at by default, and where
its attention maps come from.

Default CAM layers, and why: a head that reads the class token alone (TimeSformer, ViViT, and
VideoMAE without mean pooling, whose head reads the first token) gives the last block's patch
tokens no gradient, as found for MViT, so CAM looks at the block before the last, whose patch
tokens the last block's attention still mixes into the class token. VideoMAE's usual head
averages every token of the last block, so that block it is: each token then reaches the
decision through the same average, as a CNN's feature map through global pooling.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch.nn as nn

from vgv_core.explain.tokens import TokenGrid

Grid = Callable[[object, int, int, int], tuple[int, int, int]]  # (config, frames, height, width) -> (t, h, w)


def _pair(value: object) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


def _tubelet_grid(config: object, frames: int, height: int, width: int) -> tuple[int, int, int]:
    """VideoMAE: tubelets of tubelet_size frames by patch_size pixels."""
    patch_h, patch_w = _pair(config.patch_size)
    return frames // config.tubelet_size, height // patch_h, width // patch_w


def _frame_patch_grid(config: object, frames: int, height: int, width: int) -> tuple[int, int, int]:
    """TimeSformer: patch_size pixels of every frame."""
    patch_h, patch_w = _pair(config.patch_size)
    return frames, height // patch_h, width // patch_w


def _vivit_grid(config: object, frames: int, height: int, width: int) -> tuple[int, int, int]:
    """ViViT: tubelets of tubelet_size = [frames, height, width]."""
    t, h, w = config.tubelet_size
    return frames // t, height // h, width // w


@dataclass(frozen=True)
class Family:
    model_type: str
    block: str  # the class of its transformer blocks
    grid: Grid
    token_order: str  # tokens.ORDERS
    frame_stride: int  # frames between samples, as the family was trained on Kinetics
    head: tuple[str, ...]  # state_dict prefixes of the classification head
    # The class of the modules whose output[1] is an attention map (None: the one the model
    # records as "attentions"), and whether they return it only when asked (output_attentions).
    attention: str | None = None
    asks_for_attention: bool = False
    attention_types: tuple[str, ...] | None = None  # the config's attention_type values supported

    def token_grid(self, config: object, clip_shape: tuple[int, ...]) -> TokenGrid:
        """The patch tokens' grid for a clip (B, C, T, H, W)."""
        frames, height, width = clip_shape[-3:]
        return TokenGrid(self.grid(config, frames, height, width), self.token_order)

    def readout(self, config: object) -> str:
        """What the head reads (attention.READOUTS): the class (or first) token, or the mean of all."""
        return "mean" if getattr(config, "use_mean_pooling", False) else "first"

    def blocks(self, net: nn.Module) -> list[tuple[str, nn.Module]]:
        return [(name, module) for name, module in net.named_modules() if type(module).__name__ == self.block]

    def default_layer(self, net: nn.Module) -> str:
        """The CAM layer (module doc): the last block for a mean-pooling head, else the one before."""
        blocks = self.blocks(net)
        if self.readout(net.config) == "mean":
            return blocks[-1][0]
        if len(blocks) > 1:
            return blocks[-2][0]
        return next(name for name, _ in net.named_modules() if name.endswith("embeddings"))

    def attention_kind(self, name: str, config: object) -> str:
        """The kind (attention.KINDS) of the attention module called ``name``."""
        if getattr(config, "attention_type", "joint_space_time") != "divided_space_time":
            return "joint"
        return "temporal" if ".temporal_attention." in f".{name}." else "spatial"


FAMILIES: dict[str, Family] = {
    # VideoMAE's Kinetics recipe samples 16 frames 4 apart
    "videomae": Family(
        "videomae", "VideoMAELayer", _tubelet_grid, "thw", 4,
        ("fc_norm.", "classifier."),
    ),
    # TimeSformer: 8 frames 32 apart; its tokens go patch by patch, each patch's frames
    # together. "space_only" runs every frame as a separate batch item, which no grid describes.
    "timesformer": Family(
        "timesformer", "TimesformerLayer", _frame_patch_grid, "hwt", 32,
        ("classifier.",), attention="TimesformerSelfAttention", asks_for_attention=True,
        attention_types=("divided_space_time", "joint_space_time"),
    ),
    # ViViT-B 16x2: 32 frames 2 apart
    "vivit": Family("vivit", "VivitLayer", _vivit_grid, "thw", 2, ("classifier.",)),
}
