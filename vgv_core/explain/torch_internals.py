"""Every use of PyTorch's private or undocumented API in the explanation engine, in one place.

Each was checked on torch 2.14.1 (the CUDA build, run on the CPU) and 2.13.0 (the CPU build);
the engine calls nothing private anywhere else. tests/core/test_torch_internals.py exercises
each one against a public counterpart, so an upgrade that changes one fails there, by name, not
deep inside a pass.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

import torch
import torch.nn as nn
from torch import Tensor
from torch.utils.weak import WeakIdKeyDictionary

__all__ = [
    "WeakIdKeyDictionary",
    "direct_parameters",
    "gelu_backward",
    "hardswish_backward",
    "has_hooks",
    "is_batched_tensor",
    "onednn_convolution",
    "patched_forwards",
    "relu_backward",
    "silu_backward",
    "tensor_state",
]


# The gates' native backward kernels (the ATen ops autograd itself runs for them; their
# schemas are ATen's, not a public API). ``saved``: the gate's output for ReLU, else its input.
def relu_backward(grad: Tensor, output: Tensor) -> Tensor:
    return torch.ops.aten.threshold_backward(grad, output, 0)


def silu_backward(grad: Tensor, x: Tensor) -> Tensor:
    return torch.ops.aten.silu_backward(grad, x)


def gelu_backward(grad: Tensor, x: Tensor, approximate: str = "none") -> Tensor:
    return torch.ops.aten.gelu_backward(grad, x, approximate=approximate)


def hardswish_backward(grad: Tensor, x: Tensor) -> Tensor:
    return torch.ops.aten.hardswish_backward(grad, x)


def is_batched_tensor(tensor: Tensor) -> bool:
    """Whether ``tensor`` is a functorch BatchedTensor, i.e. we run inside ``torch.func.vmap``
    (``torch._C._functorch.is_batchedtensor``). Some ops have no batching rule there."""
    return torch._C._functorch.is_batchedtensor(tensor)


def onednn_convolution(
    x: Tensor, weight: Tensor, bias: Tensor | None, padding: tuple, stride: tuple, groups: int
) -> Tensor:
    """A 3-D convolution on oneDNN, whatever PyTorch's heuristic would pick
    (``torch.ops.aten.mkldnn_convolution``, an op with no public Python binding)."""
    return torch.ops.aten.mkldnn_convolution(x, weight, bias, list(padding), list(stride), [1, 1, 1], groups)


def tensor_state(tensor: Tensor) -> tuple[int, int]:
    """Changes whenever ``tensor``'s values may have changed: its version counter (bumped by
    every in-place op, ``Tensor._version``) and its storage address (``.data =`` replaces it)."""
    return tensor._version, tensor.data_ptr()


def has_hooks(module: nn.Module) -> bool:
    """Whether the module has its own forward, forward-pre or backward hooks (the dicts
    ``nn.Module`` keeps them in; there is no public query)."""
    return bool(
        module._forward_hooks or module._forward_pre_hooks or module._backward_hooks or module._backward_pre_hooks
    )


def direct_parameters(module: nn.Module) -> list[nn.Parameter]:
    """The parameters registered on the module itself, not its children (``module._parameters``;
    ``parameters(recurse=False)`` does the same through a generator chain, measurably slower
    when called for every module of a model on every pass)."""
    return [p for p in module._parameters.values() if p is not None]


@contextmanager
def patched_forwards(forwards: dict[nn.Module, Callable]) -> Iterator[None]:
    """Each module runs the given forward inside the context, through an instance attribute
    ``forward`` that shadows the class's (``nn.Module.__call__`` looks ``self.forward`` up on
    the instance); removed on exit, also on error. A module that already has an instance-level
    forward is left as it is."""
    patched = []
    try:
        for module, forward in forwards.items():
            if "forward" not in vars(module):
                module.forward = forward
                patched.append(module)
        yield
    finally:
        for module in patched:
            del module.forward
