"""Faster 3-D convolutions inside an explanation, on the CPU.

Where PyTorch's CPU kernels leave time on the table for the shapes video models run at
batch 1 (figures in docs/performance.md):
- Depthwise 3x3x3 and 5x1x1 convolutions (X3D): the backward kernel for their input
  gradient runs 2-3x slower than their forward.
- Dense convolutions with small maps (R3D's layer3 and layer4): PyTorch's heuristic picks
  its native vol2col kernel over oneDNN when the batch is 1 and N*C*D*H <= 20480
  (``use_mkldnn`` in aten/src/ATen/native/Convolution.cpp), 1.3-2x slower here than
  oneDNN, forward and backward.
- Strided depthwise convolutions (X3D's spatial downsampling): below 8 M input elements,
  PyTorch's input gradient runs 1.2-3x slower than the polyphase one.
For stride 1, the input gradient of a convolution is itself a convolution: the output
gradient correlated with the flipped kernel whose in and out channels are swapped within
each group, padded by ``kernel - 1 - padding``; with a stride, it is one such convolution
per phase of the input grid (polyphase.py). Depthwise and small dense convolutions asking
for an input gradient run through `_FlippedKernelConv`, whose backward is those forward
convolutions. Forward values equal PyTorch's up to float
rounding; no weight gradient is computed there (the engine never asks for one). Strided
dense convolutions, large dense maps and pointwise convolutions (tried as one matrix
product) gained nothing end to end and are left alone.
"""

from __future__ import annotations

from contextlib import contextmanager
from enum import Enum
from typing import TYPE_CHECKING, Callable, Iterator, Mapping, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor
from torch.utils.weak import WeakIdKeyDictionary

from vgv_core.explain.function_rules import Handler, patched_forwards
from vgv_core.explain.polyphase import (
    STRIDE_1,
    Convolution,
    PhaseKernel,
    Triple,
    phase_kernels,
    strided_input_gradient,
)

if TYPE_CHECKING:
    from vgv_core.explain.batch_norm_fold import Fold

# PyTorch runs dense batch-1 convolutions up to this N*C*D*H with its native kernel.
NATIVE_KERNEL_MAX_SIZE = 20480
# Above this many input elements the polyphase input gradient of a strided depthwise
# convolution lost to PyTorch's on the 2-thread CPU (X3D-M's first stage, 10.8 M: 76 vs 66 ms;
# X3D-S's, 4.5 M: 14 vs 16 ms), its interleaved writes then costing more than they save.
POLYPHASE_MAX_INPUT_SIZE = 8_000_000



class Route(Enum):
    DEPTHWISE = "depthwise"
    SMALL_DENSE = "small dense"


def _pytorch_conv(
    x: Tensor, weight: Tensor, bias: Tensor | None, padding: Triple, groups: int, stride: Triple = STRIDE_1
) -> Tensor:
    return F.conv3d(x, weight, bias, stride=stride, padding=padding, groups=groups)


def _onednn_conv(
    x: Tensor, weight: Tensor, bias: Tensor | None, padding: Triple, groups: int, stride: Triple = STRIDE_1
) -> Tensor:
    return torch.ops.aten.mkldnn_convolution(x, weight, bias, list(padding), list(stride), [1, 1, 1], groups)


def flipped_kernel(weight: Tensor, groups: int) -> Tensor:
    """The kernel whose stride-1 convolution of the output gradient is the input gradient:
    (C_out, C_in/g, k) -> (C_in, C_out/g, flipped k)."""
    per_group = weight.unflatten(0, (groups, -1)).transpose(1, 2)
    return per_group.flatten(0, 1).flip(2, 3, 4).contiguous()


class FlippedKernels:
    """Flipped kernels (for strided convolutions, their phases) by weight, rebuilt when the
    weight changes (in place or replaced). Building one costs a copy of the weight; R3D's
    largest is 28 MB."""

    def __init__(self) -> None:
        self._kernels = WeakIdKeyDictionary()  # weight -> {(groups, stride, padding): ((version, pointer), kernels)}

    def get(
        self, weight: Tensor, groups: int, stride: Triple = STRIDE_1, padding: Triple = (0, 0, 0)
    ) -> Tensor | list[PhaseKernel]:
        """The flipped kernel for stride 1, else its `PhaseKernel` list."""
        key, use = (weight._version, weight.data_ptr()), (groups, stride, padding if stride != STRIDE_1 else None)
        cached = self._kernels.setdefault(weight, {}).get(use)
        if cached is None or cached[0] != key:
            flipped = flipped_kernel(weight.detach(), groups)
            cached = (key, flipped if stride == STRIDE_1 else phase_kernels(flipped, stride, padding))
            self._kernels[weight][use] = cached
        return cached[1]


class _FlippedKernelConv(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, padding, groups, stride, kernels, conv: Convolution):
        ctx.kernels, ctx.input_shape = kernels, x.shape
        ctx.back_padding = tuple(k - 1 - p for k, p in zip(weight.shape[2:], padding))
        ctx.groups, ctx.stride, ctx.conv = groups, stride, conv
        return conv(x, weight, bias, padding, groups, stride)

    @staticmethod
    def backward(ctx, grad: Tensor):
        # Inside torch.func.vmap (several classes' gradients at once) oneDNN's convolution has
        # no batching rule, and PyTorch would loop over the gradients with a warning; its own
        # conv3d folds them into the batch (then large enough for PyTorch to pick oneDNN).
        conv = _pytorch_conv if torch._C._functorch.is_batchedtensor(grad) else ctx.conv
        if ctx.stride != STRIDE_1:
            grad_input = strided_input_gradient(grad, ctx.kernels, ctx.stride, ctx.input_shape, ctx.groups, conv)
        else:  # under autocast the gradient may be bf16/fp16 (only PyTorch's own kernel runs there)
            grad_input = conv(grad, ctx.kernels.to(grad.dtype), None, ctx.back_padding, ctx.groups, STRIDE_1)
        return grad_input, None, None, None, None, None, None, None


def _triple(value: int | Sequence[int]) -> tuple[int, int, int]:
    return (value,) * 3 if isinstance(value, int) else tuple(value)


def _parse_call(args: tuple, kwargs: dict) -> dict | None:
    """The conv3d call's arguments, if it is a convolution this module may take over."""
    names = ("input", "weight", "bias", "stride", "padding", "dilation", "groups")
    call = dict(zip(names, (None, None, None, 1, 0, 1, 1))) | dict(zip(names, args)) | kwargs
    x, weight, padding = call["input"], call["weight"], call["padding"]
    if isinstance(padding, str) or not isinstance(x, Tensor) or x.dim() != 5:
        return None
    if _triple(call["dilation"]) != (1, 1, 1):
        return None
    call["padding"], call["stride"] = _triple(padding), _triple(call["stride"])
    if not all(p <= k - 1 for p, k in zip(call["padding"], weight.shape[2:])):
        return None
    return call


def route_of(call: dict) -> Route | None:
    """How a conv3d call runs under the rules, or None to leave it to PyTorch."""
    x, weight, groups = call["input"], call["weight"], call["groups"]
    channels = x.shape[1]
    if groups == channels and weight.shape[0] == channels and weight.shape[1] == 1:
        strided = call["stride"] != STRIDE_1
        return Route.DEPTHWISE if not strided or x.numel() <= POLYPHASE_MAX_INPUT_SIZE else None
    if groups != 1 or weight.shape[2:].numel() == 1 or call["stride"] != STRIDE_1:
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
        x, weight, bias, padding, groups, stride = (
            call[k] for k in ("input", "weight", "bias", "padding", "groups", "stride")
        )
        conv = _pytorch_conv if route is Route.DEPTHWISE else _onednn_conv
        if not self.input_gradient:  # oneDNN's forward, differentiable as it is
            return conv(x, weight, bias, padding, groups, stride)
        kernels = self.kernels.get(weight, groups, stride, padding)
        return _FlippedKernelConv.apply(x, weight, bias, padding, groups, stride, kernels, conv)


def plain_convolution(module: nn.Module) -> bool:
    """An ``nn.Conv3d`` (or a subclass, like torchvision's Conv3DSimple) running nn.Conv3d's
    own forward with zero padding: its forward can be replaced by a direct conv3d call."""
    own_forward = type(module).forward is nn.Conv3d.forward
    return isinstance(module, nn.Conv3d) and own_forward and module.padding_mode == "zeros"


def _conv_forward(
    module: nn.Conv3d, rules: CpuConvolutionRules | None, fold: Fold | None
) -> Callable[[Tensor], Tensor]:
    def forward(x: Tensor) -> Tensor:
        weight, bias = fold.parameters if fold is not None else (module.weight, module.bias)
        args = (x, weight, bias, module.stride, module.padding, module.dilation, module.groups)
        output = rules(F.conv3d, args, {}) if rules is not None else F.conv3d(*args)
        return fold.produced(output) if fold is not None else output

    return forward


class CpuConvolutionRouter:
    """One explainer's use of `CpuConvolutionRules`. Intercepting convolutions costs Python
    time, so once a pass of some input shape has routed nothing, later passes of that shape
    run without the rules (folded convolutions still run with their folded parameters)."""

    def __init__(self) -> None:
        self.kernels = FlippedKernels()
        self._useful: dict[tuple, bool] = {}

    @contextmanager
    def applied(
        self,
        model_input: Tensor,
        input_gradient: bool,
        modules: list[nn.Module],
        folds: Mapping[nn.Module, Fold] | None = None,
    ) -> Iterator[dict[Callable, Handler]]:
        """Route the ``nn.Conv3d`` modules among ``modules`` for the context, those in ``folds``
        with their batch norm folded in, and yield the handler for functional calls (none
        where the rules are of no use)."""
        folds = folds or {}
        key = (input_gradient, tuple(model_input.shape), model_input.dtype)
        useful = self._useful.get(key, True)
        rules = CpuConvolutionRules(input_gradient, self.kernels) if useful else None
        convolutions = [m for m in modules if plain_convolution(m) and (useful or m in folds)]
        with patched_forwards({m: _conv_forward(m, rules, folds.get(m)) for m in convolutions}):
            yield {F.conv3d: rules} if rules is not None else {}
        if rules is not None:
            self._useful[key] = rules.taken > 0
