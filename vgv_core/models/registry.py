"""The architectures `load_model` can build, with their native input and default CAM layer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch.nn as nn

from vgv_core.errors import ModelError
from vgv_core.models.slowfast import build_slowfast_r50
from vgv_core.models.spec import KINETICS_MEAN, KINETICS_STD

# Layouts of a target layer's output, see vgv_core.explain.layer_tap.
CHANNELS_FIRST = "channels_first"  # (B, C, t, h, w) or (B, C, h, w); a list of them: one per pathway
CHANNELS_LAST = "channels_last"  # (B, t, h, w, C)
TOKENS = "tokens"  # (B, class tokens + t*h*w, C): torchvision's MViT returns (x, (t, h, w))

TORCHVISION_MEAN = (0.43216, 0.394666, 0.37645)
TORCHVISION_STD = (0.22803, 0.22145, 0.216989)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


@dataclass(frozen=True)
class ArchInfo:
    build: Callable[..., nn.Module]  # build(num_classes, clip_len, crop_size, **arch_kwargs)
    clip_len: int
    crop_size: int
    resize_size: int
    target_layer: str
    head_layer: str
    layout: str = CHANNELS_FIRST
    frame_stride: int = 1
    mean: tuple[float, float, float] = KINETICS_MEAN
    std: tuple[float, float, float] = KINETICS_STD


def _x3d(depth_factor: float) -> Callable[..., nn.Module]:
    def build(num_classes: int, clip_len: int, crop_size: int, **kwargs) -> nn.Module:
        from pytorchvideo.models.x3d import create_x3d

        # Same hyper-parameters as pytorchvideo's hub builders, so their checkpoints load;
        # head_activation=None makes the model return logits instead of softmax scores.
        params = dict(
            input_clip_length=clip_len,
            input_crop_size=crop_size,
            depth_factor=depth_factor,
            model_num_class=num_classes,
            head_activation=None,
        )
        params.update(kwargs)
        return create_x3d(**params)

    return build


def _torchvision(name: str) -> Callable[..., nn.Module]:
    def build(num_classes: int, clip_len: int, crop_size: int, **kwargs) -> nn.Module:
        del clip_len, crop_size  # torchvision's video models adapt to the input size
        import torchvision.models.video as video

        return getattr(video, name)(weights=None, num_classes=num_classes, **kwargs)

    return build


def _video_resnet(name: str) -> ArchInfo:
    return ArchInfo(
        _torchvision(name), 16, 112, 128, "layer4", "fc", mean=TORCHVISION_MEAN, std=TORCHVISION_STD
    )


ARCHS: dict[str, ArchInfo] = {
    "x3d_xs": ArchInfo(_x3d(2.2), 4, 160, 182, "blocks.4", "blocks.5.proj"),
    "x3d_s": ArchInfo(_x3d(2.2), 13, 160, 182, "blocks.4", "blocks.5.proj"),
    "x3d_m": ArchInfo(_x3d(2.2), 16, 224, 256, "blocks.4", "blocks.5.proj"),
    "x3d_l": ArchInfo(_x3d(5.0), 16, 312, 356, "blocks.4", "blocks.5.proj"),
    "r3d_18": _video_resnet("r3d_18"),
    "mc3_18": _video_resnet("mc3_18"),
    "r2plus1d_18": _video_resnet("r2plus1d_18"),
    "s3d": ArchInfo(
        _torchvision("s3d"), 16, 224, 256, "features", "classifier.1",
        mean=TORCHVISION_MEAN, std=TORCHVISION_STD,
    ),
    # The last block's patch tokens get no gradient (the head reads the class token
    # only), so CAM looks one block earlier, where attention still mixes them.
    "mvit_v2_s": ArchInfo(_torchvision("mvit_v2_s"), 16, 224, 256, "blocks.14", "head.1", layout=TOKENS),
    "swin3d_t": ArchInfo(
        _torchvision("swin3d_t"), 16, 224, 256, "norm", "head", layout=CHANNELS_LAST,
        mean=IMAGENET_MEAN, std=IMAGENET_STD,
    ),
    # The last stage outputs both pathways, [slow, fast]: CAM weighs each and fuses them per frame.
    "slowfast_r50": ArchInfo(build_slowfast_r50, 32, 224, 256, "blocks.4", "blocks.6.proj", frame_stride=2),
}


def arch_info(arch: str) -> ArchInfo:
    try:
        return ARCHS[arch]
    except KeyError:
        raise ModelError(f"unknown architecture {arch!r}; known: {', '.join(ARCHS)}") from None


SHIPPED_ARCHS: dict[str, ArchInfo] = dict(ARCHS)  # as every fresh interpreter has them


def is_shipped(arch: str) -> bool:
    """Whether ``arch`` is built as a fresh interpreter builds it, not added or replaced at run time
    (a child process can then rebuild the model from its spec)."""
    shipped = SHIPPED_ARCHS.get(arch)
    return shipped is not None and ARCHS.get(arch) is shipped
