"""The kind of an explanation pass: the one key of every choice the engine remembers across passes."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass(frozen=True)
class PassKind:
    """What a pass's learned choices depend on (which batch norms fold, whether the
    functional-call mode or the convolution rules have anything to do). Two passes of one
    kind run the same code on tensors of the same shapes."""

    device: str
    dtype: torch.dtype
    shape: tuple[int, ...]  # of the model's input
    layer: str | None  # the CAM layer, where the pass taps one
    guided: bool
    input_gradient: bool
    amp: str | None

    @classmethod
    def of(
        cls, model_input: Tensor, layer: str | None, guided: bool, input_gradient: bool, amp: str | None
    ) -> "PassKind":
        return cls(
            model_input.device.type, model_input.dtype, tuple(model_input.shape), layer, guided, input_gradient, amp
        )
