"""All gradient methods from one forward, the trunk's backward at most once per rule; the model
is left as it was."""

import pytest
import torch

from vgv_core import load_model
from vgv_core.errors import ClipError
from vgv_core.explain import Explainer
from vgv_core.explain import class_batching
from vgv_core.explain.class_batching import STRATEGIES
from model_snapshot import assert_same, snapshot

ALL_GRADIENT_METHODS = ("gradcam", "guided_backprop", "guided_gradcam", "saliency")


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return load_model("r3d_18", num_classes=6, device="cpu").net


class Counter:
    """Forwards of the model, autograd calls, and backwards through the stem (the trunk's
    bottom: a gradient reaching it went through the whole trunk)."""

    def __init__(self, monkeypatch, net):
        self.forwards = 0
        self.autograd_calls = 0
        self.trunk_backwards = 0
        real_grad = torch.autograd.grad

        def counting_grad(*args, **kwargs):
            self.autograd_calls += 1
            return real_grad(*args, **kwargs)

        def count_forward(module, inputs):
            self.forwards += 1

        def stem_ran(module, inputs, output):
            if output.requires_grad:
                output.register_hook(count_trunk_backward)

        def count_trunk_backward(grad):
            self.trunk_backwards += 1

        monkeypatch.setattr(torch.autograd, "grad", counting_grad)
        self.handle = net.register_forward_pre_hook(count_forward)
        self.stem_handle = net.stem.register_forward_hook(stem_ran)

    def remove(self):
        self.handle.remove()
        self.stem_handle.remove()


@pytest.mark.parametrize(
    "methods,autograd_calls,trunk_backwards",
    [
        (ALL_GRADIENT_METHODS, 2, 2),  # saliency's true rule and the guided rule each reach the input
        (("gradcam", "guided_backprop", "guided_gradcam"), 2, 1),  # CAM's backward stops at the layer
        (("guided_backprop",), 1, 1),
        (("gradcam", "gradcam++", "layercam"), 1, 0),
    ],
)
def test_one_forward_and_one_backward_per_rule(net, monkeypatch, methods, autograd_calls, trunk_backwards):
    """After the first pass of a kind, which also learns which batch norms to fold when the
    pass asks for an input gradient (one forward more, cpu/batch_norm_fold.py)."""
    explainer, clip = Explainer(net), torch.randn(1, 3, 8, 56, 56)
    counts = []
    for _ in range(2):
        counter = Counter(monkeypatch, net)
        try:
            e = explainer.explain(clip, methods=methods)
        finally:
            counter.remove()
        counts.append((counter.forwards, counter.autograd_calls, counter.trunk_backwards))
    assert set(e.maps) == set(methods)
    learning = 1 if trunk_backwards else 0
    assert counts == [(1 + learning, autograd_calls, trunk_backwards), (1, autograd_calls, trunk_backwards)]


def test_a_map_is_the_same_alone_or_beside_other_methods(net):
    """The forward never depends on what was asked for, and each rule's backward is its own."""
    clip = torch.randn(1, 3, 8, 56, 56)
    together = Explainer(net, exact=True).explain(clip, methods=ALL_GRADIENT_METHODS)
    for method in ALL_GRADIENT_METHODS:
        alone = Explainer(net, exact=True).explain(clip, methods=(method,))
        assert torch.equal(together.raw[method], alone.raw[method]), method


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_several_classes_one_forward_match_separate_runs(net, monkeypatch, strategy):
    monkeypatch.setattr(class_batching, "strategy_for", lambda kind: strategy)
    clip = torch.randn(2, 3, 8, 56, 56)
    ex = Explainer(net)
    separate = {c: ex.explain(clip, targets=c, methods=("gradcam", "guided_backprop")) for c in (1, 4)}
    counter = Counter(monkeypatch, net)
    try:
        batched = ex.explain(clip, targets=[[1, 4], [1, 4]], methods=("gradcam", "guided_backprop"))
    finally:
        counter.remove()
    assert counter.forwards == 1
    assert counter.autograd_calls == (2 if strategy == "vmap" else 4)  # per rule: one call, or one per class
    assert batched.maps["gradcam"].shape == (2, 2, 8, 56, 56)
    assert batched.targets.tolist() == [[1, 4], [1, 4]]
    for k, c in enumerate((1, 4)):
        for method in ("gradcam", "guided_backprop"):
            theirs = separate[c].raw[method]
            torch.testing.assert_close(batched.raw[method][:, k], theirs, rtol=0, atol=1e-5 * theirs.abs().max())


@pytest.mark.parametrize("arch", ["r3d_18", "x3d_xs"])
def test_model_untouched_after_explain(arch):
    net = load_model(arch, num_classes=4, device="cpu").net
    net.train()  # a model handed over in training mode stays in training mode
    net.blocks[0].conv.requires_grad_(False) if arch == "x3d_xs" else net.stem[0].requires_grad_(False)
    before = snapshot(net)
    size = (4, 160) if arch == "x3d_xs" else (8, 56)
    Explainer(net).explain(torch.randn(2, 3, size[0], size[1], size[1]), methods=ALL_GRADIENT_METHODS)
    assert_same(before, snapshot(net))


def test_model_untouched_when_explain_raises():
    net = load_model("x3d_xs", num_classes=4, device="cpu").net
    before = snapshot(net)
    with pytest.raises(ClipError):
        Explainer(net).explain(torch.randn(1, 3, 2, 160, 160), methods=ALL_GRADIENT_METHODS)
    assert_same(before, snapshot(net))
