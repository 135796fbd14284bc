"""Video classifiers: registry, model specs and safe checkpoint loading."""

from vgv_core.models.loader import VideoModel, load_model, resolve_device
from vgv_core.models.registry import ARCHS, arch_info
from vgv_core.models.spec import ModelSpec

__all__ = ["ARCHS", "ModelSpec", "VideoModel", "arch_info", "load_model", "resolve_device"]
