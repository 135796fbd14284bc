"""One TorchFunctionMode carrying every per-function rule of an explanation pass.

A TorchFunctionMode sees every torch call of the forward pass (about 230 for the demo
model), so each active mode costs a Python call per op. The guided gate rules and the CPU
convolution rules therefore share this one mode: a dictionary from torch function to the
handler that replaces it. Calls made inside a handler run natively.
"""

from __future__ import annotations

from typing import Any, Callable

from torch.overrides import TorchFunctionMode

Handler = Callable[[Callable, tuple, dict], Any]  # (func, args, kwargs) -> result


class FunctionRules(TorchFunctionMode):
    def __init__(self, handlers: dict[Callable, Handler]) -> None:
        super().__init__()
        self.handlers = handlers

    def __torch_function__(self, func, types, args=(), kwargs=None):
        handler = self.handlers.get(func)
        if handler is None:
            return func(*args, **(kwargs or {}))
        return handler(func, args, kwargs or {})
