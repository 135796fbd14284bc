"""Sliding-window geometry: which frames a clip window of a model samples.

A window takes ``clip_len`` frames, one every ``frame_stride``, so it covers
``window_span`` consecutive frames of the video: the first sampled frame, the last one
and everything between. Near the ends of a video a window reaches past its first or
last frame; the warm-up rule has such samples take the edge frame instead.
"""


def window_span(clip_len: int, frame_stride: int) -> int:
    """How many consecutive frames a window of ``clip_len`` frames taken every ``frame_stride`` covers."""
    return (clip_len - 1) * frame_stride + 1


def sample_positions(end: int, clip_len: int, frame_stride: int) -> list[int]:
    """The frames a window ending on frame ``end`` samples, oldest first."""
    return [end - (clip_len - 1 - k) * frame_stride for k in range(clip_len)]


def with_edges_repeated(positions: list[int], first: int = 0, last: int | None = None) -> list[int]:
    """The warm-up rule: a sample before ``first`` takes ``first``, one after ``last`` takes ``last``."""
    return [max(first, p if last is None else min(p, last)) for p in positions]
