"""`load_model`: build a video classifier from an arch name or a spec file, with weights."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import torch
import torch.nn as nn

from vgv_core.shipped import DEMO, demo_spec_path
from vgv_core.errors import ModelError
from vgv_core.models.checkpoint import load_checkpoint
from vgv_core.models.huggingface import FAMILIES, build_transformer, load_pretrained_folder
from vgv_core.models.registry import ARCHS, arch_info
from vgv_core.models.spec import ModelSpec

DEFAULT_NUM_CLASSES = 400  # Kinetics-400, the head the hub checkpoints carry


@dataclass
class VideoModel:
    """A ready-to-run classifier: ``net`` in eval mode on ``device``, described by ``spec``."""

    net: nn.Module
    spec: ModelSpec
    device: torch.device


def resolve_device(device: str | torch.device | None) -> torch.device:
    if device is None or str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ModelError("device 'cuda' was asked for but CUDA is not available here; use --device cpu")
    return device


def load_model(
    name_or_spec: str | Path,
    num_classes: int | None = None,
    checkpoint: str | Path | None = None,
    device: str | torch.device | None = None,
    labels: list[str] | None = None,
) -> VideoModel:
    """Build a model from a registry arch name, a spec JSON path, ``"demo"``, or a folder
    written by a Hugging Face video classifier's ``save_pretrained`` (models.huggingface).

    ``num_classes`` replaces the classification head (of a folder's model: when it differs
    from the folder's); ``checkpoint`` (or the spec's ``weights``) is loaded strictly with
    ``weights_only=True``.
    """
    name = str(name_or_spec)
    if name not in ARCHS and name != DEMO and Path(name).is_dir():  # an arch name or "demo" wins over a folder so named
        net, spec = load_pretrained_folder(Path(name), num_classes, labels)
        weights = Path(checkpoint) if checkpoint is not None else None
    else:
        spec, weights = _resolve_spec(name, num_classes, checkpoint, labels)
        net = build_net(spec)
    if weights is not None:
        load_checkpoint(net, weights)
    target = resolve_device(device)
    return VideoModel(net=net.eval().to(target), spec=spec, device=target)


def model_files(name_or_spec: str | Path) -> list[Path]:
    """The files a model is read from: a spec file and its weights (none for a registry name)."""
    spec = Path(name_or_spec)
    if not spec.is_file():
        return []
    weights = ModelSpec.from_json(spec).weights
    return [spec] + ([spec.parent / weights] if weights else [])


def build_net(spec: ModelSpec) -> nn.Module:
    """The spec's architecture with fresh weights, in training mode on the CPU."""
    try:
        if spec.arch in FAMILIES:  # a Hugging Face model's spec carries its config
            net = build_transformer(spec)
        else:
            net = arch_info(spec.arch).build(spec.num_classes, spec.clip_len, spec.crop_size, **spec.arch_kwargs)
    except (TypeError, ValueError, AssertionError) as exc:  # the builders' own words for unusable arguments
        raise ModelError(f"{spec.arch} cannot be built with arch_kwargs {spec.arch_kwargs} and this clip size: "
                         f"{str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    net.vgv_spec = spec  # lets Explainer find the target layer without being told
    return net


def _resolve_spec(
    name: str, num_classes: int | None, checkpoint: str | Path | None, labels: list[str] | None
) -> tuple[ModelSpec, Path | None]:
    if name == DEMO:
        name = str(demo_spec_path())
    if name in ARCHS:
        spec = _spec_for_arch(name, num_classes or (len(labels) if labels else DEFAULT_NUM_CLASSES))
        weights = None
    elif name.endswith((".json", ".JSON")) or Path(name).is_file():
        spec = ModelSpec.from_json(name)
        weights = Path(name).parent / spec.weights if spec.weights else None
        if num_classes is not None and num_classes != spec.num_classes:
            spec = replace(spec, num_classes=num_classes, labels=())
    else:
        raise ModelError(
            f"unknown model {name!r}: give an arch ({', '.join(ARCHS)}), a spec .json path, 'demo' or a "
            "save_pretrained folder"
        )
    if labels:
        spec = replace(spec, labels=tuple(labels), num_classes=len(labels))
    return spec, Path(checkpoint) if checkpoint is not None else weights


def _spec_for_arch(arch: str, num_classes: int) -> ModelSpec:
    info = ARCHS[arch]
    return ModelSpec(
        arch=arch,
        num_classes=num_classes,
        clip_len=info.clip_len,
        frame_stride=info.frame_stride,
        crop_size=info.crop_size,
        resize_size=info.resize_size,
        mean=info.mean,
        std=info.std,
        target_layer=info.target_layer,
    )
