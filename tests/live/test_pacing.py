"""One pacing rule for files: the window's replay and the headless capture play a file at its
own timestamps' pace, whatever its container claims."""

from __future__ import annotations

import struct
import subprocess
import time
from pathlib import Path

import cv2
import pytest
from live_support import FAST, write_video

from vgv_core.window_geometry import window_span
from vgv_live.pipeline import LivePipeline
from vgv_live.replay import ReplayPlayer
from vgv_live.sources import parse_source
from vgv_live.worker import WorkerOptions

TRUE_FPS = 30
CLAIMED_FPS = 10.0
PLAY_S = 3.0


@pytest.fixture(scope="module")
def lying_file(tmp_path_factory) -> Path:
    """An FLV whose metadata claims 10 fps while its frames are stamped 1/30 s apart."""
    folder = tmp_path_factory.mktemp("lying")
    mp4 = write_video(folder / "true.mp4", seconds=8.0, fps=TRUE_FPS)
    flv = folder / "lying.flv"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(mp4), "-c:v", "libx264", "-preset", "ultrafast",
                    "-an", str(flv)], check=True)
    data = bytearray(flv.read_bytes())
    at = data.find(b"framerate") + len(b"framerate") + 1  # AMF0: the key, a number marker, an 8-byte double
    data[at:at + 8] = struct.pack(">d", CLAIMED_FPS)
    flv.write_bytes(data)
    capture = cv2.VideoCapture(str(flv))
    assert capture.get(cv2.CAP_PROP_FPS) == CLAIMED_FPS, "the container must lie for this test to mean anything"
    return flv


def played_rate(pipeline: LivePipeline) -> float:
    """Frames per second the pipeline's producer delivers over PLAY_S, once it runs."""
    pipeline.start()
    try:
        deadline = time.monotonic() + 30
        while pipeline.ring.newest_id < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
        first_id, started = pipeline.ring.newest_id, time.monotonic()
        time.sleep(PLAY_S)
        return (pipeline.ring.newest_id - first_id) / (time.monotonic() - started)
    finally:
        assert pipeline.stop()


def test_replay_and_headless_pace_a_file_alike_by_its_timestamps(lying_file, tiny_model):
    source = parse_source(str(lying_file))
    span = window_span(tiny_model.spec.clip_len, tiny_model.spec.frame_stride)

    def pipeline(producer=None) -> LivePipeline:
        return LivePipeline.for_model(source, tiny_model, "gradcam", 64, capture_options=FAST,
                                      worker_options=WorkerOptions(), producer=producer)

    headless = played_rate(pipeline())
    replay = played_rate(pipeline(lambda ring: ReplayPlayer(source, ring, span)))
    print(f"\nheadless {headless:.1f} fps, replay {replay:.1f} fps (container claims {CLAIMED_FPS:g})")
    assert abs(replay - headless) <= 0.05 * headless
    assert abs(headless - TRUE_FPS) <= 0.05 * TRUE_FPS
