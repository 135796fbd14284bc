"""The depthwise-convolution input gradient used inside explanations equals PyTorch's."""

import pytest
import torch
import torch.nn as nn

from vgv_core.explain.depthwise import DepthwiseInputGradient

TAKEN_OVER = [  # (kernel, padding): X3D's 3x3x3 and 5x1x1 temporal convs, and uneven padding
    ((3, 3, 3), (1, 1, 1)),
    ((5, 1, 1), (2, 0, 0)),
    ((3, 3, 3), (0, 1, 2)),
]
LEFT_TO_PYTORCH = [  # strided depthwise, dense, grouped but not depthwise, padding larger than the kernel allows
    nn.Conv3d(6, 6, 3, stride=(1, 2, 2), padding=1, groups=6),
    nn.Conv3d(6, 8, 3, padding=1),
    nn.Conv3d(6, 12, 3, padding=1, groups=3),
    nn.Conv3d(6, 6, 1, padding=1, groups=6),
]


def _input_gradient(conv: nn.Module, x: torch.Tensor, grad: torch.Tensor, rule: bool, batched: bool = False):
    leaf = x.detach().requires_grad_()
    if rule:
        with DepthwiseInputGradient():
            out = conv(leaf)
    else:
        out = conv(leaf)
    return out, torch.autograd.grad(out, leaf, grad, is_grads_batched=batched)[0]


def _applied(out: torch.Tensor) -> bool:
    return "DepthwiseConv3d" in type(out.grad_fn).__name__


@pytest.mark.parametrize("kernel,padding", TAKEN_OVER)
def test_depthwise_input_gradient_equals_pytorch(kernel, padding):
    torch.manual_seed(0)
    conv = nn.Conv3d(6, 6, kernel, padding=padding, groups=6)
    x = torch.randn(2, 6, 7, 9, 8)
    with torch.no_grad():
        grad = torch.randn(conv(x).shape)
    out, ours = _input_gradient(conv, x, grad, rule=True)
    reference_out, theirs = _input_gradient(conv, x, grad, rule=False)
    assert _applied(out)
    torch.testing.assert_close(out, reference_out, rtol=0, atol=0)  # forward values unchanged
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("conv", LEFT_TO_PYTORCH, ids=str)
def test_other_convolutions_are_left_to_pytorch(conv):
    with DepthwiseInputGradient():
        out = conv(torch.randn(1, 6, 4, 5, 5, requires_grad=True))
    assert not _applied(out)


def test_several_gradients_batched_equal_pytorch():
    torch.manual_seed(1)
    conv = nn.Conv3d(4, 4, 3, padding=1, groups=4)
    x, grads = torch.randn(1, 4, 5, 6, 6), torch.randn(3, 1, 4, 5, 6, 6)
    _, ours = _input_gradient(conv, x, grads, rule=True, batched=True)
    torch.testing.assert_close(ours, _input_gradient(conv, x, grads, rule=False, batched=True)[1], rtol=1e-5, atol=1e-5)


def test_bf16_autocast_gradient_is_close():
    torch.manual_seed(2)
    conv = nn.Conv3d(6, 6, 3, padding=1, groups=6)
    x, grad = torch.randn(1, 6, 5, 8, 8), torch.ones(1, 6, 5, 8, 8, dtype=torch.bfloat16)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        _, ours = _input_gradient(conv, x, grad, rule=True)
        _, theirs = _input_gradient(conv, x, grad, rule=False)
    torch.testing.assert_close(ours.float(), theirs.float(), rtol=2e-2, atol=2e-2)
