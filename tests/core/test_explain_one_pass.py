"""All gradient methods from one forward and one autograd call; the model is left as it was."""

import pytest
import torch
import torch.nn as nn

from vgv_core import load_model
from vgv_core.errors import ClipError
from vgv_core.explain import Explainer
from vgv_core.explain.class_batching import STRATEGIES, TRIALS

ALL_GRADIENT_METHODS = ("gradcam", "guided_backprop", "guided_gradcam", "saliency")


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return load_model("r3d_18", num_classes=6, device="cpu").net


class Counter:
    def __init__(self, monkeypatch, net):
        self.forwards = 0
        self.autograd_calls = 0
        real_grad = torch.autograd.grad

        def counting_grad(*args, **kwargs):
            self.autograd_calls += 1
            return real_grad(*args, **kwargs)

        def count_forward(module, inputs):
            self.forwards += 1

        monkeypatch.setattr(torch.autograd, "grad", counting_grad)
        self.handle = net.register_forward_pre_hook(count_forward)


@pytest.mark.parametrize(
    "methods",
    [ALL_GRADIENT_METHODS, ("gradcam", "guided_backprop", "guided_gradcam"), ("gradcam", "gradcam++", "layercam")],
)
def test_one_forward_one_autograd_call(net, monkeypatch, methods):
    """After the first pass of a clip shape, which also learns which batch norms to fold
    (one forward more, batch_norm_fold.py)."""
    explainer, clip = Explainer(net), torch.randn(1, 3, 8, 56, 56)
    counts = []
    for _ in range(2):
        counter = Counter(monkeypatch, net)
        try:
            e = explainer.explain(clip, methods=methods)
        finally:
            counter.handle.remove()
        counts.append((counter.forwards, counter.autograd_calls))
    assert set(e.maps) == set(methods)
    assert counts == [(2, 1), (1, 1)]


def test_several_classes_one_forward_matches_separate_runs(net, monkeypatch):
    """Every pass until the explainer has chosen how to batch the classes (each way tried
    TRIALS times), and the chosen way after, gives the separate runs' gradients from one forward."""
    clip = torch.randn(2, 3, 8, 56, 56)
    ex = Explainer(net)
    separate = {c: ex.explain(clip, targets=c, methods=("gradcam", "guided_backprop")) for c in (1, 4)}
    autograd_calls = []
    for _ in range(len(STRATEGIES) * TRIALS + 1):
        counter = Counter(monkeypatch, net)
        try:
            batched = ex.explain(clip, targets=[[1, 4], [1, 4]], methods=("gradcam", "guided_backprop"))
        finally:
            counter.handle.remove()
        assert counter.forwards == 1
        autograd_calls.append(counter.autograd_calls)
        assert batched.maps["gradcam"].shape == (2, 2, 8, 56, 56)
        assert batched.targets.tolist() == [[1, 4], [1, 4]]
        for k, c in enumerate((1, 4)):
            for method in ("gradcam", "guided_backprop"):
                torch.testing.assert_close(batched.raw[method][:, k], separate[c].raw[method], rtol=1e-4, atol=1e-7)
    assert autograd_calls[: len(STRATEGIES) * TRIALS] == [1, 2] * TRIALS  # vmap: one call; loop: one per class


def _snapshot(net: nn.Module):
    return {
        "training": [m.training for m in net.modules()],
        "requires_grad": [p.requires_grad for p in net.parameters()],
        "inplace": [m.inplace for m in net.modules() if hasattr(m, "inplace")],
        "hooks": [
            (len(m._forward_hooks), len(m._forward_pre_hooks), len(m._backward_hooks)) for m in net.modules()
        ],
        "instance attributes": [sorted(vars(m)) for m in net.modules()],  # no forward left patched
        "grads": [p.grad for p in net.parameters()],
        "state": {k: v.clone() for k, v in net.state_dict().items()},
    }


def _assert_same(before, after):
    for key in ("training", "requires_grad", "inplace", "hooks", "instance attributes"):
        assert before[key] == after[key], key
    assert all(g is None for g in after["grads"])
    for name, value in before["state"].items():
        assert torch.equal(value, after["state"][name]), name


@pytest.mark.parametrize("arch", ["r3d_18", "x3d_xs"])
def test_model_untouched_after_explain(arch):
    net = load_model(arch, num_classes=4, device="cpu").net
    net.train()  # a model handed over in training mode stays in training mode
    net.blocks[0].conv.requires_grad_(False) if arch == "x3d_xs" else net.stem[0].requires_grad_(False)
    before = _snapshot(net)
    size = (4, 160) if arch == "x3d_xs" else (8, 56)
    Explainer(net).explain(torch.randn(2, 3, size[0], size[1], size[1]), methods=ALL_GRADIENT_METHODS)
    _assert_same(before, _snapshot(net))


def test_model_untouched_when_explain_raises():
    net = load_model("x3d_xs", num_classes=4, device="cpu").net
    before = _snapshot(net)
    with pytest.raises(ClipError):
        Explainer(net).explain(torch.randn(1, 3, 2, 160, 160), methods=ALL_GRADIENT_METHODS)
    _assert_same(before, _snapshot(net))
