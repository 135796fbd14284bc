"""VideoGradVis core: models, one-pass explanations, rendering and video I/O (no Qt)."""

from vgv_core.video_env import configure_ffmpeg_environment

configure_ffmpeg_environment()

from vgv_core.models import ModelSpec, VideoModel, load_model  # noqa: E402

__all__ = ["ModelSpec", "VideoModel", "load_model"]
