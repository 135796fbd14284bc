"""The line above the video: which frame is on screen and which explanation is drawn over it."""

from __future__ import annotations

from vgv_live.result import Result


def caption(frame: int, result: Result | None, explained: int | None, synchronised: bool) -> str:
    """Rich text: ``frame`` on screen; ``explained`` is the newest frame of ``result``'s window."""
    if result is None:
        return f"<b>LIVE</b> &middot; frame {frame} &middot; waiting for the first explanation"
    target = f"{result.method} &rarr; <b>{result.labels[result.target]}</b> {result.probs[result.target]:.2f}"
    if synchronised:
        return f"<b>SYNCHRONISED</b> &middot; frame {frame} as explained &middot; {target}"
    return f"<b>LIVE</b> &middot; newest frame {frame} &middot; map of frame {explained} &middot; {target}"
