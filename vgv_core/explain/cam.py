"""Class-activation-map weightings. All CAM methods share one input: the target layer's
activations A and the gradient G of the score with respect to them, both (R, C, *S) with
S the layer's spatial (t, h, w) or (h, w) axes. They differ only in how they weigh A.

A layer with several pathways (SlowFast's last stage outputs [slow, fast]) is one layer
whose channels are every pathway's: each pathway's channels are weighed on its own grid,
the weighted sums are brought to the finest grid (the fast pathway's frames) and added, and
the ReLU comes last, as for one layer (`fused_activation_map`).
"""

from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import Tensor

from vgv_core.pathways import onto_frames_of

EPS = 1e-7


def _spatial_dims(x: Tensor) -> tuple[int, ...]:
    return tuple(range(2, x.dim()))


def _gradcam(a: Tensor, g: Tensor) -> Tensor:
    weights = g.mean(dim=_spatial_dims(g), keepdim=True)
    return (weights * a).sum(dim=1)


def _hirescam(a: Tensor, g: Tensor) -> Tensor:
    return (g * a).sum(dim=1)


def _gradcam_plus_plus(a: Tensor, g: Tensor) -> Tensor:
    # Chattopadhyay et al. with the exp-score closed form, as pytorch-grad-cam computes it.
    g2 = g.pow(2)
    sum_a = a.sum(dim=_spatial_dims(a), keepdim=True)
    alpha = torch.where(g != 0, g2 / (2 * g2 + sum_a * g2 * g + EPS), torch.zeros_like(g))
    weights = (alpha * g.clamp(min=0)).sum(dim=_spatial_dims(g), keepdim=True)
    return (weights * a).sum(dim=1)


def _layercam(a: Tensor, g: Tensor) -> Tensor:
    return (g.clamp(min=0) * a).sum(dim=1)


def _xgradcam(a: Tensor, g: Tensor) -> Tensor:
    dims = _spatial_dims(a)
    weights = (g * a).sum(dim=dims, keepdim=True) / (a.sum(dim=dims, keepdim=True) + EPS)
    return (weights * a).sum(dim=1)


WEIGHTINGS: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "gradcam": _gradcam,
    "gradcam++": _gradcam_plus_plus,
    "hirescam": _hirescam,
    "layercam": _layercam,
    "xgradcam": _xgradcam,
}


def class_activation_map(method: str, activations: Tensor, gradients: Tensor) -> Tensor:
    """(R, C, *S) activations and gradients -> (R, *S) map after ReLU."""
    return WEIGHTINGS[method](activations, gradients).clamp(min=0)


def fused_activation_map(method: str, pathways: Sequence[tuple[Tensor, Tensor]]) -> Tensor:
    """(activations, gradients) of each pathway, (R, C_p, t_p, h, w) -> one (R, t, h, w) map
    after ReLU on the pathway grid with the most frames (module doc)."""
    if len(pathways) == 1:
        return class_activation_map(method, *pathways[0])
    sums = [WEIGHTINGS[method](a, g) for a, g in pathways]
    size = max((tuple(s.shape[1:]) for s in sums), key=lambda shape: shape[0])
    return sum(onto_frames_of(s, size) for s in sums).clamp(min=0)
