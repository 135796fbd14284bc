"""The shipped demo model: spec, accuracy on fresh clips, and where guided Grad-CAM points.

Clips come from the test seed range (vgv_core.demo.seeds), which training never uses.
Localisation explains the clip's true class with guided Grad-CAM, maps it back onto the
frame, and compares it with the scene's ground truth:
- pointing game: the map's peak (over all frames) lies within 5% of the frame width of
  a class-defining lamp drawn lit in some frame of the clip;
- left versus right: summed over the clip, the map has more mass on the blinking bulb's
  region (dilated the same way) than on the other bulb's.
"""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from vgv_core import load_model
from vgv_core.cli import main
from vgv_core.demo.classes import CLASSES
from vgv_core.demo.dataset import FPS, TRAIN_SIZE
from vgv_core.demo.demo_video import LABELS_NAME, VIDEO_NAME
from vgv_core.demo.evaluate import evaluate
from vgv_core.demo.scene import DemoClip, render_clip
from vgv_core.demo.seeds import TEST_SEEDS
from vgv_core.explain import Explainer
from vgv_core.models import VideoModel
from vgv_core.shipped import demo_spec_path
from vgv_core.preprocess import Preprocessor

MAX_WEIGHTS_BYTES = 5_000_000


@pytest.fixture(scope="module")
def demo() -> VideoModel:
    return load_model("demo", device="cpu")


@pytest.fixture(scope="module")
def explainer(demo: VideoModel) -> Explainer:
    return Explainer(demo.net)


def test_spec_describes_the_demo_model(demo: VideoModel) -> None:
    spec = demo.spec
    assert spec.labels == CLASSES
    assert (spec.clip_len, spec.frame_stride, spec.resize_mode) == (8, 4, "stretch")
    assert dict(demo.net.named_modules())[spec.target_layer] is not None
    assert (demo_spec_path().parent / spec.weights).stat().st_size < MAX_WEIGHTS_BYTES


def test_accuracy_on_100_fresh_clips(demo: VideoModel) -> None:
    result = evaluate(demo.net, demo.spec, range(TEST_SEEDS, TEST_SEEDS + 100))
    assert result.accuracy >= 0.95, result.summary()


def _guided_gradcam(demo: VideoModel, explainer: Explainer, clip: DemoClip) -> np.ndarray:
    """(T, H, W) guided Grad-CAM of the clip's true class, in frame geometry."""
    preprocess = Preprocessor(demo.spec, demo.device)
    target = CLASSES.index(clip.label)
    maps = explainer.explain(preprocess(clip.frames), targets=target, methods=("guided_gradcam",)).maps
    return preprocess.maps_to_frame(maps["guided_gradcam"][0], clip.frames.shape[1:3]).cpu().numpy()


def _dilate(mask: np.ndarray, width: int) -> np.ndarray:
    radius = max(1, round(0.05 * width))
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
    return cv2.dilate(mask.astype(np.uint8), disc).astype(bool)


def _clip(demo: VideoModel, index: int, label: str) -> DemoClip:
    spec = demo.spec
    return render_clip(TEST_SEEDS + 1000 + index, label, spec.clip_len, FPS, TRAIN_SIZE, spec.frame_stride)


def test_pointing_game_on_lamp_classes(demo: VideoModel, explainer: Explainer) -> None:
    hits, misses = 0, []
    for index in range(30):
        label = CLASSES[1 + index % 5]
        clip = _clip(demo, index, label)
        heat = _guided_gradcam(demo, explainer, clip)
        t, y, x = np.unravel_index(np.argmax(heat), heat.shape)
        if _dilate(clip.masks.any(axis=0), clip.frames.shape[2])[y, x]:
            hits += 1
        else:
            misses.append((index, label))
    assert hits >= 0.9 * 30, f"peak outside the lit lamps in {misses}"


@pytest.mark.parametrize("side", ["left", "right"])
def test_blinker_map_mass_is_on_the_blinking_side(demo: VideoModel, explainer: Explainer, side: str) -> None:
    other = "right" if side == "left" else "left"
    wins, losses = 0, []
    for index in range(20):
        clip = _clip(demo, 100 + index, f"{side}_blinker")
        heat = _guided_gradcam(demo, explainer, clip).sum(axis=0)
        width = clip.frames.shape[2]
        mine = heat[_dilate(clip.lamp_regions[f"{side}_blinker"], width)].sum()
        theirs = heat[_dilate(clip.lamp_regions[f"{other}_blinker"], width)].sum()
        if mine > theirs:
            wins += 1
        else:
            losses.append(index)
    assert wins >= 0.95 * 20, f"more mass on the {other} bulb in clips {losses}"



def _decode(path: Path) -> np.ndarray:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return np.stack(frames)


def test_demo_video_matches_its_labels_and_the_model_reads_it(demo: VideoModel) -> None:
    folder = demo_spec_path().parent
    sidecar = json.loads((folder / LABELS_NAME).read_text())
    frames = _decode(folder / VIDEO_NAME)
    assert frames.shape == (sidecar["num_frames"], 360, 640, 3)
    assert 20 <= sidecar["num_frames"] / sidecar["fps"] <= 40 and sidecar["fps"] == 30
    assert set(sidecar["labels"]) == set(CLASSES) and len(sidecar["labels"]) == len(frames)
    # Windows lying inside one segment, every half second, classified from the decoded H.264.
    span = (demo.spec.clip_len - 1) * demo.spec.frame_stride
    preprocess, correct, total = Preprocessor(demo.spec, demo.device), 0, 0
    for end in range(span, len(frames), 15):
        window = sidecar["labels"][end - span:end + 1]
        if len(set(window)) == 1:
            with torch.inference_mode():
                logits = demo.net(preprocess(frames[end - span:end + 1:demo.spec.frame_stride]))
            correct += CLASSES[int(logits.argmax())] == window[0]
            total += 1
    assert correct >= 0.9 * total, f"{correct}/{total} windows right"


def test_train_command_writes_a_loadable_model(tmp_path) -> None:
    out = tmp_path / "demo"
    argv = ["train-demo", "--out", str(out), "--steps", "2", "--batch-size", "2", "--validation-clips", "6"]
    assert main(argv) == 0
    assert sorted(p.name for p in out.iterdir()) == ["demo_x3d.pt", "spec.json"]  # no temporary left behind
    trained = load_model(out / "spec.json", device="cpu")
    assert trained.spec.labels == CLASSES and trained.spec.target_layer == "blocks.4"
