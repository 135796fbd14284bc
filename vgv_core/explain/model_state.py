"""Running a model for explanation without leaving a trace on it."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch.nn as nn

from vgv_core.explain.torch_internals import direct_parameters


@contextmanager
def evaluation_mode(model: nn.Module) -> Iterator[list[nn.Module]]:
    """Eval mode inside, and on exit every module's training flag, every parameter's
    requires_grad and every in-place flag exactly as they were, also on error.

    Yields the model's modules. The tree is walked once and only changed flags are
    written back: on a small model, walking and re-setting everything cost more than
    the explanation's own overhead."""
    modules = list(model.modules())
    training = [m.training for m in modules]
    parameters = [p for m in modules for p in direct_parameters(m)]  # no per-module walk
    requires_grad = [p.requires_grad for p in parameters]
    inplace = [(m, vars(m)["inplace"]) for m in modules if isinstance(vars(m).get("inplace"), bool)]
    if any(training):
        model.eval()
    try:
        yield modules
    finally:
        for module, flag in zip(modules, training):
            if module.training != flag:
                module.training = flag
        for param, flag in zip(parameters, requires_grad):
            if param.requires_grad != flag:
                param.requires_grad_(flag)
        for module, flag in inplace:
            if module.inplace != flag:
                module.inplace = flag
