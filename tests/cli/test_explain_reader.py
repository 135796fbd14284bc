"""Reading videos for `vgv explain`: implausible container frame rates are replaced."""

from __future__ import annotations

import math

import pytest

from explain_support import make_video
from vgv_core import frame_rate
from vgv_core.video_reader import VideoReader, measured_fps


@pytest.mark.parametrize("fps,ok", [(0.0, False), (math.nan, False), (-25.0, False), (180000.0, False),
                                    (0.5, False), (29.97, True), (240.0, True), (1000.0, True), (None, False)])
def test_plausible_fps(fps, ok):
    assert frame_rate.plausible(fps) is ok
    assert frame_rate.or_fallback(fps) == (fps if ok else frame_rate.FALLBACK)


def test_fps_measured_from_timestamps():
    assert measured_fps([0.0, 40.0, 80.0, 120.0, 160.0]) == pytest.approx(25.0)
    assert measured_fps([0.0, 33.4, 66.7, 66.7, 100.1]) == pytest.approx(1000 / 33.4, rel=0.01)  # repeats ignored
    assert measured_fps([0.0, 0.0]) is None
    assert measured_fps([0.0, 0.001]) is None  # a million fps is no rate either


def test_range_of_frames_and_container_facts(tmp_path):
    with VideoReader(make_video(tmp_path / "v.mp4", size="98x66", fps=12, frames=20)) as reader:
        assert (reader.info.width, reader.info.height, reader.info.fps, reader.info.frame_count) == (98, 66, 12, 20)
        frames = list(reader.frames(start=5, stop=9))
    assert [index for index, _ in frames] == [5, 6, 7, 8]
    assert all(frame.shape == (66, 98, 3) for _, frame in frames)
    assert reader.info.fps_note is None and reader.missing_frames == 0
