"""Registry models with seeded random weights, and a random clip, for the numeric tests."""

import torch
import torch.nn as nn

from vgv_core import load_model

# (arch, clip shape): ReLU nets with each convolution route (small dense, (2+1)D's separate
# kernels), X3D with Swish, depthwise and strided depthwise convolutions, and the trained demo.
NUMERIC_CASES = {
    "r3d_18": (1, 3, 8, 64, 64),
    "mc3_18": (2, 3, 8, 48, 48),
    "r2plus1d_18": (1, 3, 8, 56, 56),
    "x3d_xs": (1, 3, 4, 160, 160),
    "demo": (1, 3, 8, 112, 112),
}


def seeded_model_and_clip(arch: str, clip_shape: tuple[int, ...], seed: int) -> tuple[nn.Module, torch.Tensor]:
    """``arch`` with 5 classes and weights drawn from ``seed`` (the demo as shipped), and a clip."""
    torch.manual_seed(seed)
    net = load_model(arch, num_classes=None if arch == "demo" else 5, device="cpu").net
    return net, torch.randn(clip_shape)
