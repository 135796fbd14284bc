"""What `vgv bench` times for one model: bare passes, our explain, and the peers'."""

from __future__ import annotations

import copy
from typing import Callable

import torch
import torch.nn as nn
from torch import Tensor

from vgv_core.explain import Explainer
from vgv_core.explain.attention import reads_attention
from vgv_core.explain.methods import ATTENTION_METHODS

OUR_METHODS = ("gradcam", "guided_backprop", "guided_gradcam")
CLASS_COUNT = 5


def bare_variants(net: nn.Module, clip: Tensor) -> dict[str, Callable[[], object]]:
    """The baseline is a forward and the backward of one class score down to the input: what
    any input-gradient explanation must compute at least. A training-style backward, which
    also computes every parameter gradient, is timed for reference."""

    def forward() -> None:
        with torch.no_grad():
            net(clip)

    def forward_backward() -> None:
        x = clip.detach().requires_grad_()
        torch.autograd.grad(net(x)[:, 0].sum(), x)

    def forward_backward_parameters() -> None:
        x = clip.detach().requires_grad_()
        net(x)[:, 0].sum().backward()
        net.zero_grad(set_to_none=True)

    return {
        "bare forward": forward,
        "bare forward+backward": forward_backward,
        "bare forward+backward with parameter grads": forward_backward_parameters,
    }


def compiled_variants(net: nn.Module, clip: Tensor) -> dict[str, Callable[[], object]]:
    """torch.compile of the model, for the bare pass and under our explain (`vgv bench --compile`)."""
    compiled = torch.compile(net)
    explainer = Explainer(compiled, target_layer=_spec_layer(net))

    def forward_backward() -> None:
        x = clip.detach().requires_grad_()
        torch.autograd.grad(compiled(x)[:, 0].sum(), x)

    return {
        "bare forward+backward, torch.compile": forward_backward,
        "ours: same, torch.compile": lambda: explainer.explain(clip, methods=OUR_METHODS),
    }


def _spec_layer(net: nn.Module) -> nn.Module | None:
    spec = getattr(net, "vgv_spec", None)
    return net.get_submodule(spec.target_layer) if spec and spec.target_layer else None


def our_variants(net: nn.Module, clip: Tensor, num_classes: int) -> dict[str, Callable[[], object]]:
    explainer = Explainer(net)
    exact = Explainer(net, exact=True)
    channels_last = Explainer(copy.deepcopy(net).to(memory_format=torch.channels_last_3d))
    channels_last_clip = clip.contiguous(memory_format=torch.channels_last_3d)
    autocast = Explainer(net, amp="bf16" if clip.device.type == "cpu" else "fp16")
    classes = [c % num_classes for c in range(CLASS_COUNT)]
    per_item = [classes] * clip.shape[0]
    variants = {
        "ours: gradcam+guided_backprop+guided_gradcam": lambda: explainer.explain(clip, methods=OUR_METHODS),
        "ours: same, exact mode": lambda: exact.explain(clip, methods=OUR_METHODS),
        "ours: same, channels_last_3d": lambda: channels_last.explain(channels_last_clip, methods=OUR_METHODS),
        f"ours: same, {autocast.amp} autocast": lambda: autocast.explain(clip, methods=OUR_METHODS),
        "ours: gradcam": lambda: explainer.explain(clip, methods=("gradcam",)),
        f"ours: {CLASS_COUNT} classes sequential": lambda: [
            explainer.explain(clip, targets=c, methods=OUR_METHODS) for c in classes
        ],
        f"ours: {CLASS_COUNT} classes batched": lambda: explainer.explain(clip, targets=per_item, methods=OUR_METHODS),
        f"ours: gradcam, {CLASS_COUNT} classes sequential": lambda: [
            explainer.explain(clip, targets=c, methods=("gradcam",)) for c in classes
        ],
        f"ours: gradcam, {CLASS_COUNT} classes batched": lambda: explainer.explain(
            clip, targets=per_item, methods=("gradcam",)
        ),
    }
    if reads_attention(net):  # transformers only
        variants["ours: attention_rollout"] = lambda: explainer.explain(clip, methods=ATTENTION_METHODS)
    return variants


def peer_variants(net: nn.Module, clip: Tensor, layer: nn.Module) -> dict[str, Callable[[], object]]:
    """captum and pytorch-grad-cam, when installed (the `dev` extra)."""
    variants: dict[str, Callable[[], object]] = {}
    try:
        from captum.attr import GuidedBackprop, GuidedGradCam, LayerGradCam
    except ImportError:
        pass
    else:
        guided_gradcam, layer_gradcam, guided = GuidedGradCam(net, layer), LayerGradCam(net, layer), GuidedBackprop(net)
        variants["captum: GuidedGradCam"] = lambda: guided_gradcam.attribute(clip.detach().requires_grad_(), target=0)
        variants["captum: LayerGradCam + GuidedBackprop"] = lambda: (
            layer_gradcam.attribute(clip, target=0),
            guided.attribute(clip.detach().requires_grad_(), target=0),
        )
    try:
        from pytorch_grad_cam import GradCAM
        from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
    except ImportError:
        return variants
    targets = [ClassifierOutputTarget(0)] * clip.shape[0]

    def grad_cam() -> None:
        with GradCAM(model=net, target_layers=[layer]) as cam:
            cam(input_tensor=clip, targets=targets)

    variants["pytorch-grad-cam: GradCAM (upsampled)"] = grad_cam
    return variants
