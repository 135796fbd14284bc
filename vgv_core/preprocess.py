"""From uint8 BGR frames to the model's normalised clip, on the device, and back to frame geometry."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from vgv_core.errors import ClipError
from vgv_core.models.spec import ModelSpec
from vgv_core.pathways import pack_pathways


class Preprocessor:
    """Uint8 frames (T, H, W, 3) BGR -> normalised float clip (1, 3, T, S, S) on ``device``.

    One upload of the uint8 frames (4x less than floats), then channel order, resize,
    crop and normalisation as torch ops on that device.
    """

    def __init__(self, spec: ModelSpec, device: torch.device | str = "cpu") -> None:
        self.spec = spec
        self.device = torch.device(device)
        self._mean = torch.tensor(spec.mean, device=self.device).view(1, 3, 1, 1) * 255
        self._std = torch.tensor(spec.std, device=self.device).view(1, 3, 1, 1) * 255

    def __call__(self, frames: np.ndarray | Tensor) -> Tensor:
        return self.from_device_frames(self.upload(frames))

    def pathways(self, frames: np.ndarray | Tensor, alpha: int) -> list[Tensor]:
        """[slow, fast] clips of one window for a two-pathway model (``alpha``: its
        ``net.alpha``), as pytorchvideo's PackPathway makes them. The SlowFast net makes them
        itself from the clip a call returns, so this is for code that wants the pair."""
        return pack_pathways(self(frames), alpha)

    def upload(self, frames: np.ndarray | Tensor) -> Tensor:
        frames = torch.as_tensor(frames)
        if frames.dim() != 4 or frames.shape[-1] != 3 or frames.dtype != torch.uint8:
            raise ClipError(f"frames must be uint8 (T, H, W, 3) BGR, got {frames.dtype} {tuple(frames.shape)}")
        return frames.to(self.device, non_blocking=True)

    def from_device_frames(self, frames: Tensor) -> Tensor:
        """Same as calling, for uint8 (T, H, W, 3) frames already on the device."""
        x = frames.permute(0, 3, 1, 2)  # (T, 3, H, W), channels-last in memory
        if x.device.type != "cpu":
            x = x.float()  # CUDA has no uint8 resize; on the CPU the uint8 kernel is ~30x faster
        x = self._resize_and_crop(x).float()
        if self.spec.channel_order == "RGB":
            x = x.flip(1)
        x = (x - self._mean) / self._std
        return x.transpose(0, 1).contiguous()[None]

    def _resize_and_crop(self, x: Tensor) -> Tensor:
        height, width = x.shape[-2:]
        size = self.spec.crop_size
        if self.spec.resize_mode == "stretch":
            target = (size, size)
        else:
            scale = self.spec.short_side / min(height, width)
            target = (max(size, round(height * scale)), max(size, round(width * scale)))
        if target != (height, width):
            x = F.interpolate(x, size=target, mode="bilinear", align_corners=False, antialias=True)
        top, left = (x.shape[-2] - size) // 2, (x.shape[-1] - size) // 2
        return x[..., top:top + size, left:left + size]

    def maps_to_frame(self, maps: Tensor, frame_size: tuple[int, int]) -> Tensor:
        """Maps (..., T, S, S) over the model input -> (..., T, H, W) over the original frame.

        Outside the centre crop the model saw nothing, so the map is 0 there."""
        height, width = frame_size
        lead = maps.shape[:-2]
        flat = maps.reshape(-1, 1, *maps.shape[-2:])
        if self.spec.resize_mode == "stretch":
            out = F.interpolate(flat, size=(height, width), mode="bilinear", align_corners=False)
            return out.reshape(*lead, height, width)
        scale = self.spec.short_side / min(height, width)
        scaled = (max(self.spec.crop_size, round(height * scale)), max(self.spec.crop_size, round(width * scale)))
        size = self.spec.crop_size
        top, left = (scaled[0] - size) // 2, (scaled[1] - size) // 2
        canvas = flat.new_zeros(flat.shape[0], 1, *scaled)
        canvas[..., top:top + size, left:left + size] = flat
        out = F.interpolate(canvas, size=(height, width), mode="bilinear", align_corners=False)
        return out.reshape(*lead, height, width)
