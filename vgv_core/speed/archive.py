"""`vgv explain` over a folder of videos: one process with W threads against a local Ray
cluster of W workers with one thread each, on the same machine (and one process with one
thread, the work of one worker).

``python -m vgv_core.speed.archive [--videos 8] [--frames 90] [--workers 2] [--rounds 3]
[--markdown docs/benchmarks.md]`` cuts the demo video into short videos, then in every round
runs, in alternating order, each in a fresh process and into a fresh output folder:

- one process: ``vgv explain VIDEOS -o OUT --threads W``, and with ``--threads 1``;
- Ray: ``vgv explain VIDEOS -o OUT --ray local:W --threads 1``.

It reports the median wall time of each (everything a user waits for: start-up, cluster
start and model loads included), the median over the rounds of each round's ratio, and the
steady rates without start-up: the sum over videos of frames / seconds spent in them (one
process: its per-video stderr lines; Ray: the workers' busy time, ``vgv-run.json``).
With ``--markdown FILE`` the section ``SECTION`` of FILE is replaced (or appended).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from vgv_core.speed.report import machine_description
from vgv_core.shipped import demo_video_path

SECTION = "## Archives: one process or a local Ray cluster"
VIDEO_LINE = re.compile(r": explained (\d+) frames in ([\d.]+) s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vgv_core.speed.archive", description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=8)
    parser.add_argument("--frames", type=int, default=90, help="frames per video")
    parser.add_argument("--workers", type=int, default=2, help="Ray workers, and the one process's threads")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--markdown", type=Path, help="replace this file's section with the figures")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="vgv-archive-") as temp:
        folder = _cut_demo(Path(temp) / "videos", args.videos, args.frames)
        runs = {"one": [], "one1": [], "ray": []}
        for round_ in range(args.rounds):
            order = list(runs) if round_ % 2 == 0 else list(reversed(runs))
            for kind in order:
                runs[kind].append(_run(kind, folder, Path(temp) / f"{kind}{round_}", args.workers))
                print(f"round {round_ + 1} {kind}: {runs[kind][-1]}", file=sys.stderr)
    text = _section(runs, args)
    print(text)
    if args.markdown:
        _replace_section(args.markdown, text)
    return 0


def _cut_demo(folder: Path, videos: int, frames: int) -> Path:
    folder.mkdir()
    for k in range(videos):
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-ss", f"{k * frames / 30:.3f}",
                        "-i", str(demo_video_path()), "-frames:v", str(frames), "-c:v", "libx264", "-pix_fmt",
                        "yuv420p", str(folder / f"clip{k}.mp4")], check=True)
    return folder


def _run(kind: str, videos: Path, out: Path, workers: int) -> dict[str, float]:
    command = [sys.executable, "-m", "vgv_core.cli", "explain", str(videos), "-o", str(out)]
    if kind == "one":
        command += ["--threads", str(workers)]
    elif kind == "one1":
        command += ["--threads", "1"]
    else:
        command += ["--ray", f"local:{workers}", "--threads", "1", "--json", str(out / "summaries")]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, env=os.environ)
    wall = time.monotonic() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr}")
    if kind != "ray":
        per_video = [(int(m[1]), float(m[2])) for m in VIDEO_LINE.finditer(done.stderr)]
        frames, steady = sum(f for f, _ in per_video), sum(f / s for f, s in per_video) / len(per_video)
    else:
        summary = json.loads((out / "summaries" / "vgv-run.json").read_text())
        frames, steady = summary["frames"], sum(w["frames_per_s"] for w in summary["workers"])
    return {"wall_s": round(wall, 2), "frames": frames, "steady_frames_per_s": round(steady, 2)}


def _section(runs: dict[str, list[dict[str, float]]], args: argparse.Namespace) -> str:
    median = {kind: {key: statistics.median(run[key] for run in runs[kind]) for key in runs[kind][0]} for kind in runs}
    frames = median["ray"]["frames"]
    names = {"one": f"one process, --threads {args.workers}", "one1": "one process, --threads 1",
             "ray": f"Ray local:{args.workers}, --threads 1 per worker"}
    rows = [f"| {names[kind]} | {m['wall_s']:.1f} | {frames / m['wall_s']:.1f} | {m['steady_frames_per_s']:.1f} |"
            for kind, m in median.items()]
    every = "; ".join(" / ".join(f"{runs[kind][k]['wall_s']:.1f}" for kind in runs) for k in range(args.rounds))
    return "\n".join([
        SECTION, "",
        f"Machine: {machine_description(torch.device('cpu'))}, shared with other developers' jobs while it ran "
        f"(noisy: take the ratios, not the seconds). Generated by `python -m vgv_core.speed.archive --videos "
        f"{args.videos} --frames {args.frames} --workers {args.workers} --rounds {args.rounds} --markdown "
        f"docs/benchmarks.md`: `vgv explain` (demo model, guided_gradcam, hop 1) on {args.videos} cuts of the demo "
        f"video of {args.frames} frames (640x360), {frames:.0f} frames in all; each run a fresh process into a fresh "
        f"folder, the kinds in turn (reversed every other round); medians of {args.rounds} rounds.", "",
        "| run | wall s (start-up included) | frames/s over the wall time | steady frames/s (start-up excluded) |",
        "|---|---|---|---|", *rows, "",
        f"Wall time, Ray / one process with {args.workers} threads: **{_ratio(runs, 'ray', 'one'):.2f}**; Ray / one "
        f"process with 1 thread: **{_ratio(runs, 'ray', 'one1'):.2f}** (medians of the rounds' ratios; every "
        f"round's seconds, in the table's order: {every}). Steady rates: one process, the mean over videos of "
        "frames per second in each; Ray, the sum over workers of frames per second of busy time (vgv-run.json).", "",
    ])


def _ratio(runs: dict[str, list[dict[str, float]]], kind: str, baseline: str) -> float:
    return statistics.median(mine["wall_s"] / base["wall_s"] for mine, base in zip(runs[kind], runs[baseline]))


def _replace_section(path: Path, section: str) -> None:
    text = path.read_text() if path.exists() else ""
    start = text.find(SECTION)
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        following = text.find("\n## ", start + len(SECTION))
        text = text[:start] + section + ("" if following < 0 else "\n" + text[following + 1:])
    path.write_text(text)


if __name__ == "__main__":
    sys.exit(main())
