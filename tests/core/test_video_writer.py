"""AtomicVideoWriter through ffmpeg: the file appears only on close, and no pipe is left open."""

import gc
import warnings

import cv2
import numpy as np

from vgv_core.video_writer import AtomicVideoWriter

SIZE = (64, 48)


def _write(path, frames: int) -> AtomicVideoWriter:
    writer = AtomicVideoWriter(path, 10.0, SIZE, codec="h264")
    for index in range(frames):
        writer.write(np.full((SIZE[1], SIZE[0], 3), index * 20, np.uint8))
    return writer


def _resource_warnings(action) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        action()
        gc.collect()
    return [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]


def test_close_publishes_a_readable_video_and_closes_ffmpegs_pipes(tmp_path):
    path = tmp_path / "out.mp4"

    def write_and_close():
        _write(path, 6).close()

    assert _resource_warnings(write_and_close) == []
    capture = cv2.VideoCapture(str(path))
    frames = 0
    while capture.read()[0]:
        frames += 1
    capture.release()
    assert frames == 6
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp4"]


def test_abort_leaves_no_file_and_no_open_pipe(tmp_path):
    path = tmp_path / "out.mp4"

    def write_and_abort():
        _write(path, 3).abort()

    assert _resource_warnings(write_and_abort) == []
    assert list(tmp_path.iterdir()) == []

