"""The shipped demo model on the shipped demo video: the CSV's top-1 follows the ground truth."""

from __future__ import annotations

import json

from explain_support import csv_rows, explain
from vgv_core.shipped import assets_dir

HOP = 4  # every frame still gets a fused result; a quarter of the windows keeps the test short


def test_demo_video_top1_matches_the_ground_truth(tmp_path, capfd):
    folder = assets_dir() / "demo"
    assert all((folder / name).exists() for name in ("spec.json", "demo.mp4", "demo_labels.json")), folder
    truth = json.loads((folder / "demo_labels.json").read_text())["labels"]

    code, err = explain(capfd, folder / "demo.mp4", "--csv", tmp_path / "demo.csv", "--model", "demo",
                        "--method", "gradcam", "--hop", HOP, "--device", "cpu", "-q")

    assert code == 0, err
    predicted = [row[2] for row in csv_rows(tmp_path / "demo.csv")[1:]]
    assert len(predicted) == len(truth)
    agreement = sum(p == t for p, t in zip(predicted, truth)) / len(truth)
    assert agreement >= 0.90, f"top-1 matches the ground truth on {agreement:.1%} of frames"
