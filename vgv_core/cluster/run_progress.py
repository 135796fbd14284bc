"""One progress bar for a whole run over many videos on many workers.

The bar advances by bytes of input: a finished video counts its file size, a video in
progress its size times the share of its frames done (from its worker's report). Sizes are
known before the run starts, without opening a video, and stand for durations well enough
for an ETA. The line: videos done of all, frames explained, frames per second, ETA.
"""

from __future__ import annotations

import time

from vgv_core.progress import BAR_WIDTH, Progress, clock


class RunProgress(Progress):
    def __init__(self, label: str, videos: int, total_bytes: int, quiet: bool = False) -> None:
        super().__init__(label, max(total_bytes, 1), quiet)
        self.videos, self.videos_done, self.frames = videos, 0, 0

    def advance(self, videos_done: int, frames: int, bytes_done: float) -> None:
        self.videos_done, self.frames = videos_done, frames
        self.update(int(bytes_done))

    def line(self) -> str:
        elapsed = time.monotonic() - self._started
        fraction = min(1.0, self.done / self.total)
        filled = int(round(fraction * BAR_WIDTH))
        eta = elapsed * (1 - fraction) / fraction if fraction > 0 else float("nan")
        rate = self.frames / elapsed if elapsed > 0 else 0.0
        return (
            f"{self.label} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {100 * fraction:3.0f}%  "
            f"{self.videos_done}/{self.videos} videos  {self.frames} frames  {rate:.1f} frames/s  ETA {clock(eta)}"
        )
