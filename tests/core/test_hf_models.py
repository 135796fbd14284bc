"""Hugging Face video transformers (VideoMAE, TimeSformer, ViViT): tiny random configs saved with
``save_pretrained`` to a temporary folder and loaded by path, nothing downloaded.

The CAM oracle: captum's LayerGradCam on an identity module placed on the layer's tokens
reshaped to (B, C, t, h, w) by hand, per family, here (not by the engine's own TokenGrid), equals
our CAM of that layer in exact mode to 1e-5 of the map's peak (float32 sums in another order).
"""

import pytest
import torch
import torch.nn as nn
import transformers
from captum.attr import LayerGradCam

from vgv_core import Explainer, load_model
from vgv_core.explain.methods import ATTENTION_METHODS, CAM_METHODS, METHODS
from model_snapshot import assert_same, snapshot
from tiny_models import FRAMES, IMAGE_MEAN, IMAGE_STD, LABELS, SIZE, TRANSFORMERS, save_transformer

PEAK_SHARE = 1e-5
# family: (transformers class, its blocks' class, the grid of its patch tokens, class tokens)
FAMILY = {
    "videomae": (transformers.VideoMAEForVideoClassification, "VideoMAELayer", (2, 4, 4), 0),
    "timesformer": (transformers.TimesformerForVideoClassification, "TimesformerLayer", (4, 4, 4), 1),
    "vivit": (transformers.VivitForVideoClassification, "VivitLayer", (2, 4, 4), 1),
}


def assert_close_to_peak(ours, theirs, share=PEAK_SHARE):
    peak = theirs.abs().max()
    assert peak > 0
    worst = (ours - theirs).abs().max()
    assert worst <= share * peak, f"largest difference {float(worst / peak):.2e} of the peak (allowed {share:g})"


@pytest.fixture(scope="module", params=TRANSFORMERS)
def model_type(request):
    return request.param


@pytest.fixture(scope="module")
def folder(model_type, tmp_path_factory):
    return save_transformer(tmp_path_factory.mktemp(model_type), model_type)


@pytest.fixture(scope="module")
def clip():
    return torch.randn(2, 3, FRAMES, SIZE, SIZE, generator=torch.Generator().manual_seed(3))


def test_the_spec_comes_from_the_folder(model_type, folder):
    vm = load_model(folder, device="cpu")
    spec = vm.spec
    assert (spec.arch, spec.labels, spec.clip_len, spec.crop_size) == (model_type, LABELS, FRAMES, SIZE)
    assert (spec.resize_mode, spec.resize_size) == ("short_side_crop", SIZE)
    if model_type == "vivit":  # pixels / 127.5 - 1, then (x - 0.5) / 0.5: (u - 0.75) / 0.25 for u in [0, 1]
        assert spec.mean == pytest.approx((0.75,) * 3) and spec.std == pytest.approx((0.25,) * 3)
    else:
        assert spec.mean == pytest.approx(tuple(IMAGE_MEAN)) and spec.std == pytest.approx(tuple(IMAGE_STD))
    _, block, _, class_tokens = FAMILY[model_type]
    blocks = [name for name, module in vm.net.named_modules() if type(module).__name__ == block]
    # VideoMAE's head averages the last block's tokens; the others read the class token only
    assert spec.target_layer == (blocks[-1] if class_tokens == 0 else blocks[-2])


def test_the_net_takes_a_clip_and_returns_transformers_logits(model_type, folder, clip):
    """(B, C, T, H, W) in; the same logits as transformers' own class on (B, T, C, H, W) pixel values."""
    ours = load_model(folder, device="cpu").net
    theirs = FAMILY[model_type][0].from_pretrained(folder, local_files_only=True, attn_implementation="eager").eval()
    with torch.no_grad():
        assert torch.equal(ours(clip), theirs(pixel_values=clip.transpose(1, 2)).logits)


def test_every_method_gives_one_map_per_input_frame(model_type, folder, clip):
    vm = load_model(folder, device="cpu")
    e = Explainer(vm.net).explain(clip, targets=[[0, 2], [1, 1]], methods=METHODS)
    grid = FAMILY[model_type][2]
    for method in METHODS:
        maps = e.maps[method]
        assert maps.shape == (2, 2, FRAMES, SIZE, SIZE), method
        assert torch.isfinite(maps).all() and maps.min() >= 0 and maps.amax(dim=(2, 3, 4)).eq(1).all(), method
    for method in CAM_METHODS + ATTENTION_METHODS:
        assert e.raw[method].shape == (2, 2, *grid), method
    assert e.raw["guided_backprop"].shape == (2, 2, *clip.shape[1:])


class GridView(nn.Identity):
    """Where captum looks: a block's patch tokens as (B, C, t, h, w)."""


def _reshaping_layer(net: nn.Module, layer: str, grid: tuple[int, int, int], class_tokens: int, order: str) -> GridView:
    """Route ``layer``'s tokens through a GridView, reshaped by hand; the layer's output is unchanged."""
    module = net.get_submodule(layer)
    view = GridView()
    module.add_module("grid_view", view)
    native = module.forward
    t, h, w = grid

    def forward(*args, **kwargs):
        output = native(*args, **kwargs)
        tokens = output[0] if isinstance(output, tuple) else output
        head, patches = tokens[:, :class_tokens], tokens[:, class_tokens:]
        if order == "thw":
            cube = patches.reshape(len(tokens), t, h, w, -1).permute(0, 4, 1, 2, 3)
            patches = view(cube).permute(0, 2, 3, 4, 1).flatten(1, 3)
        else:  # TimeSformer: patch by patch, each patch's frames together
            cube = patches.reshape(len(tokens), h, w, t, -1).permute(0, 4, 3, 1, 2)
            patches = view(cube).permute(0, 3, 4, 2, 1).flatten(1, 3)
        tokens = torch.cat([head, patches], dim=1)
        return (tokens, *output[1:]) if isinstance(output, tuple) else tokens

    module.forward = forward
    return view


def test_gradcam_on_the_reshaped_tokens_equals_captum(model_type, folder, clip):
    net = load_model(folder, device="cpu").net
    _, _, grid, class_tokens = FAMILY[model_type]
    layer = net.vgv_spec.target_layer
    view = _reshaping_layer(net, layer, grid, class_tokens, "hwt" if model_type == "timesformer" else "thw")
    ours = Explainer(net, target_layer=layer, exact=True).explain(clip, targets=[0, 2], methods=("gradcam",))
    theirs = LayerGradCam(net, view).attribute(clip, target=[0, 2], relu_attributions=True)
    assert_close_to_peak(ours.raw["gradcam"], theirs[:, 0].detach())


def test_fast_mode_within_the_bound_of_exact(folder, clip):
    net = load_model(folder, device="cpu").net
    fast, exact = (Explainer(net, exact=mode).explain(clip, targets=[0, 2], methods=METHODS) for mode in (False, True))
    for method in METHODS:
        assert_close_to_peak(fast.raw[method], exact.raw[method], share=1e-4)


def test_model_untouched_after_explain(folder, clip):
    net = load_model(folder, device="cpu").net
    net.train()  # a model handed over in training mode stays in training mode
    next(net.parameters()).requires_grad_(False)
    before = snapshot(net)
    Explainer(net).explain(clip, methods=METHODS)
    assert_same(before, snapshot(net))


def test_num_classes_or_labels_replace_the_head(folder, clip):
    replaced = load_model(folder, num_classes=5, device="cpu")
    assert replaced.spec.num_classes == 5 and replaced.net(clip).shape == (2, 5)
    named = load_model(folder, labels=["a", "b", "c", "d"], device="cpu")
    assert named.spec.labels == ("a", "b", "c", "d") and named.net(clip).shape == (2, 4)
    kept = load_model(folder, num_classes=len(LABELS), device="cpu")
    assert kept.spec.labels == LABELS
