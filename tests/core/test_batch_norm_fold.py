"""Eval batch norms folded into the backward of the convolutions that feed them: the same
explanations as without folding, and folding only where it is right. The reference runs on a
copy whose batch norms carry a do-nothing pre-hook, which keeps them out of folding."""

import copy

import pytest

import torch
import torch.nn as nn

from vgv_core.explain import Explainer
from vgv_core.explain.cpu.batch_norm_fold import folded_weight

METHODS = ("gradcam", "guided_backprop", "guided_gradcam", "saliency")


def _norm(channels: int) -> nn.BatchNorm3d:
    bn = nn.BatchNorm3d(channels)
    with torch.no_grad():
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.uniform_(0.5, 1.5)
        bn.bias.uniform_(-0.5, 0.5)
    return bn


class Block(nn.Module):
    """conv -> bn -> relu -> depthwise strided conv -> bn -> relu, optionally with the
    first convolution's raw output also added back in (so its batch norm must not fold)."""

    def __init__(self, reuse_raw: bool = False) -> None:
        super().__init__()
        self.conv_a, self.norm_a = nn.Conv3d(3, 6, 1, bias=False), _norm(6)
        self.conv_b, self.norm_b = nn.Conv3d(6, 6, 3, stride=(1, 2, 2), padding=1, groups=6), _norm(6)
        self.reuse_raw = reuse_raw

    def forward(self, x):
        raw = self.conv_a(x)
        y = torch.relu(self.norm_a(raw))
        if self.reuse_raw:
            y = y + raw
        return torch.relu(self.norm_b(self.conv_b(y)))


def _net(reuse_raw: bool = False) -> nn.Module:
    torch.manual_seed(0)
    net = nn.Sequential(Block(reuse_raw), nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Linear(6, 4))
    return net.eval()


class NormCalls:
    """Counts the batch norms' own forward calls that record a graph: a folded one computes
    its value without one (its backward is the convolution's)."""

    def __init__(self, monkeypatch) -> None:
        self.count = 0
        native = nn.BatchNorm3d.forward

        def counting(module, x):
            self.count += torch.is_grad_enabled()
            return native(module, x)

        monkeypatch.setattr(nn.BatchNorm3d, "forward", counting)


def _explain(explainer: Explainer, clip: torch.Tensor, methods=METHODS):
    return explainer.explain(clip, targets=[[1, 2]], methods=methods)


def _unfolded(net: nn.Module, layer: str = "0") -> Explainer:
    reference = copy.deepcopy(net)
    for module in reference.modules():
        if isinstance(module, nn.BatchNorm3d):
            module.register_forward_pre_hook(lambda module, inputs: None)
    return Explainer(reference, target_layer=layer)


def _assert_same(a, b, methods=METHODS):
    for m in methods:
        torch.testing.assert_close(a.raw[m], b.raw[m], rtol=1e-4, atol=1e-6)


def test_the_folded_weight_gives_the_pairs_input_gradient():
    torch.manual_seed(1)
    for bias in (False, True):
        conv, bn = nn.Conv3d(4, 5, 3, padding=1, bias=bias), _norm(5).eval()
        x = torch.randn(2, 4, 3, 6, 6, requires_grad=True)
        out = bn(conv(x))
        grad = torch.randn(out.shape)
        (expected,) = torch.autograd.grad(out, x, grad)
        folded = torch.nn.grad.conv3d_input(x.shape, folded_weight(conv, bn), grad, padding=1)
        torch.testing.assert_close(folded, expected, rtol=1e-5, atol=1e-5)


def test_folded_passes_compute_the_same_forward_values():
    """Only the backward is folded: logits and the CAM layer's activations are bit for bit those
    of an unfolded pass."""
    net, clip = _net(), torch.randn(1, 3, 4, 8, 8)
    ours, reference = _explain(Explainer(net, target_layer="0"), clip), _explain(_unfolded(net), clip)
    assert torch.equal(ours.logits, reference.logits)
    assert torch.equal(ours.raw["gradcam"], reference.raw["gradcam"])


def _norm_calls_per_pass(net, layer, methods, monkeypatch, passes=2):
    """Explanations of ``passes`` passes and the batch norms' own forward calls in each
    (the first pass is preceded by the forward that learns what to fold)."""
    explainer, clip = Explainer(net, target_layer=layer), torch.randn(1, 3, 4, 8, 8)
    explainer.explain(torch.randn(1, 3, 4, 8, 8), methods=methods)  # learns the pairs
    calls = NormCalls(monkeypatch)
    results, counts = [], []
    for _ in range(passes):
        calls.count = 0
        results.append(_explain(explainer, clip, methods))
        counts.append(calls.count)
    return clip, results, counts


def test_every_pass_folds_and_explains_as_unfolded(monkeypatch):
    net = _net()
    clip, results, counts = _norm_calls_per_pass(net, "0", METHODS, monkeypatch)
    assert counts == [0, 0]
    _assert_same(results[0], results[1])
    _assert_same(results[0], _explain(_unfolded(net), clip))


def test_a_convolution_output_used_twice_is_not_folded(monkeypatch):
    net = _net(reuse_raw=True)
    clip, results, counts = _norm_calls_per_pass(net, "0", METHODS, monkeypatch)
    assert counts == [1, 1]  # norm_a still runs, norm_b is folded
    _assert_same(results[0], _explain(_unfolded(net), clip))


def test_the_cam_layer_convolution_is_not_folded(monkeypatch):
    """Grad-CAM on a convolution needs its own output, before the batch norm."""
    net, methods = _net(), ("gradcam", "guided_backprop")
    clip, results, counts = _norm_calls_per_pass(net, "0.conv_a", methods, monkeypatch)
    assert counts == [1, 1]  # norm_a runs as it is, norm_b is folded
    _assert_same(results[0], _explain(_unfolded(net, "0.conv_a"), clip, methods), methods)


def test_changed_statistics_are_followed():
    net, clip = _net(), torch.randn(1, 3, 4, 8, 8)
    explainer = Explainer(net, target_layer="0")
    _explain(explainer, clip)
    with torch.no_grad():
        net[0].norm_b.running_var.mul_(3)
        net[0].conv_a.weight.mul_(-1)
    _assert_same(_explain(explainer, clip), _explain(_unfolded(net), clip))


def test_a_hooked_norm_is_left_alone():
    """A pre-hook may change the norm's input, which a folded norm would never see."""
    net, clip = _net(), torch.randn(1, 3, 4, 8, 8)
    net[0].norm_a.register_forward_pre_hook(lambda module, inputs: (inputs[0] * 2,))
    explainer = Explainer(net, target_layer="0")
    _assert_same(_explain(explainer, clip), _explain(_unfolded(net), clip))


def test_no_folding_under_autocast(monkeypatch):
    net = _net()
    explainer = Explainer(net, target_layer="0", amp="bf16")
    _explain(explainer, torch.randn(1, 3, 4, 8, 8))
    calls = NormCalls(monkeypatch)
    _explain(explainer, torch.randn(1, 3, 4, 8, 8))
    assert calls.count == 2


class SameForwardConv(nn.Conv3d):
    """Like torchvision's Conv3DSimple: a subclass that keeps nn.Conv3d's forward."""


class OwnForwardConv(nn.Conv3d):
    def forward(self, x):
        return super().forward(x) * 2


@pytest.mark.parametrize("conv_type,folded", [(SameForwardConv, True), (OwnForwardConv, False)])
def test_convolution_subclasses_fold_only_with_conv3d_forward(monkeypatch, conv_type, folded):
    net = _net()
    block = net[0]
    replaced = conv_type(3, 6, 1, bias=False)
    replaced.load_state_dict(block.conv_a.state_dict())
    block.conv_a = replaced
    clip, results, counts = _norm_calls_per_pass(net, "0", METHODS, monkeypatch, passes=1)
    assert counts == [0 if folded else 1]
    _assert_same(results[0], _explain(_unfolded(net), clip))
