"""Running a model for explanation without leaving a trace on it."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch.nn as nn


@contextmanager
def evaluation_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Eval mode inside, and on exit every module's training flag, every parameter's
    requires_grad and every in-place flag exactly as they were, also on error."""
    training = [(m, m.training) for m in model.modules()]
    requires_grad = [(p, p.requires_grad) for p in model.parameters()]
    inplace = [(m, m.inplace) for m in model.modules() if isinstance(getattr(m, "inplace", None), bool)]
    model.eval()
    try:
        yield model
    finally:
        for module, flag in training:
            module.training = flag
        for param, flag in requires_grad:
            param.requires_grad_(flag)
        for module, flag in inplace:
            module.inplace = flag
