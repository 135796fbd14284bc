"""Write the demo videos: test-bay segments cycling through every class.

    python -m vgv_core.demo.demo_video vgv_core/assets/demo

writes into the folder (640x360, 30 fps, H.264 via the ``ffmpeg`` command line):
- ``demo.mp4`` and ``demo_labels.json`` (the ground-truth class of every frame): segment
  i shows car seed 2e9 + i (see vgv_core.demo.seeds), a new car in every segment;
- ``bay.mp4``, ``bay_labels.json`` and ``bay_regions.json``: one car parked in place under
  a fixed camera (as at a real test bay, vgv_core.demo.bay), its lamps switched segment
  by segment, and the regions around its lamps for the attention guard.
Each segment lasts ``segment_seconds``; the same command always writes the same frames.
Left/right are the vehicle's own: the `left_blinker` bulb is on the image's right.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Callable

import numpy as np

from vgv_core.atomic_file import publish, temp_path_beside
from vgv_core.demo.bay import bay_regions, bay_scene, lit_as
from vgv_core.demo.classes import CLASSES
from vgv_core.demo.scene import render_clip, render_scene
from vgv_core.demo.seeds import BAY_SEED, VIDEO_SEEDS
from vgv_core.errors import VideoError
from vgv_core.regions import regions_text

VIDEO_NAME = "demo.mp4"
LABELS_NAME = "demo_labels.json"
BAY_VIDEO_NAME = "bay.mp4"
BAY_LABELS_NAME = "bay_labels.json"
BAY_REGIONS_NAME = "bay_regions.json"
SIZE = (360, 640)
FPS = 30
# Every class once, then the two blinkers again: left versus right is the demo's point.
SEGMENTS = CLASSES + ("left_blinker", "right_blinker")

SegmentFrames = Callable[[int, str, int], np.ndarray]  # (segment index, label, frames) -> (n, H, W, 3) BGR


def write_demo_video(out: Path, segment_seconds: float = 4.0) -> tuple[Path, Path]:
    """Render, encode and label the demo video (a new car per segment)."""
    def segment(index: int, label: str, frames: int) -> np.ndarray:
        return render_clip(VIDEO_SEEDS + index, label, frames, FPS, SIZE).frames

    video, labels = out / VIDEO_NAME, out / LABELS_NAME
    _write(video, labels, {}, segment, segment_seconds, lambda index: {"seed": VIDEO_SEEDS + index})
    return video, labels


def write_bay_video(out: Path, segment_seconds: float = 4.0) -> tuple[Path, Path, Path]:
    """Render, encode and label the bay video (one parked car), and write its regions file."""
    scene = bay_scene(BAY_SEED, SIZE)
    frames_per_segment = int(round(segment_seconds * FPS))

    def segment(index: int, label: str, frames: int) -> np.ndarray:
        times = (index * frames_per_segment + np.arange(frames)) / FPS
        return render_scene(lit_as(scene, label, index), times).frames

    video, labels, regions = out / BAY_VIDEO_NAME, out / BAY_LABELS_NAME, out / BAY_REGIONS_NAME
    _write(video, labels, {regions: regions_text(bay_regions(scene))}, segment, segment_seconds, lambda index: {"seed": BAY_SEED})
    return video, labels, regions


def _write(video: Path, labels: Path, texts: dict[Path, str], segment: SegmentFrames, segment_seconds: float,
           segment_notes: Callable[[int], dict]) -> None:
    """Encode the segments into ``video``, label them in ``labels``, write ``texts``: every file
    appears only when all are complete."""
    if shutil.which("ffmpeg") is None:
        raise VideoError("the demo video needs the ffmpeg command line (Debian: apt-get install ffmpeg)")
    video.parent.mkdir(parents=True, exist_ok=True)
    frames_per_segment = int(round(segment_seconds * FPS))
    temps = {path: temp_path_beside(path) for path in (video, labels, *texts)}
    try:
        per_frame = _encode(temps[video], segment, frames_per_segment)
        sidecar = _sidecar(per_frame, frames_per_segment, segment_notes)
        temps[labels].write_text(json.dumps(sidecar, indent=1) + "\n")
        for path, text in texts.items():
            temps[path].write_text(text)
        for final, temp in temps.items():
            publish(temp, final)
    finally:
        for temp in temps.values():
            temp.unlink(missing_ok=True)


def _encode(path: Path, segment: SegmentFrames, frames_per_segment: int) -> list[str]:
    """Pipe every segment's frames into ffmpeg; return the label of every frame."""
    encoder = subprocess.Popen(_ffmpeg_command(path), stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    per_frame = []
    try:
        for index, label in enumerate(SEGMENTS):
            encoder.stdin.write(segment(index, label, frames_per_segment).tobytes())
            per_frame += [label] * frames_per_segment
        encoder.stdin.close()
        if encoder.wait() != 0:
            raise VideoError(f"ffmpeg could not encode the demo video: {encoder.stderr.read().decode().strip()}")
    finally:
        if encoder.poll() is None:
            encoder.kill()
    return per_frame


def _ffmpeg_command(path: Path) -> list[str]:
    height, width = SIZE
    return [
        "ffmpeg", "-nostdin", "-loglevel", "error", "-y",
        "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{width}x{height}", "-r", str(FPS), "-i", "-",
        "-c:v", "libx264", "-preset", "medium", "-crf", "23", "-pix_fmt", "yuv420p",
        "-movflags", "+faststart", str(path),
    ]


def _sidecar(per_frame: list[str], frames_per_segment: int, segment_notes: Callable[[int], dict]) -> dict:
    return {
        "fps": FPS,
        "width": SIZE[1],
        "height": SIZE[0],
        "num_frames": len(per_frame),
        "classes": list(CLASSES),
        "left_right": "the vehicle's own: left_blinker is the bulb on the image's right",
        "segments": [
            {"start_frame": i * frames_per_segment, "end_frame": (i + 1) * frames_per_segment,
             "label": label, **segment_notes(i)}
            for i, label in enumerate(SEGMENTS)
        ],
        "labels": per_frame,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the demo and bay videos, their labels and the bay's regions")
    parser.add_argument("--segment-seconds", type=float, default=4.0, help="length of each segment")
    args = parser.parse_args(argv)
    try:
        written = [*write_demo_video(args.out, args.segment_seconds), *write_bay_video(args.out, args.segment_seconds)]
    except VideoError as exc:
        print(f"demo_video: error: {exc}", file=sys.stderr)
        return 2
    print("wrote " + ", ".join(str(path) for path in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
