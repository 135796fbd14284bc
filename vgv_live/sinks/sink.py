"""The interface every sink implements, and the annotated frame they receive."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vgv_live.result import Result


@dataclass(frozen=True)
class AnnotatedFrame:
    """One source frame with the heatmap of the result that covers it drawn on."""

    frame_id: int
    timestamp: float  # capture time (monotonic)
    image: np.ndarray  # uint8 BGR, full frame size
    result: Result
    fps: float  # the source's frame rate when this frame was drawn
    repeated: bool = False  # a stand-in: the real frame had left the ring before it was drawn


class Sink:
    """Base class: override what the sink needs. Called from the sink thread only."""

    wants_frames = False  # True: on_frame receives every annotated frame (costs the drawing)

    def on_frame(self, frame: AnnotatedFrame) -> None:
        """Frames come in frame-id order, before the result that completes them."""

    def on_result(self, result: Result) -> None:
        """Every result, after the frames up to its newest frame_id."""

    def close(self) -> None:
        """Finish every file; called once, also on SIGINT/SIGTERM."""

    @property
    def missing(self) -> str | None:
        """After close: what was asked for and could not be written, in words (None: nothing)."""
        return None
