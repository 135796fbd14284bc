"""Average drop and increase in confidence (Chattopadhay et al., Grad-CAM++, 2018).

The explanation clip keeps each voxel in proportion to its map value and blends the
rest into the reference clip: ``reference + map * (clip - reference)`` (the paper
multiplies the image by the map, i.e. a black reference). With Y the explained class's
probability on the clip and O on the explanation clip, per clip:
- drop = max(0, Y - O) / Y, averaged and given in percent: LOWER is better;
- increase = 1 if O > Y else 0, averaged and given in percent: HIGHER is better.
"""

from __future__ import annotations

from torch import Tensor

from vgv_core.evaluation.scoring import ClassScorer


def explanation_clips(clips: Tensor, reference: Tensor, maps: Tensor) -> Tensor:
    """(B, C, T, H, W): the clip where the map is 1, the reference where it is 0."""
    return reference + maps[:, None] * (clips - reference)


def confidence_change(
    scorer: ClassScorer, clips: Tensor, reference: Tensor, maps: Tensor, targets: Tensor, full: Tensor | None = None
) -> tuple[Tensor, Tensor]:
    """Per clip (drop in [0, 1], increase in {0, 1}), both (B,) floats; ``full`` = the
    scores of the intact clips when already known."""
    full = scorer.score(clips, targets) if full is None else full
    kept = scorer.score(explanation_clips(clips, reference, maps), targets)
    drop = (full - kept).clamp(min=0) / full.clamp(min=1e-12)
    return drop, (kept > full).float()
