"""Checkpoints as common trainers save them load into the registry models."""

import json

import pytest
import torch

from vgv_core import load_model


@pytest.fixture(scope="module")
def source():
    torch.manual_seed(1)
    return load_model("x3d_xs", num_classes=3, device="cpu")


def _wrap(state, layout):
    if layout == "plain":
        return state
    if layout == "dataparallel":
        return {f"module.{k}": v for k, v in state.items()}
    return {layout: {f"module.{k}": v for k, v in state.items()}, "epoch": 3}


@pytest.mark.parametrize("layout", ["plain", "dataparallel", "state_dict", "model", "model_state"])
def test_nested_and_prefixed_checkpoints_load(tmp_path, source, layout):
    path = tmp_path / "ckpt.pt"
    torch.save(_wrap(source.net.state_dict(), layout), path)
    loaded = load_model("x3d_xs", num_classes=3, checkpoint=path, device="cpu")
    for key, value in source.net.state_dict().items():
        assert torch.equal(loaded.net.state_dict()[key], value), key


def test_spec_file_builds_model_with_weights_and_labels(tmp_path, source):
    torch.save(source.net.state_dict(), tmp_path / "w.pt")
    spec = {"arch": "x3d_xs", "num_classes": 3, "labels": ["a", "b", "c"], "clip_len": 4, "crop_size": 160, "weights": "w.pt"}
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    vm = load_model(tmp_path / "spec.json", device="cpu")
    assert vm.spec.labels == ("a", "b", "c")
    assert not vm.net.training
    x = torch.randn(1, 3, 4, 160, 160)
    with torch.no_grad():
        torch.testing.assert_close(vm.net(x), source.net.eval()(x))
