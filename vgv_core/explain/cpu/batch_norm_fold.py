"""Folding eval-mode batch norms into the backward of the convolutions that feed them.

In eval mode a batch norm is a per-channel affine map, so the input gradient of
convolution -> batch norm is that of one convolution whose weights are scaled by the norm's
factors. Folded, a pass skips the batch norm's backward, which otherwise runs once per target
class (X3D-S on 2 CPU threads: about 16 ms of a 140 ms backward). The forward is left as it
is: the convolution and the batch norm each run PyTorch's own kernel, so the values every
later gate sees are those of exact mode, bit for bit (folding the forward too rounds
differently, and a gate whose input lies within rounding of zero then flips).

Folding is only right where the batch norm's input is the convolution's output and nothing
else uses that output, which the module tree does not tell. So before the first pass of each
kind, one plain forward learns it (`FoldProbe`): forward hooks see which batch norm took which
convolution's output, and the autograd graph shows whether anything else took it too. Never
folded: the CAM layer, modules with hooks, batch norms without running statistics.
"""

from __future__ import annotations

from collections import Counter
from contextlib import contextmanager
from typing import Callable, Iterator

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from vgv_core.explain.cpu.convolution import (
    ConvolutionRules,
    geometry_of,
    needs_input_gradient,
    plain_convolution,
    route_of,
    with_input_gradient,
)
from vgv_core.explain.pass_kind import PassKind
from vgv_core.explain.torch_internals import WeakIdKeyDictionary, has_hooks, tensor_state


def folded_weight(conv: nn.Conv3d, bn: nn.BatchNorm3d) -> Tensor:
    """The weight of the one convolution whose input gradient is that of ``bn(conv(x))`` in eval mode."""
    with torch.no_grad():
        scale = torch.rsqrt(bn.running_var + bn.eps)
        if bn.weight is not None:
            scale = scale * bn.weight
        weight = conv.weight * scale.view(-1, *([1] * (conv.weight.dim() - 1)))
    return weight.detach()


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
            m for m in modules if plain_convolution(m) and m.weight.dtype == torch.float32 and not has_hooks(m)
        ]
        self.norms = [m for m in modules if _foldable_norm(m) and not has_hooks(m)]
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


def learn_pairs(
    model: nn.Module, model_input: Tensor | list[Tensor], candidates: list[nn.Module]
) -> dict[nn.Module, nn.Module]:
    """{convolution: batch norm} pairs among ``candidates`` that ``model`` may fold, from one
    plain forward of ``model_input`` (a clip, or a list of pathways; none, and no forward,
    without candidate batch norms; none when the model's output is not one tensor)."""
    probe = FoldProbe(candidates)
    if not probe.norms or not probe.convolutions:
        return {}
    leaves = [x.detach().requires_grad_() for x in ([model_input] if isinstance(model_input, Tensor) else model_input)]
    with probe.attached(), torch.enable_grad():
        output = model(leaves[0] if isinstance(model_input, Tensor) else leaves)
    return probe.pairs(output) if isinstance(output, Tensor) else {}


class Fold:
    """One pair folded for one pass. The convolution's forward computes its output without a
    graph and holds it; the batch norm, handed that output, computes its own natively and
    gives it the folded convolution's input gradient. Anything else runs as it would unfolded."""

    def __init__(self, conv: nn.Conv3d, bn: nn.Module, weight: Tensor, rules: ConvolutionRules) -> None:
        self.conv, self.bn, self.weight, self.rules = conv, bn, weight, rules
        self._held: tuple | None = None  # (conv input, conv output, geometry)

    def conv_forward(self) -> Callable[[Tensor], Tensor]:
        conv = self.conv

        def forward(x: Tensor) -> Tensor:
            args = (conv.weight, conv.bias, conv.stride, conv.padding, conv.dilation, conv.groups)
            geometry = geometry_of(x, conv.weight, *args[2:]) if needs_input_gradient(x) else None
            if geometry is None:
                return self.rules.convolve(x, *args)
            with torch.no_grad():
                output = F.conv3d(x, *args)
            self._held = (x, output, geometry)
            return output

        return forward

    def norm_forward(self) -> Callable[[Tensor], Tensor]:
        native = type(self.bn).forward.__get__(self.bn)

        def forward(x: Tensor) -> Tensor:
            held, self._held = self._held, None
            if held is None or held[1] is not x:
                return native(x)
            conv_input, _, geometry = held
            route = route_of(conv_input, self.weight, geometry)
            gradient = self.rules.gradients.of(route, self.weight, geometry)
            return with_input_gradient(conv_input, lambda: native(x), gradient)

        return forward


class BatchNormFolds:
    """One explainer's folds: the pairs learned per kind of pass, and the folded weights,
    rebuilt when any of the pair's tensors changes."""

    def __init__(self) -> None:
        self._pairs: dict[PassKind, dict[nn.Module, nn.Module]] = {}
        self._weights = WeakIdKeyDictionary()  # conv -> (states, weight)

    def pairs(
        self,
        kind: PassKind,
        model: nn.Module,
        model_input: Tensor | list[Tensor],
        modules: list[nn.Module],
        layer: nn.Module | None,
    ) -> dict[nn.Module, nn.Module]:
        """The pairs to fold in a pass of this kind; the first call for it runs the learning
        forward (`learn_pairs`)."""
        if kind not in self._pairs:
            self._pairs[kind] = learn_pairs(model, model_input, [m for m in modules if m is not layer])
        return self._pairs[kind]

    def folds(self, pairs: dict[nn.Module, nn.Module], rules: ConvolutionRules) -> dict[nn.Module, Fold]:
        """The pass's folds, by convolution."""
        return {conv: Fold(conv, bn, self._folded(conv, bn), rules) for conv, bn in pairs.items()}

    def _folded(self, conv: nn.Module, bn: nn.Module) -> Tensor:
        tensors = (conv.weight, bn.weight, bn.running_var)
        states = tuple(tensor_state(t) if t is not None else None for t in tensors) + (id(bn), bn.eps)
        cached = self._weights.get(conv)
        if cached is None or cached[0] != states:
            cached = (states, folded_weight(conv, bn))
            self._weights[conv] = cached
        return cached[1]

