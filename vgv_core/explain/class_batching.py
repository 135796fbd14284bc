"""The gradients of K target classes from the one forward pass of an explanation.

Three ways, with the same gradients:
- "vmap": one backward with the K gradient outputs stacked (``torch.func.vmap`` over
  ``torch.autograd.grad``): each backward op runs once, on K gradients at a time;
- "loop": K backward passes over the one recorded graph, which is kept until the last;
- "threads" (CPU only): the same K backward passes, two at a time from a small thread
  pool. One backward leaves cores idle (Python rules, small late-layer ops, one node
  waiting for the next); a second one in flight fills them. The autograd engine supports
  concurrent backward passes over one graph kept with ``retain_graph``. A CUDA backward
  runs on the device's own autograd thread, so there concurrent calls would only queue.

Which is fastest depends on the device and on the model (docs/performance.md): on a GPU,
and on the CPU for small feature maps, the batched kernels win (5 classes of X3D-M on an
H200: 49 ms against 78); on the CPU with large maps, K batch-1 convolutions beat one
batch-K convolution (R3D-18 on 2 threads: 2638 ms against 3235), and two at a time beat
one at a time. So the first passes of each kind time every way, and later passes take
the fastest. PyTorch's own
``is_grads_batched`` runs a legacy vmap that loops over the K gradients inside every
convolution and batch-norm backward; it was never the fastest, so it is not used.
"""

from __future__ import annotations

import functools
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Hashable

import torch
from torch import Tensor

STRATEGIES = ("vmap", "loop", "threads")
TRIALS = 2  # timed passes of each strategy, per kind of pass, before one is chosen
CONCURRENT_BACKWARDS = 2  # on 2 cores, 2, 3 and 5 in flight measured the same


def strategies_for(device: torch.device) -> tuple[str, ...]:
    return STRATEGIES if device.type == "cpu" else tuple(s for s in STRATEGIES if s != "threads")


@functools.cache
def _backward_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(CONCURRENT_BACKWARDS, thread_name_prefix="vgv-class-backward")


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
    elif strategy == "threads":

        def backward(grad: Tensor) -> tuple[Tensor, ...]:  # keeps the graph: another may still walk it
            return torch.autograd.grad(output, inputs, grad, retain_graph=True)

        per_class = list(_backward_pool().map(backward, grad_outputs))
    else:
        raise ValueError(f"unknown strategy {strategy!r}; one of {STRATEGIES}")
    return tuple(torch.stack(grads) for grads in zip(*per_class))


class ClassGradientChooser:
    """`class_gradients` with the strategy chosen per kind of pass by timing: the first
    ``TRIALS`` passes of each strategy alternate, then the one with the lower best time is
    kept. ``clock`` returns seconds; CUDA work is synchronised before it is read."""

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self._trials: dict[Hashable, dict[str, list[float]]] = {}
        self._chosen: dict[Hashable, str] = {}

    def __call__(self, output: Tensor, inputs: list[Tensor], grad_outputs: Tensor) -> tuple[Tensor, ...]:
        kind = (str(output.device), output.dtype, tuple(grad_outputs.shape), tuple(tuple(x.shape) for x in inputs))
        strategy = self._chosen.get(kind)
        if strategy is not None:
            return class_gradients(strategy, output, inputs, grad_outputs)
        trials = self._trials.setdefault(kind, {s: [] for s in strategies_for(output.device)})
        strategy = min(trials, key=lambda s: len(trials[s]))
        start = self._clock()
        try:
            grads = class_gradients(strategy, output, inputs, grad_outputs, retain_graph=strategy == "vmap")
        except RuntimeError:
            # Some backward ops fail under vmap (batch norm's in bf16 autocast, PyTorch 2.14);
            # the graph was kept, so the loop can still run now, and later passes try the rest.
            if strategy != "vmap":
                raise
            del trials["vmap"]
            return class_gradients("loop", output, inputs, grad_outputs)
        _synchronize(output.device)
        trials[strategy].append(self._clock() - start)
        if all(len(times) >= TRIALS for times in trials.values()):
            self._chosen[kind] = min(trials, key=lambda s: min(trials[s]))
            del self._trials[kind]
        return grads


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
