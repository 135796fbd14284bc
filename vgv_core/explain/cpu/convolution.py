"""Faster input gradients of 3-D convolutions inside an explanation, on the CPU.

Only the backward changes: every convolution's forward is PyTorch's own call, so its values,
and every gate's input behind it, are bit for bit those of exact mode. Where PyTorch's CPU
backward leaves time on the table for the shapes video models run at batch 1 (figures in
docs/performance.md):
- depthwise 3x3x3 and 5x1x1 convolutions (X3D): their input gradient runs 2-3x slower
  than their forward;
- dense stride-1 convolutions with small maps (R3D's layer3 and layer4): PyTorch picks its
  native vol2col kernel when the batch is 1 and N*C*D*H <= 20480 (``use_mkldnn`` in
  aten/src/ATen/native/Convolution.cpp), 1.3-2x slower here than oneDNN;
- strided depthwise convolutions (X3D's spatial downsampling): below 8 M input elements
  the polyphase input gradient (polyphase.py) beats PyTorch's by 1.2-3x.
For stride 1, the input gradient of a convolution is itself a convolution: the output
gradient correlated with the flipped kernel whose in and out channels are swapped within
each group, padded by ``kernel - 1 - padding``; with a stride, one such convolution per
phase of the input grid. The results equal PyTorch's up to float rounding; no weight
gradient is computed (the engine never asks for one).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Callable, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from vgv_core.explain.cpu.polyphase import STRIDE_1, PhaseKernel, Triple, phase_kernels, strided_input_gradient
from vgv_core.explain.function_rules import Handler
from vgv_core.explain.torch_internals import WeakIdKeyDictionary, is_batched_tensor, onednn_convolution, tensor_state

# PyTorch runs dense batch-1 convolutions up to this N*C*D*H with its native kernel.
NATIVE_KERNEL_MAX_SIZE = 20480
# Above this many input elements the polyphase input gradient of a strided depthwise
# convolution lost to PyTorch's on the 2-thread CPU (X3D-M's first stage, 10.8 M: 76 vs 66 ms;
# X3D-S's, 4.5 M: 14 vs 16 ms), its interleaved writes then costing more than they save.
POLYPHASE_MAX_INPUT_SIZE = 8_000_000


class Route(Enum):
    """How a convolution's input gradient is computed."""

    DEPTHWISE = "depthwise"  # stride 1: PyTorch's forward convolution with the flipped kernel
    STRIDED_DEPTHWISE = "strided depthwise"  # polyphase, PyTorch's forward convolutions
    SMALL_DENSE = "small dense"  # stride 1: oneDNN's forward convolution with the flipped kernel
    PYTORCH = "pytorch"  # PyTorch's own backward kernel


@dataclass(frozen=True)
class Geometry:
    """A convolution call's shape parameters, as its input gradient needs them."""

    input_shape: torch.Size
    kernel: Triple
    stride: Triple
    padding: Triple
    groups: int

    @property
    def back_padding(self) -> Triple:
        return tuple(k - 1 - p for k, p in zip(self.kernel, self.padding))


def _triple(value: int | Sequence[int]) -> Triple:
    return (value,) * 3 if isinstance(value, int) else tuple(value)


def geometry_of(x: Tensor, weight: Tensor, stride, padding, dilation, groups: int) -> Geometry | None:
    """The call's geometry, if its input gradient may be computed here (zero padding given
    as numbers no larger than the kernel allows, no dilation, a 5-D float32 input)."""
    if isinstance(padding, str) or x.dim() != 5 or _triple(dilation) != (1, 1, 1):
        return None
    if x.dtype != torch.float32 or weight.dtype != torch.float32 or torch.is_autocast_enabled("cpu"):
        return None
    kernel, padding = tuple(weight.shape[2:]), _triple(padding)
    if not all(p <= k - 1 for p, k in zip(padding, kernel)):
        return None
    return Geometry(x.shape, kernel, _triple(stride), padding, groups)


def route_of(x: Tensor, weight: Tensor, geometry: Geometry) -> Route:
    """Which way this call's input gradient is fastest (module doc)."""
    channels = x.shape[1]
    if geometry.groups == channels and weight.shape[0] == channels and weight.shape[1] == 1:
        if geometry.stride == STRIDE_1:
            return Route.DEPTHWISE
        return Route.STRIDED_DEPTHWISE if x.numel() <= POLYPHASE_MAX_INPUT_SIZE else Route.PYTORCH
    if geometry.groups != 1 or weight.shape[2:].numel() == 1 or geometry.stride != STRIDE_1:
        return Route.PYTORCH
    kernel_h, kernel_w = weight.shape[-2:]
    native = x.shape[0] == 1 and not (kernel_h > 3 and kernel_w > 3) and x.shape[1:4].numel() <= NATIVE_KERNEL_MAX_SIZE
    return Route.SMALL_DENSE if native and torch.backends.mkldnn.is_available() else Route.PYTORCH


def _pytorch_conv(x: Tensor, weight: Tensor, bias: Tensor | None, padding: Triple, groups: int, stride: Triple) -> Tensor:
    return F.conv3d(x, weight, bias, stride=stride, padding=padding, groups=groups)


def _onednn_conv(x: Tensor, weight: Tensor, bias: Tensor | None, padding: Triple, groups: int, stride: Triple) -> Tensor:
    return onednn_convolution(x, weight, bias, padding, stride, groups)


def flipped_kernel(weight: Tensor, groups: int) -> Tensor:
    """The kernel whose stride-1 convolution of the output gradient is the input gradient:
    (C_out, C_in/g, k) -> (C_in, C_out/g, flipped k)."""
    per_group = weight.unflatten(0, (groups, -1)).transpose(1, 2)
    return per_group.flatten(0, 1).flip(2, 3, 4).contiguous()


class InputGradients:
    """Convolutions' input gradients by route, with the flipped kernels (for strided
    convolutions, their phases) cached by weight and rebuilt when the weight changes (in place
    or replaced). Building one costs a copy of the weight; R3D's largest is 28 MB."""

    def __init__(self) -> None:
        self._kernels = WeakIdKeyDictionary()  # weight -> {(groups, stride, padding): (state, kernels)}

    def of(self, route: Route, weight: Tensor, geometry: Geometry) -> Callable[[Tensor], Tensor]:
        """The input gradient of one convolution call, ``grad -> grad_input``, resolved once in
        the forward: a pass with K classes calls it K times."""
        g = geometry
        if route is Route.PYTORCH:
            return lambda grad: torch.nn.grad.conv3d_input(g.input_shape, weight, grad, g.stride, g.padding, groups=g.groups)
        kernels = self.kernels(weight, g)
        if route is Route.STRIDED_DEPTHWISE:
            return lambda grad: strided_input_gradient(grad, kernels, g.stride, g.input_shape, g.groups, _pytorch_conv)
        if route is Route.DEPTHWISE:
            return lambda grad: _pytorch_conv(grad, kernels, None, g.back_padding, g.groups, STRIDE_1)

        def small_dense(grad: Tensor) -> Tensor:
            # Inside torch.func.vmap (several classes' gradients at once) oneDNN's convolution has
            # no batching rule, and PyTorch would loop over the gradients with a warning; its own
            # conv3d folds them into the batch (then large enough for PyTorch to pick oneDNN).
            conv = _pytorch_conv if is_batched_tensor(grad) else _onednn_conv
            return conv(grad, kernels, None, g.back_padding, g.groups, STRIDE_1)

        return small_dense

    def kernels(self, weight: Tensor, geometry: Geometry) -> Tensor | list[PhaseKernel]:
        """The flipped kernel for stride 1, else its `PhaseKernel` list."""
        strided = geometry.stride != STRIDE_1
        use = (geometry.groups, geometry.stride, geometry.padding if strided else None)
        state = tensor_state(weight)
        cached = self._kernels.setdefault(weight, {}).get(use)
        if cached is None or cached[0] != state:
            flipped = flipped_kernel(weight.detach(), geometry.groups)
            cached = (state, phase_kernels(flipped, geometry.stride, geometry.padding) if strided else flipped)
            self._kernels[weight][use] = cached
        return cached[1]


class _WithInputGradient(torch.autograd.Function):
    """``compute()``'s value, PyTorch's own forward run without a graph, whose gradient with
    respect to ``x`` is ``input_gradient(grad)``."""

    @staticmethod
    def forward(ctx, x: Tensor, compute: Callable[[], Tensor], input_gradient: Callable[[Tensor], Tensor]) -> Tensor:
        ctx.input_gradient = input_gradient
        return compute()

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None, None]:
        return ctx.input_gradient(grad), None, None


def with_input_gradient(x: Tensor, compute: Callable[[], Tensor], input_gradient: Callable[[Tensor], Tensor]) -> Tensor:
    return _WithInputGradient.apply(x, compute, input_gradient)


def plain_convolution(module: nn.Module) -> bool:
    """An ``nn.Conv3d`` (or a subclass, like torchvision's Conv3DSimple) running nn.Conv3d's
    own forward with zero padding: its forward is one conv3d call with its parameters."""
    own_forward = type(module).forward is nn.Conv3d.forward
    return isinstance(module, nn.Conv3d) and own_forward and module.padding_mode == "zeros"


def needs_input_gradient(x: object) -> bool:
    return isinstance(x, Tensor) and x.requires_grad and torch.is_grad_enabled()


class ConvolutionRules(Handler):
    """Routes conv3d calls whose input gradient is faster another way (module doc); used as
    the handler for ``F.conv3d`` and by the convolution modules' pass forwards. ``taken``
    counts the calls routed."""

    def __init__(self, gradients: InputGradients) -> None:
        self.gradients = gradients
        self.taken = 0

    def __call__(self, func: Callable, args: tuple, kwargs: dict) -> Tensor:
        names = ("input", "weight", "bias", "stride", "padding", "dilation", "groups")
        call = dict(zip(names, (None, None, None, 1, 0, 1, 1))) | dict(zip(names, args)) | kwargs
        return self.convolve(*(call[name] for name in names))

    def convolve(self, x: Tensor, weight: Tensor, bias: Tensor | None, stride, padding, dilation, groups: int) -> Tensor:
        def native() -> Tensor:
            return F.conv3d(x, weight, bias, stride, padding, dilation, groups)

        geometry = geometry_of(x, weight, stride, padding, dilation, groups) if needs_input_gradient(x) else None
        route = route_of(x, weight, geometry) if geometry is not None else Route.PYTORCH
        if route is Route.PYTORCH:
            return native()
        self.taken += 1
        return with_input_gradient(x, native, self.gradients.of(route, weight, geometry))
