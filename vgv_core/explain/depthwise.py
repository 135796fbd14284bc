"""A faster input gradient for stride-1 depthwise 3-D convolutions.

X3D is built on depthwise 3x3x3 (and 5x1x1) convolutions. On the CPU, PyTorch's backward
kernel for their input gradient runs 2-3x slower than their forward, and it dominates an
explanation's backward pass. For stride 1 that gradient is itself a depthwise
convolution: the output gradient correlated with the flipped kernel, padded by
``kernel - 1 - padding``. Inside an explanation, where only input (and layer) gradients
are asked for, such convolutions run through `_DepthwiseConv3d`, whose backward is that
forward convolution. Forward values are unchanged; no weight gradient is computed (the
engine never asks for one). Measured on dense and strided convolutions, the same trick
gains nothing over PyTorch's kernels, so those are left alone.
"""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.overrides import TorchFunctionMode


class _DepthwiseConv3d(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, bias: Tensor | None, padding: tuple[int, int, int]) -> Tensor:
        ctx.save_for_backward(weight)
        ctx.back_padding = tuple(k - 1 - p for k, p in zip(weight.shape[2:], padding))
        return F.conv3d(x, weight, bias, padding=padding, groups=x.shape[1])

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None, None, None]:
        (weight,) = ctx.saved_tensors
        flipped = weight.flip(2, 3, 4).to(grad.dtype)  # under autocast the gradient may be bf16/fp16
        return F.conv3d(grad, flipped, padding=ctx.back_padding, groups=weight.shape[0]), None, None, None


def _triple(value: int | Sequence[int]) -> tuple[int, int, int]:
    return (value,) * 3 if isinstance(value, int) else tuple(value)


def _depthwise_padding(args: tuple, kwargs: dict) -> tuple[int, int, int] | None:
    """The padding of a conv3d call this rule takes over (depthwise, stride 1), else None."""
    names = ("input", "weight", "bias", "stride", "padding", "dilation", "groups")
    call = dict(zip(names, (None, None, None, 1, 0, 1, 1))) | dict(zip(names, args)) | kwargs
    x, weight, padding = call["input"], call["weight"], call["padding"]
    if isinstance(padding, str) or x.dim() != 5:
        return None
    channels = x.shape[1]
    if call["groups"] != channels or weight.shape[0] != channels or weight.shape[1] != 1:
        return None
    if _triple(call["stride"]) != (1, 1, 1) or _triple(call["dilation"]) != (1, 1, 1):
        return None
    padding = _triple(padding)
    return padding if all(p <= k - 1 for p, k in zip(padding, weight.shape[2:])) else None


class DepthwiseInputGradient(TorchFunctionMode):
    """Route stride-1 depthwise ``conv3d`` calls needing an input gradient through `_DepthwiseConv3d`."""

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        x = args[0] if args else kwargs.get("input")
        if func is F.conv3d and isinstance(x, Tensor) and x.requires_grad and torch.is_grad_enabled():
            padding = _depthwise_padding(args, kwargs)
            if padding is not None:
                bias = args[2] if len(args) > 2 else kwargs.get("bias")
                return _DepthwiseConv3d.apply(x, args[1] if len(args) > 1 else kwargs["weight"], bias, padding)
        return func(*args, **kwargs)
