"""Guided-backpropagation rules, applied for the duration of one forward pass.

Rule per activation type (x: the gate's input, g: the gradient arriving at its output):
- ReLU: pass g where x > 0 and g > 0, i.e. ``(x > 0) * relu(g)`` (Springenberg et al.;
  also what captum's GuidedBackprop computes).
- Smooth gates (SiLU, pytorchvideo's Swish as used by X3D, GELU, Hardswish): the local
  derivative times the positive part of g, clamped at 0: ``relu(f'(x) * relu(g))``.
  For ReLU this reduces to the rule above, so all gates share one formula.

How it is applied, without swapping modules (see function_rules.py):
- gate modules (``nn.ReLU``, ``nn.SiLU``, ``nn.GELU``, ``nn.Hardswish``, in-place or not,
  and pytorchvideo's ``Swish``, which runs a custom autograd Function) get an
  instance-level forward for the pass that applies the rule;
- functional calls (``F.relu``, ``torch.relu``, ``Tensor.relu_``, ``F.silu``, ``F.gelu``,
  ``F.hardswish``) are intercepted by the pass's TorchFunctionMode (`FunctionRules`).
Both are removed when the context exits, also on error. The rule only changes the
backward: forward values are exactly those of the model.

Rows: when the engine forks the batch (vanilla stream in the first half, guided stream
in the second), a gate that sees the forked batch applies the rule to its second half only.
"""

from __future__ import annotations

import functools
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from vgv_core.explain.function_rules import Handler, patched_forwards

@dataclass(frozen=True)
class Gate:
    """A gate's forward (the native op) and its native backward ``backward(grad, saved)``;
    ``saves`` says whether the backward needs the gate's input or its output."""

    forward: Callable[[Tensor], Tensor]
    backward: Callable[[Tensor, Tensor], Tensor]
    saves: str = "input"


GATES: dict[str, Gate] = {
    "relu": Gate(torch.relu, lambda g, out: torch.ops.aten.threshold_backward(g, out, 0), saves="output"),
    "silu": Gate(F.silu, torch.ops.aten.silu_backward),
    "gelu": Gate(F.gelu, lambda g, x: torch.ops.aten.gelu_backward(g, x)),
    "gelu_tanh": Gate(
        lambda x: F.gelu(x, approximate="tanh"), lambda g, x: torch.ops.aten.gelu_backward(g, x, approximate="tanh")
    ),
    "hardswish": Gate(F.hardswish, torch.ops.aten.hardswish_backward),
}


def _batched(grad: Tensor) -> bool:
    return torch._C._functorch.is_batchedtensor(grad)


def guided_gradient(grad: Tensor, saved: Tensor, gate: Gate, guided_from: int) -> Tensor:
    """The chain rule for rows < guided_from, the guided rule for the rest."""
    arriving = grad[guided_from:]
    if gate.saves == "input":  # smooth gates have negative slopes: clamp before and after
        arriving = arriving.clamp(min=0)
    # For ReLU, (x > 0) * relu(g) = relu((x > 0) * g): one clamp, after. In place on the fresh
    # result, except under vmap, which has no batching rule for clamp_.
    guided = gate.backward(arriving, saved[guided_from:])
    guided = guided.clamp(min=0) if _batched(guided) else guided.clamp_(min=0)
    if guided_from == 0:
        return guided
    vanilla = gate.backward(grad[:guided_from], saved[:guided_from])
    return torch.cat([vanilla, guided], dim=0)


class _GuidedGate(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x: Tensor, kind: str, guided_from: int, inplace: bool) -> Tensor:
        gate = GATES[kind]
        if inplace:  # only ReLU: its backward needs the output, which in-place is x itself
            value = x.clamp_(min=0)
            ctx.mark_dirty(x)
        else:
            value = gate.forward(x)
        ctx.save_for_backward(value if gate.saves == "output" else x)
        ctx.gate, ctx.guided_from = gate, guided_from
        return value

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None, None, None]:
        (saved,) = ctx.saved_tensors
        return guided_gradient(grad, saved, ctx.gate, ctx.guided_from), None, None, None


class RowSplit:
    """Which rows of a gate's input follow the guided rule.

    ``forked`` becomes true once the engine has doubled the batch; from then on the
    second half of every gate's rows is the guided stream, before that all rows are.
    """

    def __init__(self, forked: bool = False) -> None:
        self.forked = forked

    def guided_from(self, x: Tensor) -> int:
        return x.shape[0] // 2 if self.forked else 0


def _apply_gate(x: Tensor, kind: str, rows: RowSplit, inplace: bool) -> Tensor:
    if inplace and GATES[kind].saves == "output":
        return _GuidedGate.apply(x, kind, rows.guided_from(x), True)
    out = _GuidedGate.apply(x, kind, rows.guided_from(x), False)
    return x.copy_(out) if inplace else out


# torch function -> (gate kind, always in place)
_GATE_FUNCTIONS = {
    F.relu: ("relu", False), torch.relu: ("relu", False), Tensor.relu: ("relu", False),
    F.relu_: ("relu", True), torch.relu_: ("relu", True), Tensor.relu_: ("relu", True),
    F.silu: ("silu", False), F.hardswish: ("hardswish", False), F.gelu: ("gelu", False),
}


class _GateHandler(Handler):
    """The guided rule for functional gate calls."""

    def __init__(self, rows: RowSplit) -> None:
        self.rows = rows
        self.taken = 0

    def __call__(self, func, args: tuple, kwargs: dict):
        x = args[0] if args else None
        if not isinstance(x, Tensor) or not (x.requires_grad and torch.is_grad_enabled()):
            return func(*args, **kwargs)
        self.taken += 1
        kind, inplace = _GATE_FUNCTIONS[func]
        if kind == "gelu":
            approximate = kwargs.get("approximate", args[1] if len(args) > 1 else "none")
            return _apply_gate(x, "gelu_tanh" if approximate == "tanh" else "gelu", self.rows, False)
        inplace = inplace or bool(kwargs.get("inplace", args[1] if len(args) > 1 else False))
        return _apply_gate(x, kind, self.rows, inplace)


def _module_gate(module: nn.Module) -> tuple[str, bool] | None:
    """(gate kind, in place) of a gate module of a type whose forward is known, else None."""
    kind = {nn.ReLU: "relu", nn.SiLU: "silu", nn.Hardswish: "hardswish"}.get(type(module))
    if kind is not None:
        return kind, module.inplace
    if type(module) is nn.GELU:
        return ("gelu_tanh" if module.approximate == "tanh" else "gelu"), False
    if type(module) in _swish_types():  # pytorchvideo's Swish runs a custom autograd Function
        return "silu", False
    return None


def _gate_forward(module: nn.Module, kind: str, inplace: bool, rows: RowSplit) -> Callable[[Tensor], Tensor]:
    native = type(module).forward.__get__(module)

    def forward(x: Tensor) -> Tensor:
        if x.requires_grad and torch.is_grad_enabled():
            return _apply_gate(x, kind, rows, inplace)
        return native(x)

    return forward


@functools.cache
def _swish_types() -> tuple[type, ...]:
    try:
        from pytorchvideo.layers.swish import Swish
    except ImportError:
        return ()
    return (Swish,)


@contextmanager
def guided_rules(modules: list[nn.Module], rows: RowSplit) -> Iterator[dict[Callable, Handler]]:
    """Apply the guided rules to every gate the model (whose ``modules`` these are) runs
    inside this context: gate modules through their forward, and the handler for functional
    calls, yielded for the pass's `FunctionRules` mode."""
    gates = {m: _module_gate(m) for m in modules}
    forwards = {m: _gate_forward(m, *gate, rows) for m, gate in gates.items() if gate is not None}
    with patched_forwards(forwards):
        yield dict.fromkeys(_GATE_FUNCTIONS, _GateHandler(rows))
