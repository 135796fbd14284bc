"""The gradients of K target classes from the one forward pass of an explanation.

Two ways, with the same gradients:
- "vmap": one backward with the K gradient outputs stacked (``torch.func.vmap`` over
  ``torch.autograd.grad``): each backward op runs once, on K gradients at a time;
- "loop": K backward passes over the one recorded graph, which is kept until the last.

Which is faster depends on the device and on the model (docs/performance.md): on a GPU,
and on the CPU for small feature maps, the batched kernels win (5 classes of X3D-M on an
H200: 49 ms against 78); on the CPU with large maps, K batch-1 convolutions beat one
batch-K convolution (R3D-18 on 2 threads: 2638 ms against 3235). So the first passes of
each kind time both ways, alternating, and later passes take the one that was faster in
most pairs: on a shared machine whose speed drifts, the two passes of a pair ran under the
same conditions, where the best single time of each could come from different spells. PyTorch's own
``is_grads_batched`` runs a legacy vmap that loops over the K gradients inside every
convolution and batch-norm backward; it was never the fastest, so it is not used.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable, Hashable

import torch
from torch import Tensor

STRATEGIES = ("vmap", "loop")
TRIALS = 3  # timed passes of each strategy, per kind of pass, before one is chosen (odd: no ties)


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


class ClassGradientChooser:
    """`class_gradients` with the strategy chosen per kind of pass by timing: the first
    ``TRIALS`` passes of each strategy alternate, then the one faster in most of those pairs
    is kept. ``clock`` returns seconds; CUDA work is synchronised before it is read."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self._trials: dict[Hashable, dict[str, list[float]]] = {}
        self._chosen: dict[Hashable, str] = {}

    def __call__(self, output: Tensor, inputs: list[Tensor], grad_outputs: Tensor) -> tuple[Tensor, ...]:
        kind = (str(output.device), output.dtype, tuple(grad_outputs.shape), tuple(tuple(x.shape) for x in inputs))
        strategy = self._chosen.get(kind)
        if strategy is not None:
            return class_gradients(strategy, output, inputs, grad_outputs)
        trials = self._trials.setdefault(kind, {s: [] for s in STRATEGIES})
        strategy = min(STRATEGIES, key=lambda s: len(trials[s]))
        start = self._clock()
        try:
            grads = class_gradients(strategy, output, inputs, grad_outputs, retain_graph=strategy == "vmap")
        except RuntimeError:
            # Some backward ops fail under vmap (batch norm's in bf16 autocast, PyTorch 2.14);
            # the graph was kept, so the loop can still run, now and for every later pass.
            if strategy != "vmap":
                raise
            self._chosen[kind] = "loop"
            return class_gradients("loop", output, inputs, grad_outputs)
        _synchronize(output.device)
        trials[strategy].append(self._clock() - start)
        if all(len(times) >= TRIALS for times in trials.values()):
            self._chosen[kind] = _faster_in_pairs(trials)
            del self._trials[kind]
        return grads


def _faster_in_pairs(trials: dict[str, list[float]]) -> str:
    first, second = STRATEGIES
    ratio = statistics.median(b / a for a, b in zip(trials[first], trials[second]))
    return second if ratio < 1 else first


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
