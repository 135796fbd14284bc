"""Rules reach gates and convolutions through module forwards and, for functional calls, the
mode; the mode is dropped only where the first pass showed it had nothing to do."""

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.overrides import _get_current_function_mode_stack

from vgv_core.explain import Explainer
from vgv_core.explain.function_rules import FunctionRules


class TinyVideoNet(nn.Module):
    """Conv3d and ReLU modules, plus optionally a functional F.relu in its own forward."""

    def __init__(self, functional_gate: bool) -> None:
        super().__init__()
        self.functional_gate = functional_gate
        self.conv1 = nn.Conv3d(3, 8, 3, padding=1)
        self.act1 = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv3d(8, 8, 3, padding=1)
        self.act2 = nn.ReLU()
        self.head = nn.Linear(8, 4)
        self.modes_seen: list[bool] = []
        self.conv2.register_forward_hook(lambda *_: self.modes_seen.append(_mode_active()))

    def forward(self, x):
        x = self.act1(self.conv1(x))
        x = self.conv2(x)
        x = F.relu(x) if self.functional_gate else self.act2(x)
        return self.head(x.mean(dim=(2, 3, 4)))


def _mode_active() -> bool:
    return any(isinstance(mode, FunctionRules) for mode in _get_current_function_mode_stack())


def _guided_maps(net: nn.Module, clip: torch.Tensor, passes: int) -> list[torch.Tensor]:
    explainer = Explainer(net, target_layer="conv2")
    return [explainer.explain(clip, targets=1, methods=("guided_backprop",)).raw["guided_backprop"] for _ in range(passes)]


def test_module_only_models_drop_the_mode_after_the_first_pass_with_the_same_maps():
    torch.manual_seed(0)
    net, clip = TinyVideoNet(functional_gate=False), torch.randn(1, 3, 4, 6, 6)
    first, second, third = _guided_maps(net, clip, passes=3)
    assert net.modes_seen == [True, False, False]
    torch.testing.assert_close(second, first, rtol=0, atol=0)
    torch.testing.assert_close(third, first, rtol=0, atol=0)


def test_functional_gates_keep_the_mode_and_their_rule():
    """The same network with its last gate called functionally gives the same guided maps,
    on every pass: the mode stays for it."""
    torch.manual_seed(0)
    reference = TinyVideoNet(functional_gate=False)
    functional = TinyVideoNet(functional_gate=True)
    functional.load_state_dict(reference.state_dict())
    clip = torch.randn(1, 3, 4, 6, 6)
    expected = _guided_maps(reference, clip, passes=1)[0]
    for maps in _guided_maps(functional, clip, passes=3):
        torch.testing.assert_close(maps, expected, rtol=0, atol=0)
    assert functional.modes_seen == [True, True, True]


def test_the_rule_matters_here():
    """Guard for the test above: the guided maps differ from the plain input gradient."""
    torch.manual_seed(0)
    net, clip = TinyVideoNet(functional_gate=True), torch.randn(1, 3, 4, 6, 6)
    guided = _guided_maps(net, clip, passes=1)[0]
    plain = Explainer(net, target_layer="conv2").explain(clip, targets=1, methods=("saliency",)).raw["saliency"]
    assert guided.shape == plain.shape and not torch.allclose(guided, plain)
