"""Sinks fed by a real SinkPump: JSONL lines, MP4 frame counts, event clips' pre/post roll, snapshots."""

import json
import time

import cv2
import numpy as np
import pytest

from vgv_live.handoff import Subscription
from vgv_live.result import Result, Timings
from vgv_live.ring import FrameRing
from vgv_live.sink_pump import SinkPump
from vgv_live.sinks import EventRecorder, JsonlWriter, Recorder, Snapshotter, ThresholdTrigger

LABELS = ("all_off", "headlights_on", "left_blinker")
FPS = 30.0


def make_result(seq: int, end_id: int, p_left: float, clip_len: int = 4) -> Result:
    ids = np.arange(end_id - clip_len + 1, end_id + 1, dtype=np.int64)
    probs = np.array([(1 - p_left) / 2, (1 - p_left) / 2, p_left], np.float32)
    now = time.monotonic()
    return Result(
        seq=seq, frame_ids=ids, timestamps=ids / FPS, probs=probs, labels=LABELS, target=int(probs.argmax()),
        method="gradcam", maps=np.full((clip_len, 12, 16), 200, np.uint8), timings=Timings(0, 0.001, 0.01, now, now),
    )


def run_pump(sinks, p_left_per_result, frames: int, hop: int = 1, clip_len: int = 4):
    """Frames 0..frames-1 through a lossless ring; one result per hop with the given P(left_blinker)."""
    ring = FrameRing(64, lossless=True)
    results: Subscription = Subscription(size=4, lossless=True)
    pump = SinkPump(ring, results, sinks, fps=lambda: FPS)
    pump.start()
    for i in range(frames):
        frame = np.full((48, 64, 3), i % 250, np.uint8)
        ring.put(frame, timestamp=i / FPS)
        end = i - (clip_len - 1)
        if end >= 0 and end % hop == 0:
            results.put(make_result(end // hop, i, p_left_per_result(end // hop)))
    ring.end()
    results.close()
    pump.join(30)
    assert not pump.is_alive() and pump.error is None
    return pump


def test_jsonl_has_one_valid_line_per_result_flushed_as_written(tmp_path):
    path = tmp_path / "out.jsonl"
    writer = JsonlWriter(path)
    writer.on_result(make_result(0, 3, 0.7))
    assert len(path.read_text().splitlines()) == 1  # readable before close: tail -f works
    run_pump([writer], lambda k: 0.5, frames=20)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(lines) == 1 + 17
    assert lines[1]["frame_ids"] == [0, 3] and lines[-1]["frame_ids"] == [16, 19]
    assert lines[1]["probs"]["left_blinker"] == pytest.approx(0.5) and lines[1]["top"] == "left_blinker"
    assert {"seq", "wall_time", "latency_ms", "explain_ms", "method", "target"} <= set(lines[1])


def test_recorder_writes_every_frame_once_and_publishes_on_close(tmp_path):
    path = tmp_path / "out.mp4"
    recorder = Recorder(path)
    run_pump([recorder], lambda k: 0.5, frames=45, hop=4)
    assert path.exists() and not list(tmp_path.glob(".*partial*"))
    capture = cv2.VideoCapture(str(path))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 45
    assert capture.get(cv2.CAP_PROP_FPS) == pytest.approx(FPS)
    ok, frame = capture.read()
    assert ok and frame.shape == (48, 64, 3)


def test_threshold_trigger_has_hysteresis():
    trigger = ThresholdTrigger({2: 0.6}, hysteresis=0.2)
    fired = [[start.class_index for start in trigger.update(make_result(0, 3, p))]
             for p in (0.3, 0.65, 0.5, 0.7, 0.39, 0.61, 0.9)]
    assert fired == [[], [2], [], [], [], [2], []]


@pytest.mark.parametrize("pre_roll, post_roll", [(1.0, 0.5), (0.5, 1.0)])
def test_event_clip_spans_the_configured_pre_and_post_roll(tmp_path, pre_roll, post_roll):
    trigger = ThresholdTrigger({2: 0.6}, hysteresis=0.1)
    events = EventRecorder(tmp_path, [trigger], pre_roll_s=pre_roll, post_roll_s=post_roll)
    # P(left_blinker) rises over 0.6 at result 60 (its newest frame is 63), dips, rises again
    run_pump([events], lambda k: 0.9 if 60 <= k < 70 or k >= 110 else 0.2, frames=150)
    records = [json.loads(p.read_text()) for p in sorted(tmp_path.glob("event_*.json"))]
    assert [r["trigger_frame_id"] for r in records] == [63, 113]
    for record in records:
        assert record["label"] == "left_blinker" and record["prob"] == pytest.approx(0.9)
        assert abs(record["pre_roll_s"] - pre_roll) <= 1 / FPS
        assert abs(record["post_roll_s"] - post_roll) <= 1 / FPS
        clip = cv2.VideoCapture(str(tmp_path / record["clip"]))
        assert int(clip.get(cv2.CAP_PROP_FRAME_COUNT)) == record["frames"]
        assert record["frames"] == record["last_frame_id"] - record["first_frame_id"] + 1


def test_event_open_at_the_end_is_finished_with_a_short_post_roll(tmp_path):
    events = EventRecorder(tmp_path, [ThresholdTrigger({2: 0.6})], pre_roll_s=0.5, post_roll_s=5.0)
    run_pump([events], lambda k: 0.9 if k >= 30 else 0.1, frames=60)
    (record,) = [json.loads(p.read_text()) for p in tmp_path.glob("event_*.json")]
    assert record["trigger_frame_id"] == 33 and record["last_frame_id"] == 59
    assert record["post_roll_s"] == pytest.approx(26 / FPS, abs=1e-3)
    assert (tmp_path / record["clip"]).exists() and not list(tmp_path.glob(".*partial*"))


def test_snapshots_every_interval_of_video(tmp_path):
    snapshots = Snapshotter(tmp_path, interval_s=0.5)
    run_pump([snapshots], lambda k: 0.5, frames=60)
    assert [p.name for p in sorted(tmp_path.glob("snapshot_*.jpg"))] == [
        f"snapshot_{i:08d}.jpg" for i in (0, 15, 30, 45)
    ]
    assert cv2.imread(str(sorted(tmp_path.glob("snapshot_*.jpg"))[0])).shape == (48, 64, 3)


def test_frames_that_left_a_live_ring_are_repeated_to_keep_the_timeline(tmp_path):
    ring = FrameRing(8)
    results: Subscription = Subscription(size=4)
    recorder = Recorder(tmp_path / "gap.mp4")
    pump = SinkPump(ring, results, [recorder], fps=lambda: FPS)
    pump.start()
    for i in range(4):
        ring.put(np.zeros((48, 64, 3), np.uint8))
    results.put(make_result(0, 3, 0.5))
    time.sleep(0.3)
    for i in range(4, 30):  # the sinks get nothing for 26 frames: 4..21 leave the ring
        ring.put(np.zeros((48, 64, 3), np.uint8))
    results.put(make_result(1, 29, 0.5))
    results.close()
    pump.join(10)
    assert pump.frames_drawn == 4 + 8 and pump.frames_repeated == 18
    assert recorder.frames_written == 30
