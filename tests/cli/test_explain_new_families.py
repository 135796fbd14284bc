"""`vgv explain` and `vgv eval` on the two-pathway and transformer families, on the demo video
(a real H.264 file): a tiny Hugging Face folder loaded by path, and a reduced SlowFast."""

import json
import math

import pytest

from vgv_core.cli import main
from vgv_core.shipped import demo_video_path
from explain_support import everything_in, explain, probe
from tiny_models import save_transformer, slowfast_spec

FRAMES = 30


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    return {
        "videomae": save_transformer(folder / "videomae", "videomae"),
        "vivit": save_transformer(folder / "vivit", "vivit"),
        "slowfast": slowfast_spec(folder, reduced=True),
    }


@pytest.mark.parametrize("family,method", [
    ("videomae", "attention_rollout"), ("vivit", "gradcam"), ("slowfast", "guided_gradcam"),
])
def test_explain_writes_every_frame(models, family, method, tmp_path, capfd):
    out, summary = tmp_path / "out.mp4", tmp_path / "out.json"
    code, errors = explain(capfd, "demo", "--model", models[family], "--method", method, "--max-frames", FRAMES,
                           "--hop", 4, "-o", out, "--json", summary, "-q")
    assert code == 0, errors
    frames, _, width, _ = probe(out)
    assert frames == FRAMES and width == 640
    settings = json.loads(summary.read_text())
    assert settings["method"] == method and settings["frames"] == FRAMES


def test_attention_rollout_on_a_cnn_is_refused_and_writes_nothing(tmp_path, capfd):
    code, errors = explain(capfd, "demo", "--model", "r3d_18", "--num-classes", 3, "--method", "attention_rollout",
                           "--max-frames", FRAMES, "-o", tmp_path / "out.mp4", "-q")
    assert code == 2 and len(errors) == 1 and "attention_rollout reads a transformer's attention" in errors[0]
    assert everything_in(tmp_path) == []


@pytest.mark.parametrize("family", ["videomae", "slowfast"])
def test_eval_on_a_folder_of_videos(models, family, tmp_path):
    data = tmp_path / "videos"
    data.mkdir()
    (data / "demo.mp4").symlink_to(demo_video_path())
    results = tmp_path / "results.json"
    code = main(["eval", "--model", str(models[family]), "--data", str(data), "--n", "2", "--sanity-clips", "1",
                 "--steps", "2", "--json", str(results), "-q"])
    assert code == 0
    summary = json.loads(results.read_text())["summary"]
    assert ("attention_rollout" in summary) == (family == "videomae")  # transformers only
    for method in ("gradcam", "guided_backprop", "saliency"):
        assert all(math.isfinite(value) for value in summary[method].values() if value is not None), method
