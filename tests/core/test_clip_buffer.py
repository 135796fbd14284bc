"""Sliding windows through the device ring: same clips as preprocessing whole windows,
and one frame's worth of host-to-device bytes per new frame."""

import numpy as np
import torch

from vgv_core.clip_buffer import DeviceClipBuffer
from vgv_core.models import ModelSpec
from vgv_core.preprocess import Preprocessor

SPEC = ModelSpec(arch="x3d_xs", num_classes=2, clip_len=4, frame_stride=2, crop_size=32, resize_size=40)


def test_windows_match_whole_clip_preprocessing_and_upload_one_frame_per_step(monkeypatch, device):
    rng = np.random.default_rng(0)
    video = rng.integers(0, 256, size=(40, 48, 64, 3), dtype=np.uint8)
    preprocessor = Preprocessor(SPEC, device)
    uploaded: list[int] = []
    real_upload = Preprocessor.upload

    def counting_upload(self, frames):
        uploaded.append(np.asarray(frames).nbytes)
        return real_upload(self, frames)

    monkeypatch.setattr(Preprocessor, "upload", counting_upload)
    buffer = DeviceClipBuffer(preprocessor, capacity=8)
    span = (SPEC.clip_len - 1) * SPEC.frame_stride + 1
    for end in range(span - 1, 30):  # a live worker at hop 1: every step one new frame
        ids = list(range(end - span + 1, end + 1, SPEC.frame_stride))
        before = sum(uploaded)
        clip = buffer.clip(ids, video[ids])
        step_bytes = sum(uploaded) - before
        reference = Preprocessor(SPEC, device)
        torch.testing.assert_close(clip, reference.from_device_frames(real_upload(reference, video[ids])))
        if end > span:  # once both stride phases are cached: exactly the newest frame
            assert step_bytes == video[0].nbytes, f"window ending at {end} uploaded {step_bytes} bytes"
