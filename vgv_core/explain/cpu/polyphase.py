"""Input gradients of strided convolutions by polyphase decomposition.

With a stride s, the input positions r, r + s, r + 2s, ... of an axis (its phase r) are each
reached by the same subset of the kernel's taps. So the input gradient is, per phase of the
input grid, a stride-1 correlation of the output gradient with that subset of the flipped
kernel, written to the phase's interleaved positions. Each sub-kernel is zero-filled to an
odd, centred size, so that one symmetric padding serves it (and because oneDNN's depthwise
kernels ran 3-4x slower with even sizes on the 2-thread CPU, docs/performance.md).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import Tensor

Triple = tuple[int, int, int]
# conv(input, weight, bias, padding, groups, stride)
Convolution = Callable[[Tensor, Tensor, Tensor | None, Triple, int, Triple], Tensor]
STRIDE_1 = (1, 1, 1)


@dataclass(frozen=True)
class AxisPhase:
    """One phase r of one axis of a strided convolution's input: input position s*i + r
    takes ``sum_m grad[i + m - half] * sub_kernel[m]``, m in [0, 2*half]; the sub-kernel
    holds the flipped kernel's taps ``taps`` at ``positions`` and zeros elsewhere."""

    phase: int
    taps: tuple[int, ...]
    positions: tuple[int, ...]
    half: int


def axis_phases(kernel_size: int, stride: int, padding: int) -> list[AxisPhase]:
    """The phases of one axis that any tap reaches (a kernel smaller than its stride skips
    some positions: their gradient is zero)."""
    back_padding = kernel_size - 1 - padding
    phases = []
    for r in range(stride):
        taps = tuple(j for j in range(kernel_size) if (r - back_padding + j) % stride == 0)
        if taps:
            offsets = [(r - back_padding + j) // stride for j in taps]
            half = max(abs(d) for d in offsets)
            phases.append(AxisPhase(r, taps, tuple(half + d for d in offsets), half))
    return phases


@dataclass(frozen=True)
class PhaseKernel:
    """A phase of a strided convolution's input, one `AxisPhase` per axis, and its sub-kernel."""

    axes: tuple[AxisPhase, AxisPhase, AxisPhase]
    kernel: Tensor


def phase_kernels(flipped: Tensor, stride: Triple, padding: Triple) -> list[PhaseKernel]:
    """The phases of a convolution with this stride and padding, from its flipped kernel."""
    per_axis = [axis_phases(k, s, p) for k, s, p in zip(flipped.shape[2:], stride, padding)]
    phases = []
    for axes in itertools.product(*per_axis):
        sub = flipped.new_zeros(flipped.shape[:2] + tuple(2 * a.half + 1 for a in axes))
        taps = torch.meshgrid(*(torch.tensor(a.taps) for a in axes), indexing="ij")
        positions = torch.meshgrid(*(torch.tensor(a.positions) for a in axes), indexing="ij")
        sub[(slice(None), slice(None), *positions)] = flipped[(slice(None), slice(None), *taps)]
        phases.append(PhaseKernel(axes, sub))
    return phases


def strided_input_gradient(
    grad: Tensor, phases: list[PhaseKernel], stride: Triple, input_shape: torch.Size, groups: int, conv: Convolution
) -> Tensor:
    """The input gradient of a strided convolution: one stride-1 correlation per phase."""
    grad_input = grad.new_zeros(input_shape) if len(phases) < math.prod(stride) else grad.new_empty(input_shape)
    for phase in phases:
        lengths = [len(range(a.phase, n, s)) for a, n, s in zip(phase.axes, input_shape[2:], stride)]
        extra = [max(0, n - g) for n, g in zip(lengths, grad.shape[2:])]
        source = F.pad(grad, [p for e in reversed(extra) for p in (0, e)]) if any(extra) else grad
        values = conv(source, phase.kernel.to(grad.dtype), None, tuple(a.half for a in phase.axes), groups, STRIDE_1)
        grid = tuple(slice(a.phase, None, s) for a, s in zip(phase.axes, stride))
        grad_input[(..., *grid)] = values[(..., *(slice(0, n) for n in lengths))]
    return grad_input
