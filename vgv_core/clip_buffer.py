"""A device-side ring of preprocessed frames, so a sliding window costs one frame upload.

Consecutive windows share all but their newest frames. Preprocessing (resize, crop,
normalise) works frame by frame, so each frame is uploaded and preprocessed once, kept on
the device under its frame id, and a window is gathered from the ring. On CUDA the upload
goes through a pinned staging buffer on a side stream.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from torch import Tensor

from vgv_core.preprocess import Preprocessor


class DeviceClipBuffer:
    def __init__(self, preprocessor: Preprocessor, capacity: int) -> None:
        self.preprocessor = preprocessor
        self.capacity = capacity
        self.device = preprocessor.device
        self._slots: Tensor | None = None  # (capacity, 3, S, S) float on the device
        self._ids = np.full(capacity, -1, dtype=np.int64)
        self._cuda = self.device.type == "cuda"
        self._stream = torch.cuda.Stream(self.device) if self._cuda else None
        self._staging: Tensor | None = None
        self._staging_free = torch.cuda.Event() if self._cuda else None  # recorded after each upload

    def clip(self, frame_ids: Sequence[int], frames: np.ndarray) -> Tensor:
        """(1, 3, T, S, S) for ``frames`` (T, H, W, 3) uint8 BGR whose ids are ``frame_ids``."""
        slots = [int(i) % self.capacity for i in frame_ids]
        for index, (frame_id, slot) in enumerate(zip(frame_ids, slots)):
            if self._ids[slot] != frame_id:
                self._store(slot, frames[index])
                self._ids[slot] = frame_id
        return self._slots[slots].transpose(0, 1)[None]

    def _store(self, slot: int, frame: np.ndarray) -> None:
        processed = self.preprocessor.from_device_frames(self._upload(frame))[0, :, 0]  # (3, S, S)
        if self._slots is None:
            self._slots = processed.new_empty((self.capacity, *processed.shape))
        self._slots[slot] = processed

    def _upload(self, frame: np.ndarray) -> Tensor:
        if not self._cuda:
            return self.preprocessor.upload(frame[None])
        self._staging_free.synchronize()  # the previous upload may still be reading the staging buffer
        if self._staging is None or self._staging.shape != frame.shape:
            self._staging = torch.empty(frame.shape, dtype=torch.uint8, pin_memory=True)
        self._staging.copy_(torch.from_numpy(frame))
        with torch.cuda.stream(self._stream):
            uploaded = self.preprocessor.upload(self._staging[None])
            self._staging_free.record(self._stream)
        torch.cuda.current_stream(self.device).wait_stream(self._stream)
        uploaded.record_stream(torch.cuda.current_stream(self.device))
        return uploaded
