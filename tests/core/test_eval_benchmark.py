"""The benchmark runner, its report and `vgv eval`, on tiny models (fast)."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
import torch
import torch.nn as nn
from vgv_core.cli import main
from vgv_core.demo.classes import CLASSES
from vgv_core.errors import MethodError
from vgv_core.evaluation import BenchmarkConfig, MethodSet, SyntheticBay, VideoFolder, baseline_methods, run_benchmark
from vgv_core.evaluation.report import table, to_json, write_csv, write_json, write_plot
from vgv_core.models.spec import ModelSpec

SPEC = ModelSpec(arch="tiny", num_classes=6, labels=CLASSES, clip_len=4, frame_stride=4, crop_size=32,
                 resize_mode="stretch")
FAST = BenchmarkConfig(steps=4, frame_steps=2, batch_size=3, sanity_clips=2)


def tiny_net() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv3d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv3d(4, 4, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool3d(1), nn.Flatten(), nn.Linear(4, 6),
    ).eval()


def bright_spots(net: nn.Module, clips: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """A custom method: the clip's brightness."""
    return clips.mean(dim=1)


def _run(seed: int, n: int = 5, **custom):
    methods = MethodSet(("gradcam", "guided_gradcam"), custom | baseline_methods(seed))
    return run_benchmark(tiny_net(), SyntheticBay(SPEC, torch.device("cpu"), n, seed), methods, FAST)


def test_results_repeat_for_a_seed_and_change_with_it() -> None:
    first, second, other = _run(3), _run(3), _run(4)
    assert first.clip_names == second.clip_names != other.clip_names
    for name in first.methods:
        for metric, values in first.per_clip[name].items():
            np.testing.assert_array_equal(values, second.per_clip[name][metric], err_msg=f"{name} {metric}")
        np.testing.assert_array_equal(first.sanity.rho[name], second.sanity.rho[name])


def test_every_method_gets_every_metric_per_clip() -> None:
    result = _run(0, custom=bright_spots)
    assert result.methods == ("gradcam", "guided_gradcam", "custom", "random", "centre_bias")
    assert len(result.clip_names) == 5 and "all_off" in result.clip_names[0]
    for name in result.methods:
        assert result.curves[name]["deletion"].shape == (5, 5)
        assert result.curves[name]["frame_deletion"].shape == (5, 3)
        pointing = result.per_clip[name]["pointing_game"]
        assert np.isnan(pointing[0]) and not np.isnan(pointing[1:]).any()  # all_off has no lamp to point at
    summary = result.summary()
    assert set(summary["gradcam"]) == {
        "deletion_auc", "insertion_auc", "frame_deletion_auc", "average_drop", "increase_in_confidence",
        "pointing_game", "energy_in_mask", "sanity_rho",
    }
    assert summary["centre_bias"]["sanity_rho"] == pytest.approx(1.0)


def test_synthetic_masks_are_the_lamps_in_model_geometry() -> None:
    batch = next(SyntheticBay(SPEC, torch.device("cpu"), 2, 0).batches(2))
    assert batch.masks.shape == (2, 4, 32, 32) and batch.masks.dtype == torch.bool
    assert not batch.masks[0].any() and batch.masks[1].any()  # all_off, headlights_on
    assert batch.targets.tolist() == [0, 1]


def test_custom_method_of_the_wrong_shape_is_refused() -> None:
    with pytest.raises(MethodError, match="shape"):
        _run(0, n=1, custom=lambda net, clips, targets: clips)


def test_report_outputs(tmp_path) -> None:
    result = _run(0, n=3)
    text = table(result)
    assert text.splitlines()[0].startswith("method") and "random" in text and "n/a" not in text
    write_json(result, {"model": "tiny"}, tmp_path / "r.json")
    write_csv(result, tmp_path / "r.csv")
    write_plot(result, tmp_path / "r.png")
    document = json.loads((tmp_path / "r.json").read_text())
    assert document["config"] == {"model": "tiny"} and document["per_clip"]["clips"] == list(result.clip_names)
    assert document["per_clip"]["gradcam"]["pointing_game"][0] is None  # NaN as null
    assert document["curves"]["random"]["deletion"]["x"] == [0, 0.25, 0.5, 0.75, 1]
    assert document["sanity"]["stages"] == ["6", "2", "0"]
    rows = (tmp_path / "r.csv").read_text().splitlines()
    assert rows[0].startswith("method,clips,deletion_auc") and len(rows) == 1 + len(result.methods)
    assert (tmp_path / "r.png").read_bytes()[:4] == b"\x89PNG"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.csv", "r.json", "r.png"]
    assert to_json(result, {})["summary"] == json.loads(json.dumps(to_json(result, {})))["summary"]


def _write_video(path, frames: int) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (64, 48))
    for k in range(frames):
        writer.write(np.full((48, 64, 3), 8 * k % 256, np.uint8))
    writer.release()


def test_folder_of_videos_gives_back_to_back_windows_without_masks(tmp_path) -> None:
    _write_video(tmp_path / "a.avi", 40)  # one window of 13 frames (4 every 4th) fits three times
    _write_video(tmp_path / "b.avi", 5)  # too short for a window
    folder = VideoFolder(tmp_path, SPEC, torch.device("cpu"), n=4)
    batches = list(folder.batches(2))
    assert [b.names for b in batches] == [("a.avi@0", "a.avi@13")]
    assert batches[0].masks is None and batches[0].targets is None


def _spec_file(tmp_path, classes: int = 6) -> str:
    spec = {"arch": "x3d_xs", "num_classes": classes, "clip_len": 4, "crop_size": 48, "resize_mode": "stretch",
            "arch_kwargs": {"width_factor": 1.0, "depth_factor": 1.0, "head_dim_out": 32}}
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(spec))
    return str(path)


def test_vgv_eval_writes_table_json_csv_and_plot(tmp_path, capsys) -> None:
    argv = ["eval", "--model", _spec_file(tmp_path), "--n", "2", "--methods", "gradcam", "--steps", "2",
            "--frame-steps", "2", "--sanity-clips", "1", "--json", str(tmp_path / "out.json"),
            "--plot", str(tmp_path / "out.png"), "--device", "cpu"]
    assert main(argv) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[1].startswith("gradcam") and "random" in out and "centre_bias" in out
    assert "eval 2 clips" in err and "sanity check" in err and "wrote" in err
    document = json.loads((tmp_path / "out.json").read_text())
    assert document["config"]["n"] == 2 and set(document["summary"]) == {"gradcam", "random", "centre_bias"}
    assert (tmp_path / "out.csv").is_file() and (tmp_path / "out.png").is_file()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--data", "/no/such/folder"], "must be 'synthetic' or a folder of videos"),
        (["--methods", "gradcam,nope"], "unknown method"),
        (["--custom", "broken"], "NAME=MODULE:FUNCTION"),
        (["--custom", "x=no_such_module_here:f"], "cannot load"),
        (["--custom", "random=vgv_core.evaluation.baselines:centre_bias"], "is taken"),
        (["--json", "/no/such/folder/out.json"], "does not exist"),
    ],
)
def test_vgv_eval_bad_inputs_fail_with_one_line_and_write_nothing(tmp_path, capsys, extra, message) -> None:
    argv = ["eval", "--model", _spec_file(tmp_path), "--n", "1", "--json", str(tmp_path / "out.json"), *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out.json").exists()


def test_synthetic_data_needs_the_demo_classes(tmp_path, capsys) -> None:
    argv = ["eval", "--model", _spec_file(tmp_path, classes=5), "--n", "1", "--json", str(tmp_path / "o.json")]
    assert main(argv) == 2
    assert "6 demo classes" in capsys.readouterr().err


@pytest.mark.parametrize("exact", [False, True])
def test_vgv_eval_records_the_engine_mode(tmp_path, capsys, exact) -> None:
    argv = ["eval", "--model", _spec_file(tmp_path), "--n", "1", "--methods", "guided_backprop", "--steps", "2",
            "--frame-steps", "2", "--sanity-clips", "1", "--json", str(tmp_path / "out.json"), "--device", "cpu"]
    assert main(argv + (["--exact"] if exact else [])) == 0
    config = json.loads((tmp_path / "out.json").read_text())["config"]
    assert config["mode"] == ("exact" if exact else "fast")
    assert config["cpu_capability"] == torch.backends.cpu.get_cpu_capability()
