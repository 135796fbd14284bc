"""One-pass explanations: Grad-CAM family, guided backprop, guided Grad-CAM, saliency."""

from vgv_core.explain.engine import Explainer, Explanation
from vgv_core.explain.methods import CAM_METHODS, DEFAULT_METHODS, METHODS
from vgv_core.explain.targets import EmbeddingSimilarityTarget, SegmentationMaskTarget

__all__ = [
    "CAM_METHODS",
    "DEFAULT_METHODS",
    "METHODS",
    "EmbeddingSimilarityTarget",
    "Explainer",
    "Explanation",
    "SegmentationMaskTarget",
]
