"""The target layer: finding it, and reading its output in any layout."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import torch
import torch.nn as nn
from torch import Tensor

from vgv_core.errors import ModelError
from vgv_core.explain.tokens import TokenGrid
from vgv_core.models.registry import ARCHS, CHANNELS_FIRST, CHANNELS_LAST, TOKENS


def resolve_layer(model: nn.Module, target_layer: nn.Module | str | None) -> tuple[str, nn.Module] | None:
    """(dotted name, module) of the CAM layer; None means: detect it on the first pass."""
    named = dict(model.named_modules())
    if isinstance(target_layer, nn.Module):
        for name, module in named.items():
            if module is target_layer:
                return name, module
        raise ModelError("target_layer is a module that is not part of the model")
    if target_layer is None:
        spec = getattr(model, "vgv_spec", None)
        target_layer = spec.target_layer if spec is not None else None
        if target_layer is None:
            return None
    if target_layer not in named:
        hint = [n for n in named if n and n.split(".")[0] == str(target_layer).split(".")[0]][:8]
        raise ModelError(
            f"model has no layer {target_layer!r}; layers look like: {', '.join(hint or list(named)[1:9])}"
        )
    return target_layer, named[target_layer]


def detect_layer(model: nn.Module, model_input: Tensor | list[Tensor]) -> tuple[str, nn.Module]:
    """Probe pass on ``model_input`` (one clip's forward argument): the outermost module that
    last produced a spatial feature map."""
    last: list[str] = []
    names = {module: name for name, module in model.named_modules() if name}

    def hook(module: nn.Module, inputs: tuple, output: object) -> None:
        tensor = output[0] if isinstance(output, tuple) else output
        if isinstance(tensor, Tensor) and tensor.dim() in (4, 5) and tensor.shape[-1] * tensor.shape[-2] > 1:
            last.append(names[module])

    handles = [m.register_forward_hook(hook) for m in names]
    try:
        with torch.no_grad():
            model(model_input)
    finally:
        for handle in handles:
            handle.remove()
    if not last:
        raise ModelError("no layer with a spatial output found; pass target_layer explicitly")
    return last[-1], dict(model.named_modules())[last[-1]]


@dataclass
class LayerOutput:
    """What the tap saw of one pathway: the tensor to differentiate against and its layout."""

    tensor: Tensor
    layout: str
    grid: TokenGrid | None = None  # of token outputs

    def to_channels_first(self, x: Tensor) -> Tensor:
        """Map the activation (or its gradient, same shape) to (R, C, *S)."""
        if self.layout == TOKENS:
            return self.grid.to_channels_first(x)
        if x.dim() not in (4, 5):
            raise ModelError(
                f"the CAM layer outputs shape {tuple(x.shape)}, which has no spatial axes; "
                "choose a layer producing a (B, C, t, h, w) or (B, C, h, w) feature map"
            )
        return x.movedim(-1, 1) if self.layout == CHANNELS_LAST else x


class LayerTap:
    """Forward hook on the target layer: keeps its output (of the layer's first call in a
    pass) for the gradients and activations of the CAM methods, one `LayerOutput` per
    pathway (a multipathway stage outputs a list). The model then goes on with a copy, so
    that an in-place op after the layer cannot change what the tap holds. ``token_grid``:
    the model's own token layout (`token_grid_of`), for transformers whose blocks output
    bare tokens."""

    def __init__(self, model: nn.Module, module: nn.Module, token_grid: TokenGrid | None = None) -> None:
        spec = getattr(model, "vgv_spec", None)
        info = ARCHS.get(spec.arch) if spec is not None else None
        self.arch_layout = info.layout if info is not None else CHANNELS_FIRST
        self.module = module
        self.token_grid = token_grid
        self.outputs: list[LayerOutput] = []

    @contextmanager
    def attached(self) -> Iterator["LayerTap"]:
        handle = self.module.register_forward_hook(self._hook)
        try:
            yield self
        finally:
            handle.remove()

    def _hook(self, module: nn.Module, inputs: tuple, output: object) -> object:
        if self.outputs:
            return None  # a module reused in one pass: keep its first call
        if isinstance(output, list):
            self.outputs = [LayerOutput(tensor, self.arch_layout) for tensor in output]
            return [tensor.clone() for tensor in output]
        tensor = output[0] if isinstance(output, tuple) else output
        grid = _grid_beside(output) or (self.token_grid if tensor.dim() == 3 else None)  # e.g. a patch embedding's conv is 5-D
        self.outputs = [LayerOutput(tensor, TOKENS if grid is not None else self.arch_layout, grid)]
        copy = tensor.clone()
        return (copy, *output[1:]) if isinstance(output, tuple) else copy


def _grid_beside(output: object) -> TokenGrid | None:
    """The (t, h, w) that torchvision's MViT blocks return beside their tokens."""
    if isinstance(output, tuple) and len(output) == 2 and isinstance(output[1], (list, tuple)) and len(output[1]) == 3:
        return TokenGrid(tuple(int(n) for n in output[1]))
    return None
