"""The CAM layers a user may choose: modules near the top of the tree that output a feature map
(or one per pathway), or a transformer's blocks.

Found with one probe pass on a blank clip (run off the GUI thread, before the session's
worker starts), so the layer box never offers a layer that cannot be explained with, such
as the classification head.
"""

from __future__ import annotations

import torch

from vgv_core import VideoModel
from vgv_core.explain.tokens import token_grid_of

MAX_DEPTH = 3  # names down to blocks.4.res_blocks
MIN_MAP_RANK = 4  # (B, C, h, w) or (B, C, t, h, w), or channels-last (B, t, h, w, C)


def is_feature_map(output: object) -> bool:
    """A tensor with a spatial extent: two of its last three axes longer than 1 (so not (B, K, 1, 1, 1));
    or a list of them, one per pathway (SlowFast's stages)."""
    if isinstance(output, list):
        return bool(output) and all(is_feature_map(x) for x in output)
    if not torch.is_tensor(output) or output.dim() < MIN_MAP_RANK:
        return False
    return sum(size > 1 for size in output.shape[-3:]) >= 2


def spatial_layers(model: VideoModel) -> tuple[str, ...]:
    spec = model.spec
    shape = (1, 3, spec.clip_len, spec.crop_size, spec.crop_size)
    if token_grid_of(model.net, shape) is not None:
        return transformer_blocks(model)
    modules = {name: module for name, module in model.net.named_modules() if name and name.count(".") < MAX_DEPTH}
    maps: dict[str, bool] = {}

    def recorder(name: str):
        return lambda module, inputs, output: maps.__setitem__(name, is_feature_map(output))

    hooks = [module.register_forward_hook(recorder(name)) for name, module in modules.items()]
    try:
        with torch.inference_mode():
            model.net(torch.zeros(shape, device=model.device))
    finally:
        for hook in hooks:
            hook.remove()
    return tuple(name for name in modules if maps.get(name) or name == spec.target_layer)


def transformer_blocks(model: VideoModel) -> tuple[str, ...]:
    """A transformer's blocks (whose tokens lie on its grid): the default CAM layer and its siblings."""
    parent, _, _ = model.spec.target_layer.rpartition(".")
    container = model.net.get_submodule(parent) if parent else model.net
    return tuple(f"{parent}.{name}" if parent else name for name, _ in container.named_children())
