"""The kind of an explanation pass: the one key of every choice the engine remembers across passes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import Tensor


@dataclass(frozen=True)
class PassKind:
    """What a pass's learned choices depend on (which batch norms fold, whether the
    functional-call mode or the convolution rules have anything to do). Two passes of one
    kind run the same code on tensors of the same shapes."""

    device: str
    dtype: torch.dtype
    shape: tuple  # of the model's input: its shape, or each pathway's
    layer: str | None  # the CAM layer, where the pass taps one
    guided: bool
    input_gradient: bool
    amp: str | None

    @classmethod
    def of(
        cls,
        model_input: Tensor | Sequence[Tensor],
        layer: str | None,
        guided: bool,
        input_gradient: bool,
        amp: str | None,
    ) -> "PassKind":
        """The kind of a pass on ``model_input``: a clip, or one tensor per pathway."""
        if isinstance(model_input, Tensor):
            first, shape = model_input, tuple(model_input.shape)
        else:
            first, shape = model_input[0], tuple(tuple(x.shape) for x in model_input)
        return cls(first.device.type, first.dtype, shape, layer, guided, input_gradient, amp)
