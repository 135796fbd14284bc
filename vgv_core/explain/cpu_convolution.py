"""Faster stride-1 3-D convolutions inside an explanation, on the CPU.

Where PyTorch's CPU kernels leave time on the table for the shapes video models run at
batch 1 (figures in docs/performance.md):
- Depthwise 3x3x3 and 5x1x1 convolutions (X3D): the backward kernel for their input
  gradient runs 2-3x slower than their forward.
- Dense convolutions with small maps (R3D's layer3 and layer4): PyTorch's heuristic picks
  its native vol2col kernel over oneDNN when the batch is 1 and N*C*D*H <= 20480
  (``use_mkldnn`` in aten/src/ATen/native/Convolution.cpp), 1.3-2x slower here than
  oneDNN, forward and backward.
For stride 1, the input gradient of a convolution is itself a convolution: the output
gradient correlated with the flipped kernel whose in and out channels are swapped within
each group, padded by ``kernel - 1 - padding``. Depthwise and small dense convolutions
asking for an input gradient run through `_FlippedKernelConv`, whose backward is that
forward convolution. Forward values equal PyTorch's up to float rounding; no weight
gradient is computed there (the engine never asks for one). Strided convolutions, large
dense maps and pointwise convolutions (tried as one matrix product) gained nothing
end to end and are left alone.
"""

from __future__ import annotations

from contextlib import contextmanager
from enum import Enum
from typing import Callable, Iterator, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor
from torch.utils.weak import WeakIdKeyDictionary

from vgv_core.explain.function_rules import Handler, patched_forwards

# PyTorch runs dense batch-1 convolutions up to this N*C*D*H with its native kernel.
NATIVE_KERNEL_MAX_SIZE = 20480

Convolution = Callable[[Tensor, Tensor, Tensor | None, tuple[int, int, int], int], Tensor]


class Route(Enum):
    DEPTHWISE = "depthwise"
    SMALL_DENSE = "small dense"


def _pytorch_conv(x: Tensor, weight: Tensor, bias: Tensor | None, padding: tuple[int, int, int], groups: int) -> Tensor:
    return F.conv3d(x, weight, bias, padding=padding, groups=groups)


def _onednn_conv(x: Tensor, weight: Tensor, bias: Tensor | None, padding: tuple[int, int, int], groups: int) -> Tensor:
    return torch.ops.aten.mkldnn_convolution(x, weight, bias, list(padding), [1, 1, 1], [1, 1, 1], groups)


def flipped_kernel(weight: Tensor, groups: int) -> Tensor:
    """The kernel whose stride-1 convolution of the output gradient is the input gradient:
    (C_out, C_in/g, k) -> (C_in, C_out/g, flipped k)."""
    per_group = weight.unflatten(0, (groups, -1)).transpose(1, 2)
    return per_group.flatten(0, 1).flip(2, 3, 4).contiguous()


class FlippedKernels:
    """Flipped kernels by weight, rebuilt when the weight changes (in place or replaced).
    Building one costs a copy of the weight; R3D's largest is 28 MB."""

    def __init__(self) -> None:
        self._kernels = WeakIdKeyDictionary()  # weight -> ((version, data pointer), kernel)

    def get(self, weight: Tensor, groups: int) -> Tensor:
        key = (weight._version, weight.data_ptr())
        cached = self._kernels.get(weight)
        if cached is None or cached[0] != key:
            cached = (key, flipped_kernel(weight.detach(), groups))
            self._kernels[weight] = cached
        return cached[1]


class _FlippedKernelConv(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, padding, groups, kernel, conv: Convolution):
        ctx.save_for_backward(kernel)
        ctx.back_padding = tuple(k - 1 - p for k, p in zip(weight.shape[2:], padding))
        ctx.groups, ctx.conv = groups, conv
        return conv(x, weight, bias, padding, groups)

    @staticmethod
    def backward(ctx, grad: Tensor):
        (kernel,) = ctx.saved_tensors
        # Inside torch.func.vmap (several classes' gradients at once) oneDNN's convolution has
        # no batching rule, and PyTorch would loop over the gradients with a warning; its own
        # conv3d folds them into the batch (then large enough for PyTorch to pick oneDNN).
        conv = _pytorch_conv if torch._C._functorch.is_batchedtensor(grad) else ctx.conv
        # under autocast the gradient may be bf16/fp16 (only PyTorch's own kernel runs there)
        grad_input = conv(grad, kernel.to(grad.dtype), None, ctx.back_padding, ctx.groups)
        return grad_input, None, None, None, None, None, None


def _triple(value: int | Sequence[int]) -> tuple[int, int, int]:
    return (value,) * 3 if isinstance(value, int) else tuple(value)


def _parse_call(args: tuple, kwargs: dict) -> dict | None:
    """The conv3d call's arguments, if it is a stride-1 convolution this module may take over."""
    names = ("input", "weight", "bias", "stride", "padding", "dilation", "groups")
    call = dict(zip(names, (None, None, None, 1, 0, 1, 1))) | dict(zip(names, args)) | kwargs
    x, weight, padding = call["input"], call["weight"], call["padding"]
    if isinstance(padding, str) or not isinstance(x, Tensor) or x.dim() != 5:
        return None
    if _triple(call["stride"]) != (1, 1, 1) or _triple(call["dilation"]) != (1, 1, 1):
        return None
    call["padding"] = _triple(padding)
    if not all(p <= k - 1 for p, k in zip(call["padding"], weight.shape[2:])):
        return None
    return call


def route_of(call: dict) -> Route | None:
    """How a stride-1 conv3d call runs under the rules, or None to leave it to PyTorch."""
    x, weight, groups = call["input"], call["weight"], call["groups"]
    channels = x.shape[1]
    if groups == channels and weight.shape[0] == channels and weight.shape[1] == 1:
        return Route.DEPTHWISE
    if groups != 1 or weight.shape[2:].numel() == 1:
        return None
    if x.dtype != torch.float32 or weight.dtype != torch.float32 or torch.is_autocast_enabled("cpu"):
        return None
    kernel_h, kernel_w = weight.shape[-2:]
    native = x.shape[0] == 1 and not (kernel_h > 3 and kernel_w > 3) and x.shape[1:4].numel() <= NATIVE_KERNEL_MAX_SIZE
    return Route.SMALL_DENSE if native and torch.backends.mkldnn.is_available() else None


class CpuConvolutionRules(Handler):
    """The handler for ``F.conv3d``: routes stride-1 convolutions through the faster kernels
    of the module doc. ``input_gradient``: whether the pass will ask for the input gradient;
    without it only the forward kernel choice matters. ``taken`` counts the calls routed."""

    def __init__(self, input_gradient: bool, kernels: FlippedKernels) -> None:
        self.input_gradient = input_gradient
        self.kernels = kernels
        self.taken = 0

    def __call__(self, func, args: tuple, kwargs: dict) -> Tensor:
        x = args[0] if args else kwargs.get("input")
        if isinstance(x, Tensor) and x.requires_grad and torch.is_grad_enabled():
            call = _parse_call(args, kwargs)
            route = route_of(call) if call is not None else None
            if route is not None and (route is not Route.DEPTHWISE or self.input_gradient):
                self.taken += 1
                return self._run(route, call)
        return func(*args, **kwargs)

    def _run(self, route: Route, call: dict) -> Tensor:
        x, weight, bias, padding, groups = (call[k] for k in ("input", "weight", "bias", "padding", "groups"))
        conv = _pytorch_conv if route is Route.DEPTHWISE else _onednn_conv
        if not self.input_gradient:  # oneDNN's forward, differentiable as it is
            return conv(x, weight, bias, padding, groups)
        kernel = self.kernels.get(weight, groups)
        return _FlippedKernelConv.apply(x, weight, bias, padding, groups, kernel, conv)


def _conv_forward(module: nn.Conv3d, rules: CpuConvolutionRules) -> Callable[[Tensor], Tensor]:
    def forward(x: Tensor) -> Tensor:
        args = (x, module.weight, module.bias, module.stride, module.padding, module.dilation, module.groups)
        return rules(F.conv3d, args, {})

    return forward


class CpuConvolutionRouter:
    """One explainer's use of `CpuConvolutionRules`. Intercepting convolutions costs Python
    time, so once a pass of some input shape has routed nothing, later passes of that shape
    run without the rules."""

    def __init__(self) -> None:
        self.kernels = FlippedKernels()
        self._useful: dict[tuple, bool] = {}

    @contextmanager
    def applied(
        self, model_input: Tensor, input_gradient: bool, modules: list[nn.Module]
    ) -> Iterator[dict[Callable, Handler]]:
        """Route the ``nn.Conv3d`` modules among ``modules`` for the context, and yield the
        handler for functional calls (none where the rules are of no use)."""
        key = (input_gradient, tuple(model_input.shape), model_input.dtype)
        if not self._useful.get(key, True):
            yield {}
            return
        rules = CpuConvolutionRules(input_gradient, self.kernels)
        convolutions = [m for m in modules if type(m) is nn.Conv3d and m.padding_mode == "zeros"]
        with patched_forwards({m: _conv_forward(m, rules) for m in convolutions}):
            yield {F.conv3d: rules}
        self._useful[key] = rules.taken > 0
