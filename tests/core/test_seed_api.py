"""The seed's API (GradVis, GuidedBackpropagation) on the one engine and renderer of `vgv explain`."""

from __future__ import annotations

import json
import subprocess

import pytest
import torch

import vgv_core.render.panel as annotate
from vgv_core import Explainer, GradVis, GuidedBackpropagation, load_model
from vgv_core.cli import main
from vgv_core.errors import ModelError

SPEC = {
    "arch": "x3d_xs", "num_classes": 3, "labels": ["off", "on", "blinking"], "clip_len": 4, "frame_stride": 1,
    "crop_size": 64, "resize_mode": "stretch", "target_layer": "blocks.4",
    "arch_kwargs": {"width_factor": 1.0, "depth_factor": 1.0, "head_dim_out": 64, "stage_spatial_stride": [2, 2, 2, 1]},
}


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("seed") / "spec.json"
    path.write_text(json.dumps(SPEC))
    return path


@pytest.fixture(scope="module")
def model(spec_path):
    torch.manual_seed(0)
    return load_model(str(spec_path), device="cpu").net


@pytest.fixture
def clip():
    torch.manual_seed(1)
    return torch.randn(1, 3, 8, 64, 64)


def frame_count(path) -> int:
    out = subprocess.run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries",
                          "stream=nb_read_frames,width", "-of", "csv=p=0", str(path)],
                         check=True, capture_output=True, text=True).stdout.strip()
    width, frames = out.split(",")
    return int(frames), int(width)


def test_compute_grad_writes_a_video_named_after_the_prediction(model, clip, tmp_path):
    path = GradVis(model).compute_grad(clip, tmp_path)
    with torch.no_grad():
        probs = model(clip).softmax(dim=1)[0]
    label = SPEC["labels"][int(probs.argmax())]
    assert path == tmp_path / f"{label}_p{float(probs.max()):.3f}.mp4"
    assert frame_count(path) == (8, 3 * 64)  # one frame per input frame, frame | overlay | heatmap
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_seed_api_and_vgv_explain_share_the_engine_and_the_renderer(model, clip, spec_path, tmp_path, monkeypatch, capfd):
    explained, composed = [], []
    engine_explain, renderer_compose = Explainer.explain, annotate.compose

    def spy_explain(self, clip, targets=None, methods=(), **kwargs):
        explained.append(tuple(methods))
        return engine_explain(self, clip, targets, methods, **kwargs)

    def spy_compose(*args, **kwargs):
        if args[0].shape[-3] > 1:  # not picture_width's one-row probe
            composed.append(args[0].shape[-3:])
        return renderer_compose(*args, **kwargs)

    monkeypatch.setattr(Explainer, "explain", spy_explain)
    monkeypatch.setattr(annotate, "compose", spy_compose)

    GradVis(model).compute_grad(clip, tmp_path)
    assert explained == [("saliency",)] and len(composed) == 1

    video = tmp_path / "in.mp4"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=80x48:rate=10", "-frames:v", "6",
                    "-c:v", "libx264", "-pix_fmt", "yuv420p", str(video)], check=True)
    code = main(["explain", str(video), "-o", str(tmp_path / "out.mp4"), "--model", str(spec_path),
                 "--method", "saliency", "-q"])
    assert code == 0, capfd.readouterr().err
    assert explained[1:] and set(explained[1:]) == {("saliency",)}
    assert composed[1:] == [(48, 80, 3)] * 6


def test_guided_backpropagation_returns_the_engines_maps(model, clip):
    visualizer = GuidedBackpropagation(model, selected_layer=4, grad_layer_channels=3)
    maps = visualizer.visualize(clip[0], target_class=2)
    expected = Explainer(model).explain(clip, targets=2, methods=("guided_backprop",)).maps["guided_backprop"]
    assert maps.shape == (1, 8, 64, 64)
    torch.testing.assert_close(maps, expected)
    assert visualizer.explainer.target_layer == "blocks.4"


def test_selected_layer_out_of_range(model):
    with pytest.raises(ModelError, match="selected layer 9 is not one of the model's 6 blocks"):
        GuidedBackpropagation(model, selected_layer=9)
