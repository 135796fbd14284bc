"""Helpers for the `vgv explain` tests: fixture videos, a tiny model spec, running the command."""

from __future__ import annotations

import json
import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import torch

from vgv_core import load_model
from vgv_core.cli import main

# A reduced X3D with random weights and a 64 px input: fast enough to run many windows in tests.
TINY_SPEC = {
    "arch": "x3d_xs",
    "num_classes": 3,
    "labels": ["red", "green", "blue"],
    "clip_len": 4,
    "frame_stride": 2,
    "crop_size": 64,
    "resize_mode": "stretch",
    "target_layer": "blocks.4",
    "arch_kwargs": {"width_factor": 1.0, "depth_factor": 1.0, "head_dim_out": 64, "stage_spatial_stride": [2, 2, 2, 1]},
}
TINY_SPAN = (TINY_SPEC["clip_len"] - 1) * TINY_SPEC["frame_stride"] + 1


def write_spec(folder: Path) -> Path:
    """The tiny spec with seeded random weights beside it, so that every run loads the same model."""
    path = folder / "tiny_spec.json"
    path.write_text(json.dumps(TINY_SPEC))
    torch.manual_seed(0)
    torch.save(load_model(str(path), device="cpu").net.state_dict(), folder / "tiny.pt")
    path.write_text(json.dumps({**TINY_SPEC, "weights": "tiny.pt"}))
    return path


def make_video(
    path: Path, size: str = "96x64", fps: int = 25, frames: int = 30, audio: bool = False, faststart: bool = False,
    codec: str = "libx264",
) -> Path:
    """A test-pattern video of exactly ``frames`` frames (H.264 unless ``codec`` says), optionally with AAC audio."""
    command = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
               "-f", "lavfi", "-i", f"testsrc2=size={size}:rate={fps}"]
    if audio:
        command += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=44100", "-c:a", "aac", "-shortest"]
    command += ["-frames:v", str(frames), "-c:v", codec, "-pix_fmt", "yuv420p"]
    if faststart:
        command += ["-movflags", "+faststart"]
    subprocess.run(command + [str(path)], check=True)
    return path


def probe(path: Path) -> tuple[int, Fraction, int, int]:
    """(decoded frame count, frame rate, width, height) of the first video stream, per ffprobe."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
         "-show_entries", "stream=nb_read_frames,r_frame_rate,width,height", "-of", "json", str(path)],
        check=True, capture_output=True, text=True,
    ).stdout
    stream = json.loads(out)["streams"][0]
    return int(stream["nb_read_frames"]), Fraction(stream["r_frame_rate"]), stream["width"], stream["height"]


def explain(capfd, *argv: object) -> tuple[int, list[str]]:
    """Run `vgv explain ARGV` in this process; (exit code, non-empty stderr lines)."""
    code = main(["explain", *(str(a) for a in argv)])
    err = capfd.readouterr().err
    return code, [line for line in err.splitlines() if line.strip()]


def everything_in(folder: Path) -> list[str]:
    """Every name in ``folder``, hidden temporaries included."""
    return sorted(p.name for p in folder.iterdir())


def csv_rows(path: Path) -> list[list[str]]:
    return [line.split(",") for line in path.read_text().splitlines()]


def npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path) as data:
        return {name: data[name] for name in data.files}
