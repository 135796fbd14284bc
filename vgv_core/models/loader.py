"""`load_model`: build a video classifier from an arch name or a spec file, with weights."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from importlib.resources import files
from pathlib import Path

import torch
import torch.nn as nn

from vgv_core.errors import ModelError
from vgv_core.models.checkpoint import load_checkpoint
from vgv_core.models.huggingface import load_pretrained_folder
from vgv_core.models.registry import ARCHS, arch_info
from vgv_core.models.spec import ModelSpec

DEFAULT_NUM_CLASSES = 400  # Kinetics-400, the head the hub checkpoints carry


def assets_dir() -> Path:
    """The assets that ship inside the package, vgv_core/assets (override with VGV_ASSETS)."""
    override = os.environ.get("VGV_ASSETS")
    return Path(override) if override else Path(os.fspath(files("vgv_core") / "assets"))


DEMO = "demo"  # the name of the shipped demo model, and of its video as an input


def demo_video_path() -> Path:
    return assets_dir() / "demo" / "demo.mp4"


def named_input(text: str) -> Path:
    """An input path as given, or the shipped demo video for ``demo`` (when no such file is here)."""
    path = Path(text).expanduser()
    return demo_video_path() if text == DEMO and not path.exists() else path


def demo_spec_path() -> Path:
    return assets_dir() / "demo" / "spec.json"


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
        net = arch_info(spec.arch).build(spec.num_classes, spec.clip_len, spec.crop_size, **spec.arch_kwargs)
    if weights is not None:
        load_checkpoint(net, weights)
    net.vgv_spec = spec  # lets Explainer find the target layer without being told
    target = resolve_device(device)
    return VideoModel(net=net.eval().to(target), spec=spec, device=target)


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
