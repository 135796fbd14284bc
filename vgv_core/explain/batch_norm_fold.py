"""Folding eval-mode batch norms into the convolutions that feed them, for explanation passes.

In eval mode a batch norm is a per-channel affine map, so convolution -> batch norm is one
convolution with scaled weights and a shifted bias. Folded, a pass skips the batch norm's
forward and, above all, its backward, which otherwise runs once per target class (X3D-S on
2 CPU threads: about 16 ms of a 140 ms backward).

Folding is only right where the batch norm's input is the convolution's output and nothing
else uses that output, which the module tree does not tell. So before the first pass of
each input shape, one plain forward learns it (`FoldProbe`): forward hooks see which batch
norm took which convolution's output, and the autograd graph shows whether anything else
took it too. Every pass then folds those pairs (`Fold`), the first one included, so that
explaining a clip twice gives the same maps. Never folded: the CAM layer, modules with
hooks, batch norms without running statistics, passes under autocast.
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from typing import Callable, Hashable, Iterator

import torch
import torch.nn as nn
from torch import Tensor
from torch.utils.weak import WeakIdKeyDictionary

from vgv_core.explain.cpu_convolution import plain_convolution
from vgv_core.explain.function_rules import patched_forwards


def folded_parameters(conv: nn.Conv3d, bn: nn.BatchNorm3d) -> tuple[Tensor, Tensor]:
    """Weight and bias of the one convolution that computes ``bn(conv(x))`` in eval mode."""
    with torch.no_grad():
        scale = torch.rsqrt(bn.running_var + bn.eps)
        if bn.weight is not None:
            scale = scale * bn.weight
        bias = -bn.running_mean if conv.bias is None else conv.bias - bn.running_mean
        bias = bias * scale + (bn.bias if bn.bias is not None else 0)
        weight = conv.weight * scale.view(-1, *([1] * (conv.weight.dim() - 1)))
    return weight.detach(), bias.detach()


def _hooked(module: nn.Module) -> bool:
    return bool(
        module._forward_hooks or module._forward_pre_hooks or module._backward_hooks or module._backward_pre_hooks
    )


def _foldable_norm(module: nn.Module) -> bool:
    """An eval-able nn.BatchNorm3d (or a subclass with its forward) keeping running statistics."""
    return (
        isinstance(module, nn.BatchNorm3d)
        and type(module).forward is nn.BatchNorm3d.forward
        and module.running_mean is not None
        and module.running_var is not None
    )


def consumer_counts(output: Tensor) -> Counter:
    """For each node of the autograd graph behind ``output``, how many edges lead to it."""
    counts: Counter = Counter()
    seen: set = set()
    stack = [output.grad_fn]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        for successor, _ in node.next_functions:
            if successor is not None:
                counts[successor] += 1
                stack.append(successor)
    return counts


class FoldProbe:
    """Watches a forward and tells which convolution -> batch norm pairs may be folded."""

    def __init__(self, modules: list[nn.Module]) -> None:
        self.convolutions = [
            m for m in modules if plain_convolution(m) and m.weight.dtype == torch.float32 and not _hooked(m)
        ]
        self.norms = [m for m in modules if _foldable_norm(m) and not _hooked(m)]
        self._produced: dict[int, tuple[Tensor, nn.Module]] = {}
        self._calls: Counter = Counter()
        self._inputs: dict[nn.Module, list[tuple[nn.Module | None, Tensor]]] = {}

    @contextmanager
    def attached(self) -> Iterator["FoldProbe"]:
        handles = [m.register_forward_hook(self._convolution_ran) for m in self.convolutions]
        handles += [m.register_forward_pre_hook(self._norm_runs) for m in self.norms]
        try:
            yield self
        finally:
            for handle in handles:
                handle.remove()

    def _convolution_ran(self, conv: nn.Module, inputs: tuple, output: Tensor) -> None:
        self._calls[conv] += 1
        self._produced[id(output)] = (output, conv)

    def _norm_runs(self, bn: nn.Module, inputs: tuple) -> None:
        x = inputs[0]
        produced = self._produced.get(id(x))
        source = produced[1] if produced is not None and produced[0] is x else None
        self._inputs.setdefault(bn, []).append((source, x))

    def pairs(self, output: Tensor) -> dict[nn.Module, nn.Module]:
        """{convolution: batch norm} where every call of the batch norm took the output of
        that convolution, every call of the convolution fed it, and nothing else did."""
        consumers = consumer_counts(output) if output.grad_fn is not None else Counter()
        pairs = {}
        for bn, calls in self._inputs.items():
            sources = {source for source, _ in calls}
            if len(sources) != 1 or None in sources:
                continue
            conv = sources.pop()
            only_consumer = all(x.grad_fn is not None and consumers[x.grad_fn] == 1 for _, x in calls)
            if only_consumer and self._calls[conv] == len(calls) and conv not in pairs:
                pairs[conv] = bn
        self._produced.clear()
        return pairs


class Fold:
    """One pair folded for one pass: the convolution runs with the folded parameters
    (`parameters`, `produced` are called by its forward), the batch norm passes that
    output through unchanged."""

    def __init__(self, bn: nn.Module, parameters: tuple[Tensor, Tensor]) -> None:
        self.bn = bn
        self.parameters = parameters
        self._output: Tensor | None = None

    def produced(self, output: Tensor) -> Tensor:
        self._output = output
        return output

    def norm_forward(self) -> Callable[[Tensor], Tensor]:
        native = type(self.bn).forward.__get__(self.bn)

        def forward(x: Tensor) -> Tensor:
            return x if x is self._output else native(x)

        return forward


def learn_pairs(model: nn.Module, model_input: Tensor, candidates: list[nn.Module]) -> dict[nn.Module, nn.Module]:
    """{convolution: batch norm} pairs among ``candidates`` that ``model`` may fold, from one
    plain forward of ``model_input`` (none, and no forward, without candidate batch norms;
    none when the model's output is not one tensor)."""
    probe = FoldProbe(candidates)
    if not probe.norms or not probe.convolutions:
        return {}
    with probe.attached(), torch.enable_grad():
        output = model(model_input.detach().requires_grad_())
    return probe.pairs(output) if isinstance(output, Tensor) else {}


class BatchNormFolds:
    """One explainer's folds: the pairs learned per input shape and CAM layer, and the
    folded parameters, rebuilt when any of the pair's tensors changes."""

    def __init__(self) -> None:
        self._pairs: dict[Hashable, dict[nn.Module, nn.Module]] = {}
        self._parameters = WeakIdKeyDictionary()  # conv -> (versions, (weight, bias))

    def pairs(
        self, model: nn.Module, model_input: Tensor, modules: list[nn.Module], layer: nn.Module | None
    ) -> dict[nn.Module, nn.Module]:
        """The pairs to fold in a pass of ``model_input``'s shape with CAM layer ``layer``;
        the first call for them runs the learning forward (`learn_pairs`)."""
        kind = (tuple(model_input.shape), model_input.dtype, id(layer))
        if kind not in self._pairs:
            self._pairs[kind] = learn_pairs(model, model_input, [m for m in modules if m is not layer])
        return self._pairs[kind]

    @contextmanager
    def applied(self, pairs: dict[nn.Module, nn.Module]) -> Iterator[dict[nn.Module, Fold]]:
        """The pass's folds by convolution (for the convolutions' forwards); the batch norms
        pass their convolution's output through for the context."""
        folds = {conv: Fold(bn, self._folded(conv, bn)) for conv, bn in pairs.items()}
        with patched_forwards({fold.bn: fold.norm_forward() for fold in folds.values()}):
            yield folds

    def _folded(self, conv: nn.Module, bn: nn.Module) -> tuple[Tensor, Tensor]:
        tensors = (conv.weight, conv.bias, bn.weight, bn.bias, bn.running_mean, bn.running_var)
        versions = tuple((t._version, t.data_ptr()) if t is not None else None for t in tensors) + (id(bn), bn.eps)
        cached = self._parameters.get(conv)
        if cached is None or cached[0] != versions:
            cached = (versions, folded_parameters(conv, bn))
            self._parameters[conv] = cached
        return cached[1]
