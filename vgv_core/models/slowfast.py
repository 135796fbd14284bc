"""SlowFast (pytorchvideo), taking its two pathways or one clip to make them from."""

from __future__ import annotations

import torch.nn as nn
from torch import Tensor

from vgv_core.pathways import pack_pathways

SLOWFAST_ALPHA = 4  # fast frames per slow frame in pytorchvideo's 8x8 R50: the fusion's temporal stride


def build_slowfast_r50(num_classes: int, clip_len: int, crop_size: int, **kwargs) -> nn.Module:
    """pytorchvideo's SlowFast R50 with the hub's hyper-parameters, so its checkpoints load,
    returning logits. The head pools each pathway adaptively, which at the native clip size
    (32 frames of 224 x 224) is exactly the hub's fixed pooling and works at any other size."""
    del clip_len, crop_size  # the adaptive pooling follows the input
    from pytorchvideo.models.slowfast import create_slowfast

    params = dict(
        model_depth=50,
        slowfast_fusion_conv_kernel_size=(7, 1, 1),
        slowfast_fusion_conv_stride=(SLOWFAST_ALPHA, 1, 1),
        model_num_class=num_classes,
        head_pool=nn.AdaptiveAvgPool3d,
        head_activation=None,
    )
    params.update(kwargs)
    return SlowFast(create_slowfast(**params), alpha=params["slowfast_fusion_conv_stride"][0])


class SlowFast(nn.Module):
    """A pytorchvideo SlowFast net (its ``blocks`` kept as they are, so state_dict keys match
    pytorchvideo's) whose forward takes [slow, fast] pathways, as pytorchvideo's does, or one
    clip (B, C, T, H, W), from which it makes them (vgv_core.pathways.pack_pathways)."""

    def __init__(self, net: nn.Module, alpha: int) -> None:
        super().__init__()
        self.blocks = net.blocks
        self.alpha = alpha

    def forward(self, x: Tensor | list[Tensor]) -> Tensor:
        # Each multipathway block writes its outputs into the list it is given: hand it a new one.
        x = pack_pathways(x, self.alpha) if isinstance(x, Tensor) else list(x)
        for block in self.blocks:
            x = block(x)
        return x
