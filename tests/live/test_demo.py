"""The shipped demo model on the shipped demo video: over RTSP, and threshold events on left_blinker."""

import json
from pathlib import Path

import cv2
import pytest

from vgv_core.shipped import assets_dir
from live_support import run_cli

DEMO_LABELS = {"all_off", "headlights_on", "left_blinker", "right_blinker", "hazard", "headlight_defective"}


@pytest.fixture(scope="module")
def demo_video() -> Path:
    folder = assets_dir() / "demo"
    assert all((folder / name).exists() for name in ("spec.json", "demo.mp4", "demo_labels.json")), folder
    return folder / "demo.mp4"


def frame_count(path: Path) -> int:
    capture = cv2.VideoCapture(str(path))
    count = 0
    while capture.read()[0]:
        count += 1
    return count


@pytest.mark.rtsp
def test_demo_video_served_over_rtsp_gives_valid_jsonl(rtsp_server, demo_video, tmp_path):
    server = rtsp_server(file=demo_video)
    jsonl = tmp_path / "demo.jsonl"
    done = run_cli([server.url, "--headless", "--model", "demo", "--duration", 6, "--jsonl", jsonl])
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert len(lines) >= 10
    for line in lines:
        assert set(line["probs"]) == DEMO_LABELS and line["top"] in DEMO_LABELS
        assert abs(sum(line["probs"].values()) - 1) < 1e-3
    assert [line["seq"] for line in lines] == list(range(len(lines)))


def test_left_blinker_event_clip_has_the_configured_pre_and_post_roll(demo_video, tmp_path):
    pre_roll, post_roll = 1.0, 1.5
    done = run_cli([demo_video, "--headless", "--model", "demo", "--lossless", "--hop", 4, "--events", tmp_path,
                    "--threshold", "left_blinker=0.8", "--pre-roll", pre_roll, "--post-roll", post_roll], timeout=300)
    assert done.returncode == 0, done.stderr
    records = [json.loads(p.read_text()) for p in sorted(tmp_path.glob("event_*_left_blinker_*.json"))]
    assert records, f"no left_blinker event; stderr: {done.stderr}"
    truth = json.loads(demo_video.with_name("demo_labels.json").read_text())["labels"]
    for record in records:
        fps = record["fps"]
        assert fps == pytest.approx(30, abs=0.5)
        assert abs(record["pre_roll_s"] - pre_roll) <= 1 / fps
        assert abs(record["post_roll_s"] - post_roll) <= 1 / fps
        assert frame_count(tmp_path / record["clip"]) == record["frames"]
    # A window straddling one of the video's scene cuts may cross the threshold too; the
    # events that matter are the ones raised inside the left_blinker scenes.
    assert any(truth[record["trigger_frame_id"]] == "left_blinker" for record in records)
