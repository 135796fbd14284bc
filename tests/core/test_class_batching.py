"""K classes' gradients from one forward: both ways agree, and which one runs is a fixed rule."""

import pytest
import torch
import torch.nn as nn

from vgv_core.explain import Explainer, class_batching
from vgv_core.explain.class_batching import (
    STRATEGIES,
    ClassGradients,
    class_gradients,
    strategy_for,
)
from vgv_core.explain.pass_kind import PassKind

METHODS = ("gradcam", "guided_backprop", "guided_gradcam", "saliency")


def _pass():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Conv3d(3, 4, 3, padding=1), nn.BatchNorm3d(4), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 2 * 5 * 5, 6))
    net.eval()
    x = torch.randn(2, 3, 2, 5, 5, requires_grad=True)
    one_hot = torch.zeros(3, 2, 6)
    one_hot[torch.arange(3), :, torch.tensor([0, 2, 5])] = 1.0
    return net(x), x, one_hot


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_each_strategy_gives_each_class_its_own_gradient(strategy):
    output, x, one_hot = _pass()
    (grads,) = class_gradients(strategy, output, [x], one_hot)
    assert grads.shape == (3,) + x.shape
    for k in range(3):
        output, x, _ = _pass()
        (expected,) = torch.autograd.grad(output, x, one_hot[k])
        torch.testing.assert_close(grads[k], expected)


def test_unknown_strategy_is_refused():
    output, x, one_hot = _pass()
    with pytest.raises(ValueError, match="unknown strategy"):
        class_gradients("legacy", output, [x], one_hot)


def _kind(shape, device="cpu"):
    return PassKind(device, torch.float32, shape, "layer4", True, True, None)


def test_the_way_is_a_rule_of_the_device():
    for shape in [(1, 3, 8, 112, 112), (4, 3, 16, 224, 224)]:
        assert strategy_for(_kind(shape)) == "loop"
        assert strategy_for(_kind(shape, "cuda")) == "vmap"


@pytest.mark.parametrize("exact", [False, True], ids=["fast", "exact"])
def test_both_ways_give_the_same_maps_to_1e_5_of_the_peak(net_and_clip, monkeypatch, exact):
    """The way is a speed choice only: the maps of vmap and the loop may differ by float
    rounding in the backward, never by more than 1e-5 of a map's peak."""
    net, clip = net_and_clip
    targets = [[0, 3, 4]] * clip.shape[0]
    results = {}
    for strategy in STRATEGIES:
        monkeypatch.setattr(class_batching, "strategy_for", lambda kind, s=strategy: s)
        results[strategy] = Explainer(net, exact=exact).explain(clip, targets=targets, methods=METHODS)
    for method in METHODS:
        vmap, loop = results["vmap"].raw[method], results["loop"].raw[method]
        peak = loop.abs().amax()
        assert peak > 0
        assert (vmap - loop).abs().max() <= 1e-5 * peak, method


def test_a_pass_vmap_cannot_run_falls_back_to_the_loop():
    """Batch norm's backward fails under vmap with bf16 activations; the classes' gradients
    still come out, equal to separate backwards, on every pass."""
    torch.manual_seed(1)
    net = nn.Sequential(nn.Conv3d(3, 4, 3), nn.BatchNorm3d(4), nn.Flatten(), nn.Linear(4 * 3 * 3 * 3, 5)).eval()
    gradients = ClassGradients()
    for _ in range(3):
        x = torch.randn(1, 3, 5, 5, 5, requires_grad=True)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            output = net(x)
        one_hot = torch.eye(5, dtype=output.dtype)[:2, None]
        expected = [torch.autograd.grad(output, x, one_hot[k], retain_graph=True)[0] for k in range(2)]
        (grads,) = gradients(output, [x], one_hot, _kind(tuple(x.shape)))
        torch.testing.assert_close(grads, torch.stack(expected))
