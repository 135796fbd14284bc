"""Guided backprop on each gate type, against answers worked out by hand.

Tiny net: x -> Conv3d 1->2 (weights +1, -1) -> gate -> Linear 2->2 (rows [2, -3], [1, 1]).
For class 0 the gradient reaching the gate's output is g = (2, -3) at z = (x, -x).
Guided rule: relu(f'(z) * relu(g)); vanilla (saliency): f'(z) * g. The input gradient is
the conv's transpose: +1 * first unit - 1 * second unit.
"""

import math

import pytest
import torch
import torch.nn as nn
from pytorchvideo.layers.swish import Swish
from transformers import activations

from vgv_core.explain import Explainer

X = 0.5


def sigmoid(v):
    return 1 / (1 + math.exp(-v))


def d_swish(v):
    s = sigmoid(v)
    return s * (1 + v * (1 - s))


def d_gelu(v):
    return 0.5 * (1 + math.erf(v / math.sqrt(2))) + v * math.exp(-v * v / 2) / math.sqrt(2 * math.pi)


def d_gelu_tanh(v):
    inner = math.sqrt(2 / math.pi) * (v + 0.044715 * v**3)
    d_inner = math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * v**2)
    return 0.5 * (1 + math.tanh(inner)) + 0.5 * v * (1 - math.tanh(inner) ** 2) * d_inner


def d_hardswish(v):
    return 0.0 if v < -3 else 1.0 if v > 3 else (2 * v + 3) / 6


def d_relu(v):
    return 1.0 if v > 0 else 0.0


GATES = {
    "swish_pytorchvideo": (Swish, d_swish),
    "silu": (nn.SiLU, d_swish),
    "gelu": (nn.GELU, d_gelu),
    "hardswish": (nn.Hardswish, d_hardswish),
    "relu_inplace": (lambda: nn.ReLU(inplace=True), d_relu),
    # transformers' activation modules (ViViT's default is gelu_fast, spelled out in tensor ops)
    "transformers_gelu": (activations.GELUActivation, d_gelu),
    "transformers_gelu_tanh": (activations.GELUTanh, d_gelu_tanh),
    "transformers_gelu_fast": (activations.FastGELUActivation, d_gelu_tanh),
    "transformers_gelu_new": (activations.NewGELUActivation, d_gelu_tanh),
    "transformers_silu": (activations.SiLUActivation, d_swish),
}


def tiny_net(gate: nn.Module) -> nn.Module:
    conv = nn.Conv3d(1, 2, kernel_size=1, bias=False)
    head = nn.Linear(2, 2, bias=False)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([1.0, -1.0]).view(2, 1, 1, 1, 1))
        head.weight.copy_(torch.tensor([[2.0, -3.0], [1.0, 1.0]]))
    return nn.Sequential(conv, gate, nn.Flatten(), head)


@pytest.mark.parametrize("x", [X, -X], ids=["positive gradient open", "negative gradient open"])
@pytest.mark.parametrize("name", list(GATES))
def test_guided_rule_by_hand(name, x):
    """With x < 0 the second unit's gate is open (z > 0) to a negative gradient (-3), which
    the guided rule must stop."""
    make_gate, derivative = GATES[name]
    net = tiny_net(make_gate())
    clip = torch.full((1, 1, 1, 1, 1), x)
    e = Explainer(net, target_layer="0").explain(clip, targets=0, methods=("guided_backprop", "saliency"))
    z, g = (x, -x), (2.0, -3.0)
    guided_units = [max(0.0, derivative(zi) * max(0.0, gi)) for zi, gi in zip(z, g)]
    vanilla_units = [derivative(zi) * gi for zi, gi in zip(z, g)]
    expected_guided = guided_units[0] - guided_units[1]
    expected_vanilla = vanilla_units[0] - vanilla_units[1]
    assert e.raw["guided_backprop"].item() == pytest.approx(expected_guided, rel=1e-5)
    assert e.raw["saliency"].item() == pytest.approx(expected_vanilla, rel=1e-5)


def test_functional_relu_is_guided_too():
    class Functional(nn.Module):
        def forward(self, x):
            return torch.relu(x)

    net = tiny_net(Functional())
    clip = torch.full((1, 1, 1, 1, 1), -X)  # z = (-0.5, 0.5): only the second unit passes
    e = Explainer(net, target_layer="0").explain(clip, targets=0, methods=("guided_backprop",))
    assert e.raw["guided_backprop"].item() == 0.0  # vanilla would give -(1 * -3) = 3


@pytest.mark.parametrize("name", [name for name in GATES if name.startswith("transformers")])
def test_transformers_gates_keep_their_own_forward_values(name):
    """The rule changes the backward only: the logits are the module's own, bit for bit."""
    net = nn.Sequential(nn.Conv3d(3, 8, kernel_size=1), GATES[name][0](), nn.Flatten(), nn.Linear(8 * 2 * 3 * 3, 4))
    clip = torch.randn(2, 3, 2, 3, 3, generator=torch.Generator().manual_seed(0))
    e = Explainer(net, target_layer="0", exact=True).explain(clip, methods=("guided_backprop",))
    with torch.no_grad():
        assert torch.equal(e.logits, net(clip))
