"""Every private PyTorch API the engine relies on, checked against a public counterpart: an
upgrade of torch that changes one fails here, by name."""

import gc

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from vgv_core.explain import torch_internals as internals


def test_is_batched_tensor_tells_vmap_apart():
    x = torch.randn(3, 4)
    seen = []
    torch.func.vmap(lambda row: seen.append(internals.is_batched_tensor(row)) or row)(x)
    assert internals.is_batched_tensor(x) is False and seen == [True]


@pytest.mark.skipif(not torch.backends.mkldnn.is_available(), reason="this torch build has no oneDNN")
def test_onednn_convolution_equals_conv3d():
    torch.manual_seed(0)
    x, weight, bias = torch.randn(1, 6, 4, 7, 7), torch.randn(8, 3, 3, 1, 3), torch.randn(8)
    ours = internals.onednn_convolution(x, weight, bias, (1, 0, 1), (1, 1, 2), 2)
    theirs = F.conv3d(x, weight, bias, stride=(1, 1, 2), padding=(1, 0, 1), groups=2)
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-5)


def test_tensor_state_follows_in_place_changes_and_replaced_storage():
    weight = nn.Parameter(torch.randn(4))
    before = internals.tensor_state(weight)
    assert internals.tensor_state(weight) == before
    with torch.no_grad():
        weight.mul_(2)
    after_in_place = internals.tensor_state(weight)
    weight.data = torch.randn(4)
    assert len({before, after_in_place, internals.tensor_state(weight)}) == 3


@pytest.mark.parametrize(
    "register",
    [
        lambda m: m.register_forward_hook(lambda *a: None),
        lambda m: m.register_forward_pre_hook(lambda *a: None),
        lambda m: m.register_full_backward_hook(lambda *a: None),
        lambda m: m.register_full_backward_pre_hook(lambda *a: None),
    ],
    ids=["forward", "forward_pre", "backward", "backward_pre"],
)
def test_has_hooks_sees_every_kind_of_module_hook(register):
    module = nn.Conv3d(2, 2, 1)
    assert not internals.has_hooks(module)
    handle = register(module)
    assert internals.has_hooks(module)
    handle.remove()
    assert not internals.has_hooks(module)


def test_direct_parameters_are_the_modules_own():
    block = nn.Sequential(nn.Conv3d(2, 2, 1), nn.BatchNorm3d(2))
    block.register_parameter("scale", nn.Parameter(torch.ones(1)))
    for module in block.modules():
        assert internals.direct_parameters(module) == list(module.parameters(recurse=False))


def test_patched_forwards_shadow_the_class_forward_and_are_removed():
    conv, relu = nn.Conv3d(1, 1, 1), nn.ReLU()
    relu.forward = lambda x: x * 0  # an instance forward of the user's: left alone
    x = torch.randn(1, 1, 1, 2, 2)
    with internals.patched_forwards({conv: lambda x: x + 1, relu: lambda x: x + 2}):
        assert torch.equal(conv(x), x + 1) and torch.equal(relu(x), x * 0)
    assert "forward" not in vars(conv) and torch.equal(conv(x), F.conv3d(x, conv.weight, conv.bias))
    with pytest.raises(RuntimeError), internals.patched_forwards({conv: lambda x: x + 1}):
        raise RuntimeError("the pass failed")
    assert "forward" not in vars(conv)


def test_weak_id_key_dictionary_holds_tensors_by_identity_only_while_they_live():
    cache = internals.WeakIdKeyDictionary()
    a, b = torch.zeros(2), torch.zeros(2)  # equal values, two keys
    cache[a], cache[b] = "a", "b"
    assert (cache[a], cache[b]) == ("a", "b")
    del a
    gc.collect()
    assert list(cache.values()) == ["b"]


@pytest.mark.parametrize(
    "gate,backward,saves_output",
    [
        (torch.relu, internals.relu_backward, True),
        (F.silu, internals.silu_backward, False),
        (F.gelu, internals.gelu_backward, False),
        (lambda x: F.gelu(x, approximate="tanh"), lambda g, x: internals.gelu_backward(g, x, "tanh"), False),
        (F.hardswish, internals.hardswish_backward, False),
    ],
    ids=["relu", "silu", "gelu", "gelu_tanh", "hardswish"],
)
def test_gate_backward_kernels_equal_autograd(gate, backward, saves_output):
    torch.manual_seed(1)
    x = (torch.randn(500) * 4).requires_grad_()
    grad = torch.randn(500)
    out = gate(x)
    (expected,) = torch.autograd.grad(out, x, grad)
    saved = out.detach() if saves_output else x.detach()
    torch.testing.assert_close(backward(grad, saved), expected, rtol=1e-6, atol=1e-7)
