"""The CPU convolution rules used inside explanations: PyTorch's forward values bit for bit,
and PyTorch's input gradients up to float rounding."""

import warnings

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from vgv_core.explain.class_batching import STRATEGIES, class_gradients
from vgv_core.explain.cpu import CpuSpeedRules
from vgv_core.explain.cpu.convolution import ConvolutionRules, InputGradients
from vgv_core.explain.function_rules import FunctionRules
from vgv_core.explain.pass_kind import PassKind

DEPTHWISE = [  # (kernel, padding): X3D's 3x3x3 and 5x1x1 temporal convs, and uneven padding
    ((3, 3, 3), (1, 1, 1)),
    ((5, 1, 1), (2, 0, 0)),
    ((3, 3, 3), (0, 1, 2)),
]
# Dense with small maps, where PyTorch's heuristic picks its native kernel: R3D's layer3 and
# layer4 shapes, scaled down, and R(2+1)D's separate spatial and temporal kernels.
SMALL_DENSE = [
    (nn.Conv3d(32, 24, 3, padding=1), (4, 7, 7)),
    (nn.Conv3d(16, 16, (1, 3, 3), padding=(0, 1, 1), bias=False), (4, 6, 5)),
    (nn.Conv3d(16, 8, (3, 1, 1), padding=(1, 0, 0)), (4, 6, 6)),
]
# Strided depthwise (kernel, padding, stride): X3D's spatial downsampling, a stride on every
# axis, uneven kernel, padding and strides, and a 1x1x1 kernel, whose odd positions get no
# gradient at all. Sizes are odd and even, so some phases are shorter than others.
STRIDED_DEPTHWISE = [
    ((3, 3, 3), (1, 1, 1), (1, 2, 2)),
    ((3, 3, 3), (1, 1, 1), (2, 2, 2)),
    ((5, 3, 3), (2, 0, 1), (1, 3, 2)),
    ((1, 3, 3), (0, 0, 0), (1, 2, 2)),
    ((1, 1, 1), (0, 0, 0), (1, 2, 2)),
]
LEFT_TO_PYTORCH = [  # strided dense, pointwise, grouped, padding beyond the kernel, large maps
    (nn.Conv3d(6, 8, 3, stride=2, padding=1), (1, 4, 5, 5)),
    (nn.Conv3d(6, 8, 1), (1, 4, 5, 5)),
    (nn.Conv3d(6, 12, 3, padding=1, groups=3), (1, 4, 5, 5)),
    (nn.Conv3d(6, 6, 1, padding=1, groups=6), (1, 4, 5, 5)),
    (nn.Conv3d(64, 8, 3, padding=1), (1, 16, 21, 21)),  # N*C*D*H = 21504 > 20480
    (nn.Conv3d(6, 8, 3, padding=1), (2, 4, 5, 5)),  # batch 2: PyTorch already uses oneDNN
    (nn.Conv3d(54, 54, 3, stride=(1, 2, 2), padding=1, groups=54), (1, 16, 112, 112)),  # X3D-M's first stage
]


ROUTED = "_WithInputGradientBackward"


def _run(conv: nn.Module, x: torch.Tensor, grad: torch.Tensor, rules: ConvolutionRules | None, batched=None):
    """``batched``: None for one gradient output, else the `class_gradients` strategy for several."""
    leaf = x.detach().requires_grad_()
    if rules is None:
        out = conv(leaf)
    else:
        with FunctionRules({F.conv3d: rules}):
            out = conv(leaf)
    if batched is None:
        return out, torch.autograd.grad(out, leaf, grad)[0]
    return out, class_gradients(batched, out, [leaf], grad)[0]


def _rules() -> ConvolutionRules:
    return ConvolutionRules(InputGradients())


def _assert_same_as_pytorch(conv: nn.Module, x: torch.Tensor, batched: str | None = None, grads=None):
    with torch.no_grad():
        shape = conv(x).shape
    grads = torch.randn((3,) + tuple(shape) if batched else shape) if grads is None else grads
    reference_out, theirs = _run(conv, x, grads, None, batched and "loop")
    rules = _rules()
    out, ours = _run(conv, x, grads, rules, batched)
    assert rules.taken == 1
    assert torch.equal(out, reference_out)  # the forward is PyTorch's own call
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-5)
    return out


@pytest.mark.parametrize("kernel,padding", DEPTHWISE)
def test_depthwise_input_gradient_equals_pytorch(kernel, padding):
    torch.manual_seed(0)
    out = _assert_same_as_pytorch(nn.Conv3d(6, 6, kernel, padding=padding, groups=6), torch.randn(2, 6, 7, 9, 8))
    assert type(out.grad_fn).__name__ == ROUTED


@pytest.mark.parametrize("kernel,padding,stride", STRIDED_DEPTHWISE, ids=str)
@pytest.mark.parametrize("grid", [(7, 9, 8), (6, 10, 11)], ids=str)
def test_strided_depthwise_input_gradient_equals_pytorch(kernel, padding, stride, grid):
    torch.manual_seed(6)
    conv = nn.Conv3d(5, 5, kernel, stride=stride, padding=padding, groups=5)
    out = _assert_same_as_pytorch(conv, torch.randn(1, 5, *grid))
    assert type(out.grad_fn).__name__ == ROUTED


@pytest.mark.parametrize("conv,grid", SMALL_DENSE, ids=str)
def test_small_dense_convolution_equals_pytorch(conv, grid):
    torch.manual_seed(1)
    out = _assert_same_as_pytorch(conv, torch.randn(1, conv.in_channels, *grid))
    assert type(out.grad_fn).__name__ == ROUTED


def test_nothing_is_routed_without_an_input_gradient():
    conv, grid = SMALL_DENSE[0]
    rules = _rules()
    with FunctionRules({F.conv3d: rules}):
        out = conv(torch.randn(1, conv.in_channels, *grid))
    assert rules.taken == 0 and out.grad_fn is not None  # the weights' graph, PyTorch's


@pytest.mark.parametrize("conv,shape", LEFT_TO_PYTORCH, ids=str)
def test_other_convolutions_are_left_to_pytorch(conv, shape):
    rules = _rules()
    with FunctionRules({F.conv3d: rules}):
        out = conv(torch.randn(shape[0], conv.in_channels, *shape[1:], requires_grad=True))
    assert rules.taken == 0
    assert type(out.grad_fn).__name__ == "ConvolutionBackward0"


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize(
    "conv",
    [
        nn.Conv3d(4, 4, 3, padding=1, groups=4),
        nn.Conv3d(4, 4, 3, stride=(1, 2, 2), padding=1, groups=4),
        SMALL_DENSE[0][0],
    ],
    ids=["depthwise", "strided depthwise", "dense"],
)
def test_several_gradients_batched_equal_pytorch(conv, strategy):
    torch.manual_seed(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. vmap's "performance drop" for an op without a batching rule
        _assert_same_as_pytorch(conv, torch.randn(1, conv.in_channels, 4, 6, 6), batched=strategy)


@pytest.mark.parametrize(
    "conv",
    [nn.Conv3d(32, 24, 3, padding=1), nn.Conv3d(6, 6, 3, stride=(1, 2, 2), padding=1, groups=6)],
    ids=["dense", "strided depthwise"],
)
def test_changed_weights_are_followed(conv):
    """Flipped kernels and their phases are cached across passes; an in-place weight update
    must rebuild them."""
    torch.manual_seed(4)
    x = torch.randn(1, conv.in_channels, 4, 7, 7)
    gradients = InputGradients()
    grad = torch.randn(conv(x).shape)
    _run(conv, x, grad, ConvolutionRules(gradients))
    with torch.no_grad():
        conv.weight.mul_(-2)
    _, ours = _run(conv, x, grad, ConvolutionRules(gradients))
    torch.testing.assert_close(ours, _run(conv, x, grad, None)[1], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("conv,grid", [SMALL_DENSE[0], (nn.Conv3d(6, 6, 3, padding=1, groups=6), (5, 8, 8))], ids=str)
def test_convolutions_under_autocast_are_left_to_pytorch(conv, grid):
    rules = _rules()
    with torch.autocast("cpu", dtype=torch.bfloat16), FunctionRules({F.conv3d: rules}):
        conv(torch.randn(1, conv.in_channels, *grid, requires_grad=True))
    assert rules.taken == 0


def test_rules_stop_intercepting_kinds_they_had_nothing_for():
    """Intercepting costs Python time per op, so the rules drop the routes for a kind of pass
    once a pass of it routed nothing, and keep them where they routed something."""
    net = nn.Sequential(nn.Conv3d(3, 4, 3, stride=2, padding=1), nn.ReLU(), nn.Conv3d(4, 4, 3, padding=1))
    rules = CpuSpeedRules()
    handed_over = []
    for batch in (1, 1, 2, 2):
        x = torch.randn(batch, 3, 4, 5, 5, requires_grad=True)
        kind = PassKind.of(x, layer=None, guided=True, input_gradient=True, amp=None)
        with rules.applied(net, x, kind, list(net.modules()), None) as handlers:
            handed_over.append(list(handlers))
            with FunctionRules(handlers):
                net(x)
    assert handed_over == [[F.conv3d], [F.conv3d], [F.conv3d], []]
