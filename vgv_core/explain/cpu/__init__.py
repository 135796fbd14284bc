"""The CPU speed rules of the explanation engine, behind one entry point.

The engine asks `speed_rules(exact)` once and enters ``rules.applied(...)`` around each
forward pass. `CpuSpeedRules` changes only how input gradients are computed on the CPU
(convolution.py: flipped-kernel, oneDNN and polyphase routes; batch_norm_fold.py: eval batch
norms folded into their convolution's backward); forward values stay PyTorch's own, bit for
bit. `NoSpeedRules`, for ``exact=True``, changes nothing: PyTorch's own kernels only.

Since no forward value changes, no gate flips: the two modes' maps differ only by the float
rounding of different backward kernels, which the gate rules, CAM weightings and
normalisation pass on continuously. The bound below holds with a wide margin over what was
measured: at most 2.2e-6 of the peak on R3D-18, MC3-18, R(2+1)D-18, X3D-S and the demo,
with AVX-512 and with AVX2 kernels (README; `python -m vgv_core.benchmark.deviation`).
"""

from __future__ import annotations

from contextlib import AbstractContextManager, contextmanager
from typing import Callable, Iterator, Protocol, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from vgv_core.explain.cpu.batch_norm_fold import BatchNormFolds
from vgv_core.explain.cpu.convolution import ConvolutionRules, InputGradients, plain_convolution
from vgv_core.explain.function_rules import Handler
from vgv_core.explain.pass_kind import PassKind
from vgv_core.explain.torch_internals import patched_forwards

Handlers = dict[Callable, Handler]
ModelArgument = Union[Tensor, list[Tensor]]  # what the model's forward takes: a clip, or one tensor per pathway
# Fast mode's raw maps lie within this share of exact mode's peak |value| ...
FAST_MODE_MAX_DEVIATION = 1e-4
# ... and correlate with exact mode's at least this well.
FAST_MODE_MIN_CORRELATION = 0.99999
EXACT_MODE_HELP = (
    "PyTorch's own kernels only: maps equal autograd's to float rounding on any machine "
    f"(default: faster CPU rules, within {FAST_MODE_MAX_DEVIATION:g} of a map's peak)"
)


class SpeedRules(Protocol):
    def applied(
        self, model: nn.Module, model_input: ModelArgument, kind: PassKind, modules: list[nn.Module], layer: nn.Module | None
    ) -> AbstractContextManager[Handlers]:
        """A context for one forward pass of ``model`` on ``model_input``; yields the handlers
        of functional torch calls for the pass's `FunctionRules` mode."""
        ...


class NoSpeedRules:
    """PyTorch's own kernels, forward and backward."""

    @contextmanager
    def applied(self, model, model_input, kind, modules, layer) -> Iterator[Handlers]:
        yield {}


class CpuSpeedRules:
    """Faster input gradients for fp32 passes on the CPU that ask for one (the guided and
    saliency methods); every other pass runs as `NoSpeedRules`. Intercepting convolutions
    costs Python time, so once a pass of some kind routed nothing, later passes of that kind
    run without the routes (folds stay)."""

    def __init__(self) -> None:
        self._folds = BatchNormFolds()
        self._gradients = InputGradients()
        self._useful: dict[PassKind, bool] = {}

    @contextmanager
    def applied(
        self, model: nn.Module, model_input: ModelArgument, kind: PassKind, modules: list[nn.Module], layer: nn.Module | None
    ) -> Iterator[Handlers]:
        if not _worth_it(kind):
            yield {}
            return
        pairs = self._folds.pairs(kind, model, model_input, modules, layer)
        useful = self._useful.get(kind, True)
        rules = ConvolutionRules(self._gradients)
        folds = self._folds.folds(pairs, rules)
        forwards = {fold.bn: fold.norm_forward() for fold in folds.values()}
        for module in modules:
            if module in folds:
                forwards[module] = folds[module].conv_forward()
            elif useful and plain_convolution(module):
                forwards[module] = _routed_forward(module, rules)
        with patched_forwards(forwards):
            yield {F.conv3d: rules} if useful else {}
        self._useful[kind] = rules.taken > 0


def _worth_it(kind: PassKind) -> bool:
    return kind.device == "cpu" and kind.input_gradient and kind.amp is None and kind.dtype == torch.float32


def _routed_forward(module: nn.Conv3d, rules: ConvolutionRules) -> Callable[[Tensor], Tensor]:
    def forward(x: Tensor) -> Tensor:
        return rules.convolve(x, module.weight, module.bias, module.stride, module.padding, module.dilation, module.groups)

    return forward


def speed_rules(exact: bool) -> SpeedRules:
    """The rules an explainer runs its passes with: none for ``exact``, else the CPU's."""
    return NoSpeedRules() if exact else CpuSpeedRules()


__all__ = ["CpuSpeedRules", "NoSpeedRules", "SpeedRules", "speed_rules"]
