"""Model-parameter randomisation test (Adebayo et al., Sanity Checks for Saliency Maps, 2018).

The model's stages are re-initialised one after the other, from the head down to the
stem (cascading: each step keeps the earlier ones randomised), on a copy of the model;
after each step every method explains the same clips and classes again, and the
Spearman rank correlation (vgv_core.evaluation.rank_correlation) between each clip's
map before and after is recorded. A method whose maps depend on what the model learnt
falls towards 0; one that stays high explains the input more than the model (guided
backprop is known to). The random baseline scores ~0 (fresh draws every call) and the
centre bias 1 (it never looks at the model): the two ends of the scale.

Stages: starting at the model, descend while exactly one child holds parameters; the
children with parameters there, in registration order, are the stages (X3D:
``blocks.0`` ... ``blocks.5``; torchvision video ResNets: ``stem``, ``layer1`` ... ``fc``).
Re-initialising uses each layer's own ``reset_parameters`` (PyTorch's default init),
seeded per stage.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
from torch import Tensor

from vgv_core.errors import ModelError
from vgv_core.evaluation.methods import MethodSet
from vgv_core.evaluation.rank_correlation import spearman


@dataclass(frozen=True)
class SanityResult:
    stages: tuple[str, ...]  # in the order randomised: head first
    rho: dict[str, np.ndarray]  # method -> (stages, clips) rank correlation with the trained model's map

    def final(self) -> dict[str, float]:
        """Mean correlation per method once every stage is randomised."""
        return {name: float(values[-1].mean()) for name, values in self.rho.items()}


def parameter_stages(net: nn.Module) -> list[tuple[str, nn.Module]]:
    """(dotted name, module) of the model's stages, input side first."""
    prefix, module = "", net
    while True:
        children = [(name, child) for name, child in module.named_children() if _has_parameters(child)]
        if len(children) != 1:
            break
        prefix, module = prefix + children[0][0] + ".", children[0][1]
    if not children:
        raise ModelError("the model has no layers with parameters to randomise")
    return [(prefix + name, child) for name, child in children]


def randomise(module: nn.Module, seed: int) -> None:
    """Re-initialise every layer of ``module`` in place, repeatably for ``seed``."""
    cuda = sorted({p.device.index or 0 for p in module.parameters() if p.is_cuda})
    with torch.random.fork_rng(devices=cuda), torch.no_grad():
        torch.manual_seed(seed)
        for layer in module.modules():
            if hasattr(layer, "reset_parameters"):
                layer.reset_parameters()
            elif _has_parameters(layer, recurse=False):
                for parameter in layer.parameters(recurse=False):
                    nn.init.normal_(parameter, std=0.02)


def cascading_randomisation(
    net: nn.Module,
    methods: MethodSet,
    clips: Tensor,
    targets: Tensor,
    seed: int = 0,
    on_stage: Callable[[int], None] = lambda done: None,
) -> SanityResult:
    """Randomise ``net``'s stages head first on a copy, comparing maps after each one."""
    trained = methods.maps(net, clips, targets)
    copied = copy.deepcopy(net)
    stages = list(reversed(parameter_stages(copied)))
    rho: dict[str, list[Tensor]] = {name: [] for name in trained}
    for index, (_, stage) in enumerate(stages):
        randomise(stage, seed + index)
        randomised = methods.maps(copied, clips, targets)
        for name, maps in trained.items():
            rho[name].append(spearman(maps, randomised[name]))
        on_stage(index + 1)
    return SanityResult(
        stages=tuple(name for name, _ in stages),
        rho={name: torch.stack(values).cpu().numpy() for name, values in rho.items()},
    )


def _has_parameters(module: nn.Module, recurse: bool = True) -> bool:
    return next(module.parameters(recurse=recurse), None) is not None
