"""VideoGradVis core: models, one-pass explanations, rendering and video I/O (no Qt)."""

from vgv_core.explain import (
    METHODS,
    EmbeddingSimilarityTarget,
    Explainer,
    Explanation,
    SegmentationMaskTarget,
)
from vgv_core.models import ModelSpec, VideoModel, load_model
from vgv_core.preprocess import Preprocessor
from vgv_core.seed_api import GradVis, GuidedBackpropagation

__all__ = [
    "METHODS",
    "EmbeddingSimilarityTarget",
    "Explainer",
    "Explanation",
    "GradVis",
    "GuidedBackpropagation",
    "ModelSpec",
    "Preprocessor",
    "SegmentationMaskTarget",
    "VideoModel",
    "load_model",
]
