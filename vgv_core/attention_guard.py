"""The attention guard: did the model look where its class's evidence lies?

``attention_in_region`` is the share of a map's mass (the sum of its values over the
window's frames) that lies inside the regions its class is bound to, weighting each map
cell by how much of it the regions cover. It is computed on the maps' device from the
maps that are drawn, at the size they are drawn from, with one small host copy. A result
"looked elsewhere" when its class is confident (probability at least the class's
confidence threshold, 0.5 unless set) and its attention_in_region is below the class's
limit (the regions file's, 0.5 unless set). Classes bound to no region are not checked:
their attention_in_region is None and they never look elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import torch
from torch import Tensor

from vgv_core.regions import Regions

DEFAULT_CONFIDENT = 0.5


class AttentionGuard:
    def __init__(self, regions: Regions, labels: Sequence[str], confident: Mapping[str, float] | None = None) -> None:
        self.regions = regions
        self.labels = tuple(labels)
        self.confident = dict(confident or {})  # label -> probability from which a class counts as confident
        self._covers: dict[tuple, tuple[Tensor, list[bool]]] = {}

    def shares(self, maps: Tensor, targets: Sequence[int], frame_size: tuple[int, int]) -> list[float | None]:
        """attention_in_region of each item of ``maps`` (n, T, h, w) (or (n, h, w)), >= 0, covering a
        ``frame_size`` (w, h) frame, for classes ``targets`` (n,); None where a class is not checked."""
        maps = maps if maps.dim() == 4 else maps[:, None]
        covers, checked = self._cover(frame_size, (maps.shape[-1], maps.shape[-2]), maps.device)
        chosen = covers[torch.as_tensor(list(targets), device=maps.device)][:, None]  # (n, 1, h, w)
        mass = maps.sum(dim=(1, 2, 3))
        inside = (maps * chosen).sum(dim=(1, 2, 3))
        share = torch.where(mass > 0, inside / mass.clamp_min(torch.finfo(maps.dtype).tiny), 0.0)
        return [value if checked[t] else None for value, t in zip(share.float().cpu().tolist(), targets)]

    def looked_elsewhere(self, target: int, prob: float, share: float | None) -> bool:
        """The verdict for a class ``target`` explained at probability ``prob`` with ``share``."""
        if share is None:
            return False
        label = self.labels[target]
        return bool(prob >= self.confident.get(label, DEFAULT_CONFIDENT) and share < self.regions.limit_for(label))

    def _cover(self, frame_size: tuple[int, int], grid: tuple[int, int], device: torch.device
               ) -> tuple[Tensor, list[bool]]:
        """(K, h, w) coverage per class on ``device`` (zeros for classes without regions), and which
        classes have regions; made once per frame size, map size and device."""
        key = (frame_size, grid, str(device))
        if key not in self._covers:
            self.regions.check_frame(*frame_size)
            per_class = [self.regions.coverage(label, frame_size, grid) for label in self.labels]
            zeros = np.zeros(grid[::-1], np.float32)
            stacked = np.stack([zeros if cover is None else cover for cover in per_class])
            self._covers[key] = torch.from_numpy(stacked).to(device), [cover is not None for cover in per_class]
        return self._covers[key]
