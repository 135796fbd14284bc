"""A folder written by ``save_pretrained``, read without transformers: its family and its model spec.

config.json gives the family (``model_type``), the frame count, the input size and the labels
(``id2label``); the image processor's file beside it gives how frames become pixel values:
resize, centre crop, rescale (with ViViT's offset) and normalisation, turned here into the
spec's mean and std over pixel values in [0, 1].
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from vgv_core.errors import ModelError
from vgv_core.models.huggingface.families import FAMILIES, Family
from vgv_core.models.spec import ModelSpec
from vgv_core.settings_keys import read_settings_file

CONFIG = "config.json"
PROCESSOR_FILES = ("video_preprocessor_config.json", "preprocessor_config.json")
DEFAULT_NUM_LABELS = 2  # transformers' PretrainedConfig default


def read_json(path: Path) -> dict:
    data = read_settings_file(path, json.loads, (json.JSONDecodeError,), "JSON", str(path), ModelError)
    if not isinstance(data, dict):
        raise ModelError(f"{path} is not a JSON object")
    return data


def read_config(folder: Path) -> tuple[dict, Family]:
    """config.json of ``folder`` and the family it names; a clear error for anything else."""
    path = folder / CONFIG
    if not path.is_file():
        raise ModelError(
            f"folder {folder} has no {CONFIG}: give a folder written by save_pretrained (config.json and the "
            "weights), a registry arch, a spec .json or 'demo'"
        )
    config = read_json(path)
    model_type = config.get("model_type")
    family = FAMILIES.get(model_type)
    if family is None:
        raise ModelError(
            f"{path}: model_type {model_type!r} is not a video classifier this tool explains; "
            f"supported: {', '.join(FAMILIES)}"
        )
    attention_type = config.get("attention_type")
    if family.attention_types is not None and attention_type is not None and attention_type not in family.attention_types:
        raise ModelError(
            f"{path}: {model_type} with attention_type {attention_type!r} is not supported; "
            f"supported: {', '.join(family.attention_types)}"
        )
    return config, family


def folder_spec(folder: Path, config: dict, family: Family) -> ModelSpec:
    """The spec of the folder's model as saved (its own labels; no target layer yet)."""
    image_size = config.get("image_size")
    frames = config.get("num_frames")
    if not isinstance(image_size, int) or not isinstance(frames, int):
        raise ModelError(f"{folder / CONFIG} lacks an integer image_size and num_frames")
    labels = _labels(folder / CONFIG, config)
    spec = ModelSpec(
        arch=family.model_type,
        num_classes=len(labels),
        labels=labels,
        clip_len=frames,
        frame_stride=family.frame_stride,
        crop_size=image_size,
    )
    return replace(spec, **_processor_settings(folder, image_size))


def _labels(path: Path, config: dict) -> tuple[str, ...]:
    """The class names of ``id2label``; transformers leaves it out of config.json when it is its
    default, two classes named LABEL_0 and LABEL_1."""
    id2label = {int(k): str(v) for k, v in config.get("id2label", {}).items()}
    if not id2label:
        return tuple(f"LABEL_{i}" for i in range(DEFAULT_NUM_LABELS))
    if sorted(id2label) != list(range(len(id2label))):
        raise ModelError(f"{path}: id2label must name the classes 0..K-1, got {sorted(id2label)}")
    return tuple(id2label[i] for i in range(len(id2label)))


def _processor_settings(folder: Path, image_size: int) -> dict:
    """resize_size, resize_mode, mean and std from the folder's image (or video) processor file."""
    path = next((folder / name for name in PROCESSOR_FILES if (folder / name).is_file()), None)
    if path is None:
        raise ModelError(
            f"folder {folder} has no {PROCESSOR_FILES[-1]} (the image processor's size, mean and std): save it "
            f"beside the model with image_processor.save_pretrained('{folder}')"
        )
    processor = read_json(path)
    # HF computes ((x * rescale - offset) - mean) / std on pixels x in 0..255; with u = x / 255 that
    # is (u - (offset + mean) / (255 * rescale)) / (std / (255 * rescale)).
    rescale = processor.get("rescale_factor", 1 / 255) if processor.get("do_rescale", True) else 1.0
    offset = 1.0 if processor.get("offset", False) else 0.0
    normalize = processor.get("do_normalize", True)
    mean = processor.get("image_mean", [0.0] * 3) if normalize else [0.0] * 3
    std = processor.get("image_std", [1.0] * 3) if normalize else [1.0] * 3
    scale = 255 * rescale
    settings = {
        "mean": tuple((offset + m) / scale for m in _three(mean, path)),
        "std": tuple(s / scale for s in _three(std, path)),
        "resize_mode": "stretch",
        "resize_size": None,
    }
    shortest_edge = (processor.get("size") or {}).get("shortest_edge") if processor.get("do_resize", True) else None
    if shortest_edge is not None and processor.get("do_center_crop", True):
        settings.update(resize_mode="short_side_crop", resize_size=max(int(shortest_edge), image_size))
    return settings


def _three(values: object, path: Path) -> list[float]:
    values = [values] * 3 if isinstance(values, (int, float)) else values
    if not isinstance(values, list) or len(values) != 3:
        raise ModelError(f"{path}: image_mean and image_std need three values, got {values!r}")
    return [float(v) for v in values]
