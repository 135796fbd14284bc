"""The transformers classes, as every model here is used: a normalised clip in, logits out.

Each family's class is subclassed, not wrapped: module names and state_dict keys stay those of
transformers (``videomae.encoder.layer.11``; a Trainer's checkpoint loads as it is), and the
model is still a PreTrainedModel. Importing this module imports transformers.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch.nn as nn
import transformers
from torch import Tensor

from vgv_core.errors import ModelError
from vgv_core.explain.attention import AttentionRecord, AttentionTrace
from vgv_core.explain.tokens import TokenGrid
from vgv_core.models.huggingface.families import FAMILIES, Family


class ClipClassifier:
    """Mixin before a transformers video classifier: ``forward(clip)`` takes (B, C, T, H, W)
    (transformers wants (B, T, C, H, W) pixel values) and returns the logits; the model's
    token grid and attention maps are offered to the explanation engine
    (vgv_core.explain.tokens, vgv_core.explain.attention)."""

    family: Family

    def forward(self, clip: Tensor) -> Tensor:
        return super().forward(pixel_values=clip.transpose(1, 2)).logits

    def token_grid(self, clip_shape: tuple[int, ...]) -> TokenGrid:
        return self.family.token_grid(self.config, clip_shape)

    @property
    def attention_readout(self) -> str:
        return self.family.readout(self.config)

    @contextmanager
    def recording_attention(self) -> Iterator[AttentionTrace]:
        """Hooks, for one forward, that record every attention map and the last block's tokens
        in the trace yielded."""
        trace = AttentionTrace()
        kinds = {module: self.family.attention_kind(name, self.config) for name, module in self._attention_modules()}

        def record_map(module: nn.Module, inputs: tuple, output: tuple) -> None:
            if not isinstance(output, tuple) or len(output) < 2 or output[1] is None:
                raise ModelError(f"{type(module).__name__} returned no attention map: load the model with "
                                 "attn_implementation='eager' (load_model does)")
            trace.maps.append(AttentionRecord(kinds[module], output[1]))

        def record_tokens(module: nn.Module, inputs: tuple, output: object) -> None:
            trace.tokens = output[0] if isinstance(output, tuple) else output

        _, last_block = self.family.blocks(self)[-1]
        handles = [module.register_forward_hook(record_map) for module in kinds]
        handles.append(last_block.register_forward_hook(record_tokens))
        if self.family.asks_for_attention:
            handles += [module.register_forward_pre_hook(_asking_for_attention, with_kwargs=True) for module in kinds]
        try:
            yield trace
        finally:
            for handle in handles:
                handle.remove()

    def _attention_modules(self) -> list[tuple[str, nn.Module]]:
        recorded = getattr(self, "_can_record_outputs", None) or {}
        target = self.family.attention or getattr(recorded.get("attentions"), "target_class", recorded.get("attentions"))
        matches = (lambda m: type(m).__name__ == target) if isinstance(target, str) else (lambda m: type(m) is target)
        return [(name, module) for name, module in self.named_modules() if matches(module)]


def _asking_for_attention(module: nn.Module, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
    """Call the attention module with output_attentions=True (TimeSformer's return their map only then)."""
    return args[:1], {**kwargs, "output_attentions": True}


class ClipVideoMAEForVideoClassification(ClipClassifier, transformers.VideoMAEForVideoClassification):
    family = FAMILIES["videomae"]


class ClipTimesformerForVideoClassification(ClipClassifier, transformers.TimesformerForVideoClassification):
    family = FAMILIES["timesformer"]


class ClipVivitForVideoClassification(ClipClassifier, transformers.VivitForVideoClassification):
    family = FAMILIES["vivit"]


CLASSES: dict[str, type[nn.Module]] = {
    cls.family.model_type: cls
    for cls in (ClipVideoMAEForVideoClassification, ClipTimesformerForVideoClassification, ClipVivitForVideoClassification)
}
