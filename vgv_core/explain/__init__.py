"""One-pass explanations: Grad-CAM family, guided backprop, guided Grad-CAM, saliency, attention rollout."""

from vgv_core.explain.attention import methods_for
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
    "methods_for",
]
