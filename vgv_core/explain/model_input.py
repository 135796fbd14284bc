"""What an explanation pass feeds the model: one clip, or a two-pathway model's [slow, fast].

Maps are per frame of the window: the clip's frames, or the fast pathway's (the pathway with
the most frames, of which the slow one is a subsample: vgv_core.pathways). Gradient methods
fold every pathway's input gradient onto those frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence, Union

from torch import Tensor

from vgv_core.errors import ClipError
from vgv_core.pathways import TIME, fold_onto_frames

Clip = Union[Tensor, Sequence[Tensor]]  # (B, C, T, H, W), or one such tensor per pathway
CLIP_HELP = "make one with vgv_core.preprocess.Preprocessor"


@dataclass(frozen=True)
class ModelInput:
    """The pass's gradient leaves, one per pathway (a single clip is one pathway)."""

    leaves: tuple[Tensor, ...]

    @classmethod
    def of(cls, clip: Clip, in_channels: int | None) -> "ModelInput":
        """Checked leaves for ``clip``; inference tensors are copied, as autograd cannot use them."""
        pathways = (clip,) if isinstance(clip, Tensor) else tuple(clip) if isinstance(clip, (list, tuple)) else ()
        if not pathways:
            raise ClipError(f"clip must be a torch.Tensor (B, C, T, H, W) or a list of them, one per pathway; {CLIP_HELP}")
        for pathway in pathways:
            _check_pathway(pathway, in_channels)
        if len({p.shape[0] for p in pathways}) > 1:
            raise ClipError(f"the pathways hold different batch sizes: {[tuple(p.shape) for p in pathways]}")
        copies = (p.clone() if p.is_inference() else p for p in pathways)
        return cls(tuple(p.detach().requires_grad_() for p in copies))

    @property
    def frames(self) -> Tensor:
        """The leaf whose frames the maps describe: the clip, or the fast pathway."""
        return max(self.leaves, key=lambda leaf: leaf.shape[TIME])

    @property
    def batch(self) -> int:
        return self.leaves[0].shape[0]

    def forward_argument(self) -> Tensor | list[Tensor]:
        """What the model's forward is called with (a fresh list: pytorchvideo's multipathway
        blocks write their outputs into the list they are given)."""
        return self.leaves[0] if len(self.leaves) == 1 else list(self.leaves)

    def first_item(self) -> Tensor | list[Tensor]:
        """The forward argument of the batch's first clip alone."""
        return self.leaves[0][:1] if len(self.leaves) == 1 else [leaf[:1] for leaf in self.leaves]

    def frame_gradient(self, gradients: Sequence[Tensor]) -> Tensor:
        """The gradient with respect to the window's frames, from one gradient per leaf."""
        return fold_onto_frames(gradients)


def _check_pathway(clip: object, in_channels: int | None) -> None:
    if not isinstance(clip, Tensor):
        raise ClipError(f"clip must be a torch.Tensor (B, C, T, H, W); {CLIP_HELP}")
    if clip.dim() != 5:
        hint = "; add the batch axis with clip[None]" if clip.dim() == 4 else ""
        raise ClipError(f"clip must be 5-D (B, C, T, H, W), got shape {tuple(clip.shape)}{hint}")
    if not clip.is_floating_point():
        raise ClipError(f"clip must be a float tensor normalised for the model, got {clip.dtype}")
    if in_channels is not None and clip.shape[1] != in_channels:
        raise ClipError(
            f"clip has {clip.shape[1]} channels on axis 1 but the model takes {in_channels}; "
            "the layout is (B, C, T, H, W)"
        )
