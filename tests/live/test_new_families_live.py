"""The live path on the two-pathway and transformer families: ClipExplainer (preprocessing on the
device, one pass, maps over the whole frame) and `vgv-live --headless` on the demo video."""

import json

import numpy as np
import pytest

from vgv_core import load_model
from vgv_live.clip_explainer import ClipExplainer
from vgv_live.explainer_process import ProcessExplainer
from live_support import run_cli
from tiny_models import LABELS, save_transformer, slowfast_spec


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    return {
        "timesformer": save_transformer(folder / "timesformer", "timesformer"),
        "videomae": save_transformer(folder / "videomae", "videomae"),  # 4 frames 4 apart: a window within a second
        "slowfast": slowfast_spec(folder, reduced=True),
    }


@pytest.mark.parametrize("family,method", [("timesformer", "attention_rollout"), ("slowfast", "guided_gradcam")])
def test_clip_explainer_gives_a_map_per_frame_over_the_whole_frame(models, family, method):
    model = load_model(models[family], device="cpu")
    frames = np.random.default_rng(0).integers(0, 256, (model.spec.clip_len, 90, 160, 3), dtype=np.uint8)
    explained = ClipExplainer(model, method, map_long_side=80)(frames)
    assert explained.maps.shape == (model.spec.clip_len, 45, 80) and explained.maps.dtype == np.uint8
    assert explained.maps.max() > 0 and abs(float(explained.probs.sum()) - 1) < 1e-5


@pytest.mark.parametrize("family,method", [("timesformer", "attention_rollout"), ("slowfast", "gradcam")])
def test_the_window_child_process_rebuilds_the_model_and_explains_as_in_process(models, family, method):
    """The window explains in a child process, which builds the model again from its spec (a
    transformer's: from the config the spec carries) and receives the weights."""
    model = load_model(models[family], device="cpu")
    frames = np.random.default_rng(1).integers(0, 256, (model.spec.clip_len, 90, 160, 3), dtype=np.uint8)
    child = ProcessExplainer(model, method, 80, exact=True, threads=1)
    try:
        child.warm_up()
        (theirs,) = child.explain_windows([(frames, None)], target=None)
    finally:
        child.close()
    ours = ClipExplainer(model, method, map_long_side=80, exact=True)(frames)
    assert theirs.target == ours.target and np.allclose(theirs.probs, ours.probs, atol=1e-6)
    assert np.abs(theirs.maps.astype(int) - ours.maps).max() <= 1  # uint8 maps, rounding


def test_headless_on_the_demo_video_with_a_transformer_folder(models, tmp_path):
    jsonl = tmp_path / "preds.jsonl"
    done = run_cli(["demo", "--headless", "--model", models["videomae"], "--duration", 3, "--jsonl", jsonl],
                   timeout=300)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert lines and all(set(line["probs"]) == set(LABELS) for line in lines)
