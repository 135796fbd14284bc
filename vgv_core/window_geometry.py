"""Sliding-window geometry: which frames a clip window of a model samples.

A window takes ``clip_len`` frames, one every ``frame_stride``, so it covers
``window_span`` consecutive frames of the video: the first sampled frame, the last one
and everything between.
"""


def window_span(clip_len: int, frame_stride: int) -> int:
    """How many consecutive frames a window of ``clip_len`` frames taken every ``frame_stride`` covers."""
    return (clip_len - 1) * frame_stride + 1
