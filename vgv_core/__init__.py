"""VideoGradVis core: models, one-pass explanations, rendering and video I/O (no Qt)."""

import warnings

# pytorchvideo calls torch.jit.script at import, which warns with torch >= 2.9.
warnings.filterwarnings("ignore", message=".*torch.jit.script.*", category=FutureWarning)

from vgv_core.video_env import configure_ffmpeg_environment  # noqa: E402

configure_ffmpeg_environment()

from vgv_core.explain import (  # noqa: E402
    METHODS,
    EmbeddingSimilarityTarget,
    Explainer,
    Explanation,
    SegmentationMaskTarget,
)
from vgv_core.models import ModelSpec, VideoModel, load_model  # noqa: E402
from vgv_core.preprocess import Preprocessor  # noqa: E402
from vgv_core.seed_api import GradVis, GuidedBackpropagation  # noqa: E402

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
