"""The gradients of K target classes from the one forward pass of an explanation.

Two ways, with the same gradients up to float rounding (tests/core/test_class_batching.py
holds them to 1e-5 of the map's peak):
- "vmap": one backward with the K gradient outputs stacked (``torch.func.vmap`` over
  ``torch.autograd.grad``): each backward op runs once, on K gradients at a time;
- "loop": K backward passes over the one recorded graph, which is kept until the last.

Which is faster depends on the device (docs/performance.md): on a GPU the batched kernels
always won (5 classes of X3D-M on an H200: 49 ms against 78); on the CPU, K batch-1
convolutions beat one batch-K convolution (5 classes, full explain, 2 threads: demo 87 ms
against 102, X3D-S 617 against 1177, R3D-18 1782 against 3311). The way is chosen by the
device (`strategy_for`), never by timing: a choice made by the clock would make what a call
returns depend on how loaded the machine was when it ran.
PyTorch's own ``is_grads_batched`` runs a legacy vmap that loops over the K gradients
inside every convolution and batch-norm backward; it was never the fastest, so it is not used.
"""

from __future__ import annotations

import torch
from torch import Tensor

from vgv_core.explain.pass_kind import PassKind

STRATEGIES = ("vmap", "loop")


def strategy_for(kind: PassKind) -> str:
    """The faster way for a pass of this kind, by the rule of the module doc."""
    return "loop" if kind.device == "cpu" else "vmap"


def class_gradients(
    strategy: str, output: Tensor, inputs: list[Tensor], grad_outputs: Tensor, retain_graph: bool = False
) -> tuple[Tensor, ...]:
    """The gradients of ``output`` with respect to ``inputs`` for each of the K gradient
    outputs stacked in ``grad_outputs`` (K, *output.shape); each result is (K, *input.shape)."""
    if strategy == "vmap":
        return torch.func.vmap(lambda grad: torch.autograd.grad(output, inputs, grad, retain_graph=retain_graph))(
            grad_outputs
        )
    if strategy == "loop":
        last = grad_outputs.shape[0] - 1
        per_class = [
            torch.autograd.grad(output, inputs, grad, retain_graph=retain_graph or k < last)
            for k, grad in enumerate(grad_outputs)
        ]
        return tuple(torch.stack(grads) for grads in zip(*per_class))
    raise ValueError(f"unknown strategy {strategy!r}; one of {STRATEGIES}")




class ClassGradients:
    """`class_gradients` by `strategy_for`. Where vmap cannot run a pass's backward (batch
    norm's under bf16 autocast, PyTorch 2.14), that kind of pass takes the loop from then on."""

    def __init__(self) -> None:
        self._vmap_fails: set[PassKind] = set()

    def __call__(
        self, output: Tensor, inputs: list[Tensor], grad_outputs: Tensor, kind: PassKind, retain_graph: bool = False
    ) -> tuple[Tensor, ...]:
        strategy = "loop" if kind in self._vmap_fails else strategy_for(kind)
        if strategy == "loop":
            return class_gradients("loop", output, inputs, grad_outputs, retain_graph)
        try:
            return class_gradients("vmap", output, inputs, grad_outputs, retain_graph=True)
        except RuntimeError:
            # the graph was kept, so the loop can still run, now and for every later pass
            self._vmap_fails.add(kind)
            return class_gradients("loop", output, inputs, grad_outputs, retain_graph)
