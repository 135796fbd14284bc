"""A progress bar with rate and ETA on stderr.

On a terminal the bar is redrawn in place a few times a second; into a file or pipe a
plain line is written at each 10 % of the way instead. ``quiet`` silences both (errors
and warnings are not progress and are printed by their callers regardless).
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

BAR_WIDTH = 24
REDRAW_S = 0.25
LOG_STEP = 0.10


class Progress:
    def __init__(self, label: str, total: int | None, quiet: bool = False, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = total if total and total > 0 else None
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.done = 0
        self._tty = self.stream.isatty()
        self._started = time.monotonic()
        self._drawn_at = 0.0
        self._logged_step = 0

    def update(self, done: int) -> None:
        self.done = done
        if self.quiet:
            return
        if self._tty:
            now = time.monotonic()
            if now - self._drawn_at >= REDRAW_S:
                self._drawn_at = now
                self.stream.write("\r" + self.line() + "\033[K")
                self.stream.flush()
        elif self.total:
            step = int(done / self.total / LOG_STEP)
            if step > self._logged_step:
                self._logged_step = step
                print(self.line(), file=self.stream, flush=True)

    def line(self) -> str:
        elapsed = time.monotonic() - self._started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        if not self.total:
            return f"{self.label}: {self.done} frames  {rate:.1f} frames/s  {clock(elapsed)}"
        fraction = min(1.0, self.done / self.total)
        filled = int(round(fraction * BAR_WIDTH))
        eta = (self.total - self.done) / rate if rate > 0 else float("nan")
        return (
            f"{self.label} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {100 * fraction:3.0f}%  "
            f"{self.done}/{self.total} frames  {rate:.1f} frames/s  ETA {clock(eta)}"
        )

    def close(self) -> None:
        """Clear the bar so that what is printed next starts on a clean line."""
        if self._tty and not self.quiet and self._drawn_at:
            self.stream.write("\r\033[K")
            self.stream.flush()


def clock(seconds: float) -> str:
    if seconds != seconds or seconds == float("inf"):
        return "--:--"
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
