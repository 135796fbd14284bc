"""Tiny models of the two-pathway and transformer families, built locally with seeded random
weights: Hugging Face configs written by ``save_pretrained`` to a folder (nothing downloads),
and a reduced SlowFast built through the registry's own builder."""

from __future__ import annotations

import json
from pathlib import Path

import torch

TRANSFORMERS = ("videomae", "timesformer", "vivit")
# 4 frames of 32 x 32 px: tubelets (or patches) of 8 px, so a (t, 4, 4) token grid
FRAMES, SIZE = 4, 32
LABELS = ("left", "right", "hazard")
# ImageNet's mean and std, as fine-tuned VideoMAE and TimeSformer processors carry
IMAGE_MEAN, IMAGE_STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]


def save_transformer(folder: Path, model_type: str, labels=LABELS, layers: int = 2, seed: int = 0) -> Path:
    """A tiny random ``model_type`` classifier and its image processor, saved to ``folder``."""
    import transformers

    common = dict(
        hidden_size=16, num_hidden_layers=layers, num_attention_heads=2, intermediate_size=32,
        image_size=SIZE, num_frames=FRAMES, id2label=dict(enumerate(labels)),
        label2id={label: i for i, label in enumerate(labels)},
    )
    config = {
        "videomae": lambda: transformers.VideoMAEConfig(patch_size=8, tubelet_size=2, **common),
        "timesformer": lambda: transformers.TimesformerConfig(patch_size=8, **common),
        "vivit": lambda: transformers.VivitConfig(tubelet_size=[2, 8, 8], **common),
    }[model_type]()
    model_class = {
        "videomae": transformers.VideoMAEForVideoClassification,
        "timesformer": transformers.TimesformerForVideoClassification,
        "vivit": transformers.VivitForVideoClassification,
    }[model_type]
    torch.manual_seed(seed)
    model_class(config).save_pretrained(folder)
    size = dict(size={"shortest_edge": SIZE}, crop_size={"height": SIZE, "width": SIZE})
    if model_type == "vivit":  # ViViT's processor: pixels / 127.5 - 1, then (x - 0.5) / 0.5
        transformers.VivitImageProcessor(**size).save_pretrained(folder)
    else:
        transformers.VideoMAEImageProcessor(image_mean=IMAGE_MEAN, image_std=IMAGE_STD, **size).save_pretrained(folder)
    return folder


# SlowFast R50 through the registry builder at 8 frames of 64 px; "reduced" also narrows and
# shortens it (ResNet-18 depth, stem widths 16 and 2), for tests that run many windows.
SLOWFAST_FRAMES, SLOWFAST_SIZE = 8, 64
REDUCED_SLOWFAST = {"model_depth": 18, "stem_dim_outs": [16, 2]}


def slowfast_spec(folder: Path, reduced: bool = False, frame_stride: int = 1, seed: int = 0) -> Path:
    """A spec .json for a 3-class slowfast_r50 at a small clip size, with seeded weights beside it."""
    from vgv_core import load_model

    spec = {
        "arch": "slowfast_r50", "num_classes": len(LABELS), "labels": list(LABELS), "clip_len": SLOWFAST_FRAMES,
        "frame_stride": frame_stride, "crop_size": SLOWFAST_SIZE, "resize_mode": "stretch", "target_layer": "blocks.4",
        "arch_kwargs": REDUCED_SLOWFAST if reduced else {},
    }
    path = folder / "slowfast_spec.json"
    path.write_text(json.dumps(spec))
    torch.manual_seed(seed)
    torch.save(load_model(str(path), device="cpu").net.state_dict(), folder / "slowfast.pt")
    path.write_text(json.dumps({**spec, "weights": "slowfast.pt"}))
    return path
