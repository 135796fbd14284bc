"""How an explanation pass swaps in its rules for torch functions (gates, convolutions).

Two ways, because a TorchFunctionMode sees every torch call of the forward pass (about 230
for the demo model) and costs a Python call for each, 4-5 % of a small model's pass:
- the modules that make those calls (``nn.ReLU``, ``nn.Conv3d``, ...) get an instance-level
  ``forward`` for the pass (`torch_internals.patched_forwards`), which calls the rule directly;
- functional calls in a model's own code (``F.relu(x)`` in a forward) need the mode
  (`FunctionRules`): a dictionary from torch function to the handler that replaces it.
The first pass of a kind runs both; the mode counts the calls it took over, and when it
took none, later passes of that kind run without it (`ModeNeed`). Calls made inside a
handler run natively.
"""

from __future__ import annotations

from typing import Any, Callable, Hashable

from torch.overrides import TorchFunctionMode


class Handler:
    """Replaces one or more torch functions: ``handler(func, args, kwargs)``. ``taken``
    counts the calls it handled itself rather than passing to the native function."""

    taken: int = 0

    def __call__(self, func: Callable, args: tuple, kwargs: dict) -> Any:
        raise NotImplementedError


class FunctionRules(TorchFunctionMode):
    def __init__(self, handlers: dict[Callable, Handler]) -> None:
        super().__init__()
        self.handlers = handlers
        self.taken = 0  # calls that reached a handler through this mode and were taken over

    def __torch_function__(self, func, types, args=(), kwargs=None):
        handler = self.handlers.get(func)
        if handler is None:
            return func(*args, **(kwargs or {}))
        before = handler.taken
        result = handler(func, args, kwargs or {})
        self.taken += handler.taken - before
        return result


class ModeNeed:
    """Per kind of pass: whether functional calls need the mode (unknown until a pass of
    that kind ran with it). A model whose functional gate calls change between passes of
    one kind would escape the rules after the first; no video model known here does."""

    def __init__(self) -> None:
        self._needed: dict[Hashable, bool] = {}

    def needed(self, kind: Hashable) -> bool:
        return self._needed.get(kind, True)

    def record(self, kind: Hashable, mode: FunctionRules) -> None:
        self._needed[kind] = mode.taken > 0
