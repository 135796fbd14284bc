"""How many sliding windows go through the model in one pass, by default.

CUDA: X3D-M on an H200 explains 8 windows in 1.1-1.4x the time of one
(docs/benchmarks_cuda.md). CPU: 4 windows of the demo model per pass gave 1.6x the
frames/s of one at hop 1 (`vgv explain --hop 1`, 2 threads), for 6 % more memory.
"""

from __future__ import annotations

import torch

DEFAULT_WINDOW_BATCH = {"cuda": 8, "cpu": 4}


def default_window_batch(device: torch.device) -> int:
    return DEFAULT_WINDOW_BATCH.get(device.type, 1)
