"""Write the demo video: test-bay segments cycling through every class, one car each.

    python -m vgv_core.demo.demo_video vgv_core/assets/demo

writes ``demo.mp4`` (640x360, 30 fps, H.264 via the ``ffmpeg`` command line) and
``demo_labels.json`` (the ground-truth class of every frame) into the folder. Segment i
shows car seed 2e9 + i (see vgv_core.demo.seeds) for ``segment_seconds``; the same
command always writes the same frames. Left/right are the vehicle's own: the
`left_blinker` bulb is on the image's right.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

from vgv_core.atomic_file import publish, temp_path_beside
from vgv_core.demo.classes import CLASSES
from vgv_core.demo.scene import render_clip
from vgv_core.demo.seeds import VIDEO_SEEDS
from vgv_core.errors import VideoError

VIDEO_NAME = "demo.mp4"
LABELS_NAME = "demo_labels.json"
SIZE = (360, 640)
FPS = 30
# Every class once, then the two blinkers again: left versus right is the demo's point.
SEGMENTS = CLASSES + ("left_blinker", "right_blinker")


def write_demo_video(out: Path, segment_seconds: float = 4.0) -> tuple[Path, Path]:
    """Render, encode and label the demo video; both files appear only when complete."""
    if shutil.which("ffmpeg") is None:
        raise VideoError("the demo video needs the ffmpeg command line (Debian: apt-get install ffmpeg)")
    out.mkdir(parents=True, exist_ok=True)
    video, labels = out / VIDEO_NAME, out / LABELS_NAME
    frames_per_segment = int(round(segment_seconds * FPS))
    temps = {video: temp_path_beside(video), labels: temp_path_beside(labels)}
    try:
        per_frame = _encode(temps[video], frames_per_segment)
        temps[labels].write_text(json.dumps(_sidecar(per_frame, frames_per_segment), indent=1) + "\n")
        for final, temp in temps.items():
            publish(temp, final)
    finally:
        for temp in temps.values():
            temp.unlink(missing_ok=True)
    return video, labels


def _encode(path: Path, frames_per_segment: int) -> list[str]:
    """Pipe every segment's frames into ffmpeg; return the label of every frame."""
    encoder = subprocess.Popen(_ffmpeg_command(path), stdin=subprocess.PIPE, stderr=subprocess.PIPE)
    per_frame = []
    try:
        for index, label in enumerate(SEGMENTS):
            clip = render_clip(VIDEO_SEEDS + index, label, frames_per_segment, FPS, SIZE)
            encoder.stdin.write(clip.frames.tobytes())
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


def _sidecar(per_frame: list[str], frames_per_segment: int) -> dict:
    return {
        "fps": FPS,
        "width": SIZE[1],
        "height": SIZE[0],
        "num_frames": len(per_frame),
        "classes": list(CLASSES),
        "left_right": "the vehicle's own: left_blinker is the bulb on the image's right",
        "segments": [
            {"start_frame": i * frames_per_segment, "end_frame": (i + 1) * frames_per_segment,
             "label": label, "seed": VIDEO_SEEDS + i}
            for i, label in enumerate(SEGMENTS)
        ],
        "labels": per_frame,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for demo.mp4 and demo_labels.json")
    parser.add_argument("--segment-seconds", type=float, default=4.0, help="length of each car's segment")
    args = parser.parse_args(argv)
    try:
        video, labels = write_demo_video(args.out, args.segment_seconds)
    except VideoError as exc:
        print(f"demo_video: error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {video} and {labels}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
