"""Guided-backpropagation rules, applied for the duration of one forward pass.

Rule per activation type (x: the gate's input, g: the gradient arriving at its output):
- ReLU: pass g where x > 0 and g > 0, i.e. ``(x > 0) * relu(g)`` (Springenberg et al.;
  also what captum's GuidedBackprop computes).
- Smooth gates (SiLU, pytorchvideo's Swish as used by X3D, GELU, Hardswish, and Hugging
  Face's GELU and SiLU activation modules): the local derivative times the positive part of
  g, clamped at 0: ``relu(f'(x) * relu(g))``.
  For ReLU this reduces to the rule above, so all gates share one formula.

How it is applied, without swapping modules (see function_rules.py):
- gate modules (``nn.ReLU``, ``nn.SiLU``, ``nn.GELU``, ``nn.Hardswish``, in-place or not,
  pytorchvideo's ``Swish``, which runs a custom autograd Function, and transformers'
  ``GELUActivation``, ``GELUTanh``, ``FastGELUActivation``, ``NewGELUActivation``,
  ``AccurateGELUActivation`` and ``SiLUActivation``, several of which spell the tanh GELU
  out in tensor ops) get an instance-level forward for the pass that applies the rule; the
  value of a transformers gate is its own forward's, the rule that of the GELU (or SiLU)
  it computes;
- functional calls (``F.relu``, ``torch.relu``, ``Tensor.relu_``, ``F.silu``, ``F.gelu``,
  ``F.hardswish``) are intercepted by the pass's TorchFunctionMode (`FunctionRules`).
Both are removed when the context exits, also on error. The rule only changes the
backward: forward values are exactly those of the model.

Two rules in one pass: a pass that also needs true gradients (CAM methods, saliency) runs its backward
twice over the one graph, first with the true rule, then with the guided one (`GateRule`).
"""

from __future__ import annotations

import functools
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Callable, Iterator

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from vgv_core.explain.function_rules import Handler
from vgv_core.explain.torch_internals import (
    gelu_backward,
    hardswish_backward,
    is_batched_tensor,
    patched_forwards,
    relu_backward,
    silu_backward,
)


@dataclass(frozen=True)
class Gate:
    """A gate's forward (the native op) and its native backward ``backward(grad, saved)``;
    ``saves`` says whether the backward needs the gate's input or its output."""

    forward: Callable[[Tensor], Tensor]
    backward: Callable[[Tensor, Tensor], Tensor]
    saves: str = "input"


GATES: dict[str, Gate] = {
    "relu": Gate(torch.relu, relu_backward, saves="output"),
    "silu": Gate(F.silu, silu_backward),
    "gelu": Gate(F.gelu, gelu_backward),
    "gelu_tanh": Gate(lambda x: F.gelu(x, approximate="tanh"), lambda g, x: gelu_backward(g, x, approximate="tanh")),
    "hardswish": Gate(F.hardswish, hardswish_backward),
}


class GateRule:
    """Which rule the gates' backward follows: the guided one, or (``guided = False``) the
    chain rule, for the step of a pass's backward that computes true gradients."""

    def __init__(self, guided: bool = True) -> None:
        self.guided = guided


def guided_gradient(grad: Tensor, saved: Tensor, gate: Gate) -> Tensor:
    """``relu(f'(x) * relu(g))`` (module doc)."""
    if gate.saves == "input":  # smooth gates have negative slopes: clamp before and after
        grad = grad.clamp(min=0)
    # For ReLU, (x > 0) * relu(g) = relu((x > 0) * g): one clamp, after. In place on the fresh
    # result, except under vmap, which has no batching rule for clamp_.
    guided = gate.backward(grad, saved)
    return guided.clamp(min=0) if is_batched_tensor(guided) else guided.clamp_(min=0)


class _GuidedGate(torch.autograd.Function):
    @staticmethod
    def forward(
        ctx, x: Tensor, kind: str, rule: GateRule, inplace: bool, native: Callable[[Tensor], Tensor] | None
    ) -> Tensor:
        gate = GATES[kind]
        if inplace:  # only ReLU: its backward needs the output, which in-place is x itself
            value = x.clamp_(min=0)
            ctx.mark_dirty(x)
        else:
            value = (native or gate.forward)(x)
        ctx.save_for_backward(value if gate.saves == "output" else x)
        ctx.gate, ctx.rule = gate, rule
        return value

    @staticmethod
    def backward(ctx, grad: Tensor) -> tuple[Tensor, None, None, None, None]:
        (saved,) = ctx.saved_tensors
        if not ctx.rule.guided:
            return ctx.gate.backward(grad, saved), None, None, None, None
        return guided_gradient(grad, saved, ctx.gate), None, None, None, None


def _apply_gate(
    x: Tensor, kind: str, rule: GateRule, inplace: bool, native: Callable[[Tensor], Tensor] | None = None
) -> Tensor:
    """The gate ``kind`` on x under ``rule``; ``native``: computes the value instead of the gate's own op."""
    if inplace and GATES[kind].saves == "output":
        return _GuidedGate.apply(x, kind, rule, True, None)
    out = _GuidedGate.apply(x, kind, rule, False, native)
    return x.copy_(out) if inplace else out


# torch function -> (gate kind, always in place)
_GATE_FUNCTIONS = {
    F.relu: ("relu", False), torch.relu: ("relu", False), Tensor.relu: ("relu", False),
    F.relu_: ("relu", True), torch.relu_: ("relu", True), Tensor.relu_: ("relu", True),
    F.silu: ("silu", False), F.hardswish: ("hardswish", False), F.gelu: ("gelu", False),
}


class _GateHandler(Handler):
    """The guided rule for functional gate calls."""

    def __init__(self, rule: GateRule) -> None:
        self.rule = rule
        self.taken = 0

    def __call__(self, func, args: tuple, kwargs: dict):
        x = args[0] if args else None
        if not isinstance(x, Tensor) or not (x.requires_grad and torch.is_grad_enabled()):
            return func(*args, **kwargs)
        self.taken += 1
        kind, inplace = _GATE_FUNCTIONS[func]
        if kind == "gelu":
            approximate = kwargs.get("approximate", args[1] if len(args) > 1 else "none")
            return _apply_gate(x, "gelu_tanh" if approximate == "tanh" else "gelu", self.rule, False)
        inplace = inplace or bool(kwargs.get("inplace", args[1] if len(args) > 1 else False))
        return _apply_gate(x, kind, self.rule, inplace)


@dataclass(frozen=True)
class ModuleGate:
    """How a gate module's pass applies the rule: the gate kind, in place or not, and whether
    its value comes from the module's own forward (a formula of several ops)."""

    kind: str
    inplace: bool = False
    native_value: bool = False


def _module_gate(module: nn.Module) -> ModuleGate | None:
    """The gate of a module of a type whose forward is known, else None."""
    kind = {nn.ReLU: "relu", nn.SiLU: "silu", nn.Hardswish: "hardswish"}.get(type(module))
    if kind is not None:
        return ModuleGate(kind, module.inplace)
    if type(module) is nn.GELU:
        return ModuleGate("gelu_tanh" if module.approximate == "tanh" else "gelu")
    if type(module) in _swish_types():  # pytorchvideo's Swish runs a custom autograd Function
        return ModuleGate("silu")
    kind = _transformers_gates().get(type(module))
    return ModuleGate(kind, native_value=True) if kind is not None else None


def _gate_forward(module: nn.Module, gate: ModuleGate, rule: GateRule) -> Callable[[Tensor], Tensor]:
    native = type(module).forward.__get__(module)
    value = native if gate.native_value else None

    def forward(x: Tensor) -> Tensor:
        if x.requires_grad and torch.is_grad_enabled():
            return _apply_gate(x, gate.kind, rule, gate.inplace, value)
        return native(x)

    return forward


@functools.cache
def _swish_types() -> tuple[type, ...]:
    try:
        from pytorchvideo.layers.swish import Swish
    except ImportError:
        return ()
    return (Swish,)


def _transformers_gates() -> dict[type, str]:
    """transformers' activation modules by the gate each computes; none until transformers is
    imported (by whoever built the model: importing it here would cost seconds)."""
    return _gates_in(sys.modules.get("transformers.activations"))


@functools.cache
def _gates_in(activations: ModuleType | None) -> dict[type, str]:
    if activations is None:
        return {}
    names = {
        "GELUActivation": "gelu", "GELUTanh": "gelu_tanh", "FastGELUActivation": "gelu_tanh",
        "NewGELUActivation": "gelu_tanh", "AccurateGELUActivation": "gelu_tanh", "SiLUActivation": "silu",
    }
    return {getattr(activations, name): kind for name, kind in names.items() if hasattr(activations, name)}


@contextmanager
def guided_rules(modules: list[nn.Module], rule: GateRule) -> Iterator[dict[Callable, Handler]]:
    """Apply the guided rules to every gate the model (whose ``modules`` these are) runs
    inside this context: gate modules through their forward, and the handler for functional
    calls, yielded for the pass's `FunctionRules` mode."""
    gates = {m: _module_gate(m) for m in modules}
    forwards = {m: _gate_forward(m, gate, rule) for m, gate in gates.items() if gate is not None}
    with patched_forwards(forwards):
        yield dict.fromkeys(_GATE_FUNCTIONS, _GateHandler(rule))
