"""The seed project's Python API, kept working on top of the one engine and renderer.

- ``GradVis(model).compute_grad(input_tensor, path)``: explains a model-input clip with
  the input-gradient saliency (3-frame rolling mean, Explainer method "saliency") and
  writes the side-by-side "frame | overlay | heatmap" MP4, with the same label panel as
  `vgv explain`, into the folder ``path``. The file name carries the predicted class
  and its probability.
- ``GuidedBackpropagation(model, selected_layer).visualize(frames, target_class)``:
  guided-backprop maps (B, T, H, W) in [0, 1].

Both use `vgv_core.Explainer` and `vgv_core.render.panel.annotated_frames`: there is no
second engine. What the seed did and this does not: project gradients through a
randomly initialised Conv3d (``grad_layer_channels``, accepted and ignored) and scale
them by 1e11 (maps are min-max normalised instead).
"""

from __future__ import annotations

import re
from pathlib import Path

import torch
import torch.nn as nn
from torch import Tensor

from vgv_core import frame_rate
from vgv_core.errors import ClipError, ModelError
from vgv_core.explain import Explainer
from vgv_core.render import UNIFORM, HeatStyle
from vgv_core.render.panel import Annotator, annotated_frames, picture_width
from vgv_core.video_writer import AtomicVideoWriter

SALIENCY = "saliency"
GUIDED_BACKPROP = "guided_backprop"
SEED_LAYOUT = "side-by-side"


def resolve_selected_layer(model: nn.Module, selected_layer: int | str | nn.Module | None) -> str | nn.Module | None:
    """The seed's ``selected_layer``: an index into ``model.blocks`` (pytorchvideo models),
    or whatever `Explainer` takes as ``target_layer`` (a dotted name, a module, None)."""
    if isinstance(selected_layer, int) or (isinstance(selected_layer, str) and selected_layer.isdigit()):
        index = int(selected_layer)
        blocks = getattr(model, "blocks", None)
        if not isinstance(blocks, nn.Sequential | nn.ModuleList) or not 0 <= index < len(blocks):
            count = len(blocks) if isinstance(blocks, nn.Sequential | nn.ModuleList) else 0
            raise ModelError(
                f"selected layer {index} is not one of the model's {count} blocks; give a layer's dotted name instead"
            )
        return f"blocks.{index}"
    return selected_layer


class GradVis:
    """The seed's entry point: saliency of a clip, written as an explained video."""

    def __init__(self, model: nn.Module, fps: float = frame_rate.FALLBACK, colormap: str = "jet", alpha: float = 0.5) -> None:
        self.model = model
        self.explainer = Explainer(model)
        self.fps, self.colormap, self.alpha = fps, colormap, alpha

    def compute_grad(self, input_tensor: Tensor, path: str | Path, target_class: int | None = None) -> Path:
        """Explain ``input_tensor`` (1, C, T, H, W), normalised for the model; returns the MP4's path."""
        if input_tensor.dim() != 5 or input_tensor.shape[0] != 1:
            raise ClipError(f"compute_grad explains one clip (1, C, T, H, W), got shape {tuple(input_tensor.shape)}")
        explanation = self.explainer.explain(input_tensor, targets=target_class, methods=(SALIENCY,))
        probs = explanation.probs[0].float().cpu()
        labels = _labels(self.model, probs.numel())
        predicted = int(probs.argmax())
        frames = _frames_from_input(self.model, input_tensor[0])
        maps = explanation.maps[SALIENCY][0]
        target = path_for(Path(path), labels[predicted], float(probs[predicted]))
        width = picture_width(frames.shape[2], SEED_LAYOUT)
        annotator = Annotator(labels, width, self.colormap)
        captions = [f"frame {t}  {SALIENCY}" for t in range(frames.shape[0])]
        pictures = annotated_frames(frames, maps, probs.expand(frames.shape[0], -1).numpy(), captions, annotator,
                                    SEED_LAYOUT, HeatStyle(self.colormap, self.alpha, UNIFORM))
        with AtomicVideoWriter(target, self.fps, (width, pictures[0].shape[0])) as writer:
            for picture in pictures:
                writer.write(picture)
        return target


def path_for(folder: Path, label: str, probability: float) -> Path:
    """``folder/<label>_p<probability>.mp4``, the label made safe for a file name."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", label).strip("-") or "class"
    return folder / f"{safe}_p{probability:.3f}.mp4"


class GuidedBackpropagation:
    """The seed's guided backprop: ``visualize`` returns maps (B, T, H, W) in [0, 1]."""

    def __init__(self, model: nn.Module, selected_layer: int | str | nn.Module | None = None,
                 grad_layer_channels: int | None = None) -> None:
        del grad_layer_channels  # the seed's random projection; see the module doc
        self.model = model
        self.explainer = Explainer(model, target_layer=resolve_selected_layer(model, selected_layer))

    def visualize(self, frames: Tensor, target_class: int | None = None) -> Tensor:
        """Guided-backprop maps of ``frames`` ((B,) C, T, H, W), normalised for the model."""
        clip = frames[None] if frames.dim() == 4 else frames
        return self.explainer.explain(clip, targets=target_class, methods=(GUIDED_BACKPROP,)).maps[GUIDED_BACKPROP]


def _labels(model: nn.Module, num_classes: int) -> tuple[str, ...]:
    spec = getattr(model, "vgv_spec", None)
    if spec is not None and len(spec.labels) == num_classes:
        return spec.labels
    return tuple(f"class_{k}" for k in range(num_classes))


def _frames_from_input(model: nn.Module, clip: Tensor) -> Tensor:
    """Model input (C, T, H, W) -> uint8 BGR frames (T, H, W, 3) to draw on: undone with the
    model spec's mean, std and channel order when the model has one, else min-max scaled."""
    spec = getattr(model, "vgv_spec", None)
    x = clip.detach().float()
    if x.shape[0] == 1:
        x = x.expand(3, -1, -1, -1)
    if spec is not None:
        mean = torch.tensor(spec.mean, device=x.device).view(3, 1, 1, 1)
        std = torch.tensor(spec.std, device=x.device).view(3, 1, 1, 1)
        x = (x * std + mean) * 255
        if spec.channel_order == "RGB":
            x = x.flip(0)
    else:
        x = (x - x.min()) / (x.max() - x.min()).clamp(min=1e-12) * 255
    return x[:3].permute(1, 2, 3, 0).round().clamp(0, 255).to(torch.uint8).contiguous()
