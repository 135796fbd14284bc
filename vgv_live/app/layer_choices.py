"""The CAM layers a user may choose: modules near the top of the tree that output a feature map.

Found with one probe pass on a blank clip (run off the GUI thread, before the session's
worker starts), so the layer box never offers a layer that cannot be explained with, such
as the classification head.
"""

from __future__ import annotations

import torch

from vgv_core import VideoModel

MAX_DEPTH = 3  # names down to blocks.4.res_blocks
MIN_MAP_RANK = 4  # (B, C, h, w) or (B, C, t, h, w), or channels-last (B, t, h, w, C)


def is_feature_map(output: object) -> bool:
    """A tensor with a spatial extent: two of its last three axes longer than 1 (so not (B, K, 1, 1, 1))."""
    if not torch.is_tensor(output) or output.dim() < MIN_MAP_RANK:
        return False
    return sum(size > 1 for size in output.shape[-3:]) >= 2


def spatial_layers(model: VideoModel) -> tuple[str, ...]:
    spec = model.spec
    modules = {name: module for name, module in model.net.named_modules() if name and name.count(".") < MAX_DEPTH}
    maps: dict[str, bool] = {}

    def recorder(name: str):
        return lambda module, inputs, output: maps.__setitem__(name, is_feature_map(output))

    hooks = [module.register_forward_hook(recorder(name)) for name, module in modules.items()]
    try:
        with torch.inference_mode():
            model.net(torch.zeros(1, 3, spec.clip_len, spec.crop_size, spec.crop_size, device=model.device))
    finally:
        for hook in hooks:
            hook.remove()
    return tuple(name for name in modules if maps.get(name) or name == spec.target_layer)
