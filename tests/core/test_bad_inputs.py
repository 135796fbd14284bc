"""Each bad input raises a specific error whose message says what to do."""

import pickle

import pytest
import torch

from vgv_core import load_model
from vgv_core.errors import CheckpointError, ClipError, MethodError, ModelError, TargetError
from vgv_core.explain import Explainer


@pytest.fixture(scope="module")
def x3d():
    torch.manual_seed(0)
    return load_model("x3d_xs", num_classes=5, device="cpu")


def test_wrong_rank(x3d):
    with pytest.raises(ClipError, match=r"5-D \(B, C, T, H, W\).*clip\[None\]"):
        Explainer(x3d.net).explain(torch.randn(3, 4, 160, 160))


def test_wrong_channel_count(x3d):
    with pytest.raises(ClipError, match="has 1 channels on axis 1 but the model takes 3"):
        Explainer(x3d.net).explain(torch.randn(1, 1, 4, 160, 160))


def test_integer_clip(x3d):
    with pytest.raises(ClipError, match="float tensor"):
        Explainer(x3d.net).explain(torch.zeros(1, 3, 4, 160, 160, dtype=torch.uint8))


def test_clip_shorter_than_temporal_kernel(x3d):
    with pytest.raises(ClipError, match=r"clip of 2 frames.*\(4 frames of 160x160\)"):
        Explainer(x3d.net).explain(torch.randn(1, 3, 2, 160, 160))


def test_unknown_arch():
    with pytest.raises(ModelError, match="unknown model 'x4d'.*x3d_xs"):
        load_model("x4d")


def test_unknown_method(x3d):
    with pytest.raises(MethodError, match="unknown method.*'gradcamm'.*choose from"):
        Explainer(x3d.net).explain(torch.randn(1, 3, 4, 160, 160), methods=("gradcamm",))


@pytest.mark.parametrize("option,value", [("upsample", "cubic"), ("normalize_per", "video")])
def test_unknown_map_option(x3d, option, value):
    with pytest.raises(MethodError, match=rf"{option} must be one of .* got '{value}'"):
        Explainer(x3d.net).explain(torch.randn(1, 3, 4, 160, 160), **{option: value})


def test_unknown_layer(x3d):
    with pytest.raises(ModelError, match="no layer 'blocks.9'"):
        Explainer(x3d.net, target_layer="blocks.9")


@pytest.mark.parametrize("targets", [5, [0, 7], -1])
def test_target_out_of_range(x3d, targets):
    clip = torch.randn(2, 3, 4, 160, 160)
    with pytest.raises(TargetError, match="out of range: the model has 5 classes"):
        Explainer(x3d.net).explain(clip, targets=targets, methods=("gradcam",))


def test_target_list_of_wrong_length(x3d):
    with pytest.raises(TargetError, match="do not fit a batch of 2"):
        Explainer(x3d.net).explain(torch.randn(2, 3, 4, 160, 160), targets=[1, 2, 3], methods=("gradcam",))


def test_missing_checkpoint(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_model("x3d_xs", num_classes=5, checkpoint=tmp_path / "nope.pt", device="cpu")


def test_checkpoint_with_other_class_count_names_head_and_shapes(tmp_path, x3d):
    other = load_model("x3d_xs", num_classes=7, device="cpu")
    path = tmp_path / "seven.pt"
    torch.save(other.net.state_dict(), path)
    with pytest.raises(CheckpointError, match=r"blocks\.5\.proj\.weight: checkpoint \(7, 2048\) vs model \(5, 2048\)"):
        load_model("x3d_xs", num_classes=5, checkpoint=path, device="cpu")


class Payload:
    """Stands for arbitrary code a pickle could run."""


def test_pickle_that_is_not_weights_is_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"state_dict": {}, "payload": Payload()}, path)
    with pytest.raises(CheckpointError, match="refused: it holds objects other than weights"):
        load_model("x3d_xs", num_classes=5, checkpoint=path, device="cpu")


def test_plain_pickle_file_is_refused(tmp_path):
    path = tmp_path / "plain.pkl"
    path.write_bytes(pickle.dumps(Payload()))
    with pytest.raises(CheckpointError):
        load_model("x3d_xs", num_classes=5, checkpoint=path, device="cpu")


def test_text_file_as_checkpoint(tmp_path):
    path = tmp_path / "notes.pt"
    path.write_text("hello")
    with pytest.raises(CheckpointError, match="not a PyTorch weights file"):
        load_model("x3d_xs", num_classes=5, checkpoint=path, device="cpu")


def test_cam_layer_without_spatial_axes(x3d):
    with pytest.raises(ModelError, match=r"outputs shape \(1, 5\), which has no spatial axes"):
        Explainer(x3d.net, target_layer="blocks.5").explain(torch.randn(1, 3, 4, 160, 160), methods=("gradcam",))
