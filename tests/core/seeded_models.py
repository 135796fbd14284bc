"""Registry models with seeded random weights, and a random clip, for the numeric tests."""

import torch
import torch.nn as nn

from vgv_core import load_model


def seeded_model_and_clip(arch: str, clip_shape: tuple[int, ...], seed: int) -> tuple[nn.Module, torch.Tensor]:
    """``arch`` with 5 classes and weights drawn from ``seed`` (the demo as shipped), and a clip."""
    torch.manual_seed(seed)
    net = load_model(arch, num_classes=None if arch == "demo" else 5, device="cpu").net
    return net, torch.randn(clip_shape)
