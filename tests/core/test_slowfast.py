"""SlowFast (two pathways): pytorchvideo's hub model, one clip or [slow, fast] in, a map per frame
of the fast pathway out; CAM fuses the two pathways' layers, checked against captum per pathway.

The model is the registry's slowfast_r50 at 8 frames of 64 px (its pooling adapts to the clip),
with seeded random weights: exact mode is compared with captum to 1e-5 of the map's peak, as the
CNN oracles are (what is left is the order of float32 sums).
"""

import pytest
import torch
from captum.attr import GuidedBackprop, LayerGradCam

from vgv_core import Explainer, load_model
from vgv_core.errors import CheckpointError
from vgv_core.models import ARCHS
from vgv_core.pathways import onto_frames_of, pack_pathways
from vgv_core.preprocess import Preprocessor
from model_snapshot import assert_same, snapshot
from tiny_models import SLOWFAST_FRAMES, SLOWFAST_SIZE

PEAK_SHARE = 1e-5
METHODS = ("gradcam", "gradcam++", "layercam", "guided_backprop", "guided_gradcam", "saliency")


def assert_close_to_peak(ours, theirs, share=PEAK_SHARE):
    peak = theirs.abs().max()
    assert peak > 0
    worst = (ours - theirs).abs().max()
    assert worst <= share * peak, f"largest difference {float(worst / peak):.2e} of the peak (allowed {share:g})"


@pytest.fixture(scope="module")
def net():
    torch.manual_seed(0)
    return load_model("slowfast_r50", num_classes=5, device="cpu").net


@pytest.fixture(scope="module")
def clip():
    return torch.randn(2, 3, SLOWFAST_FRAMES, SLOWFAST_SIZE, SLOWFAST_SIZE, generator=torch.Generator().manual_seed(1))


def test_registry_spec_and_hub_weights():
    """The hub's hyper-parameters: its state_dict loads strictly (its checkpoints nest it under
    "model_state", which load_model unwraps), and the net returns logits."""
    from pytorchvideo.models.hub import slowfast_r50

    vm = load_model("slowfast_r50", num_classes=7, device="cpu")
    spec = vm.spec
    assert (spec.clip_len, spec.frame_stride, spec.crop_size, spec.resize_size) == (32, 2, 224, 256)
    assert spec.target_layer == ARCHS["slowfast_r50"].target_layer == "blocks.4"
    vm.net.load_state_dict(slowfast_r50(pretrained=False, model_num_class=7).state_dict(), strict=True)
    clip = torch.randn(1, 3, 8, 64, 64)
    with torch.no_grad():
        logits = vm.net(clip)
    assert logits.shape == (1, 7) and not torch.allclose(logits.softmax(1).sum(), logits.sum())


def test_a_clip_and_its_pathways_give_the_same_maps_one_per_fast_frame(net, clip):
    explainer = Explainer(net, exact=True)
    from_clip = explainer.explain(clip, targets=[1, 3], methods=METHODS)
    from_pathways = explainer.explain(pack_pathways(clip, net.alpha), targets=[1, 3], methods=METHODS)
    for method in METHODS:
        assert from_clip.maps[method].shape == (2, SLOWFAST_FRAMES, SLOWFAST_SIZE, SLOWFAST_SIZE), method
        assert torch.equal(from_clip.maps[method], from_pathways.maps[method]), method
    assert from_clip.raw["gradcam"].shape == (2, SLOWFAST_FRAMES, 2, 2)  # the fast pathway's grid
    assert from_clip.raw["guided_backprop"].shape == clip.shape


def test_the_preprocessor_makes_the_pathways_from_one_window():
    """PackPathway's rule: the fast pathway is the window, the slow one every alpha-th frame (linspace)."""
    frames = torch.arange(8, dtype=torch.uint8).view(8, 1, 1, 1).expand(8, 4, 4, 3).contiguous() * 30
    vm_spec = load_model("slowfast_r50", num_classes=2, device="cpu").spec
    slow, fast = Preprocessor(vm_spec).pathways(frames.numpy(), alpha=4)
    assert fast.shape[2] == 8 and slow.shape[2] == 2
    assert torch.equal(slow, fast[:, :, [0, 7]])  # torch.linspace(0, 7, 2).long()


def test_fused_gradcam_equals_captum_per_pathway(net, clip):
    """blocks.4 outputs [slow, fast]: captum's LayerGradCam gives each pathway's weighted sum;
    brought to the fast frames and added, then ReLU, they are our map."""
    ours = Explainer(net, exact=True).explain(clip, targets=[1, 3], methods=("gradcam",))
    slow, fast = LayerGradCam(net, net.get_submodule("blocks.4")).attribute(clip, target=[1, 3])
    fused = (onto_frames_of(slow[:, 0].detach(), tuple(fast.shape[2:])) + fast[:, 0].detach()).clamp(min=0)
    assert_close_to_peak(ours.raw["gradcam"], fused)


@pytest.mark.parametrize("pathway", [0, 1], ids=["slow", "fast"])
def test_one_pathway_layer_equals_captum(net, clip, pathway):
    layer = f"blocks.4.multipathway_blocks.{pathway}"
    ours = Explainer(net, target_layer=layer, exact=True).explain(clip, targets=[1, 3], methods=("gradcam",))
    theirs = LayerGradCam(net, net.get_submodule(layer)).attribute(clip, target=[1, 3], relu_attributions=True)
    assert_close_to_peak(ours.raw["gradcam"], theirs[:, 0])


def test_guided_backprop_equals_captum(net, clip):
    ours = Explainer(net, exact=True).explain(clip, targets=[1, 3], methods=("gradcam", "guided_backprop"))
    theirs = GuidedBackprop(net).attribute(clip.clone().requires_grad_(), target=[1, 3])
    assert_close_to_peak(ours.raw["guided_backprop"], theirs)


def test_fast_mode_within_the_bound_of_exact(net, clip):
    fast = Explainer(net).explain(pack_pathways(clip, net.alpha), targets=[1, 3], methods=METHODS)
    exact = Explainer(net, exact=True).explain(pack_pathways(clip, net.alpha), targets=[1, 3], methods=METHODS)
    for method in METHODS:
        assert_close_to_peak(fast.raw[method], exact.raw[method], share=1e-4)


def test_model_untouched_after_explain():
    torch.manual_seed(0)
    net = load_model("slowfast_r50", num_classes=3, device="cpu").net
    net.train()
    net.blocks[0].multipathway_blocks[0].requires_grad_(False)
    before = snapshot(net)
    pathways = pack_pathways(torch.randn(1, 3, SLOWFAST_FRAMES, SLOWFAST_SIZE, SLOWFAST_SIZE), net.alpha)
    Explainer(net).explain(pathways, methods=METHODS)
    assert_same(before, snapshot(net))


def test_a_checkpoint_for_another_class_count_names_the_head(tmp_path):
    path = tmp_path / "five_classes.pt"
    torch.save({"model_state": {"blocks.6.proj.weight": torch.zeros(5, 2304), "blocks.6.proj.bias": torch.zeros(5)}}, path)
    with pytest.raises(CheckpointError, match=r"blocks\.6\.proj\.weight: checkpoint \(5, 2304\) vs model \(3, 2304\)"):
        load_model("slowfast_r50", num_classes=3, checkpoint=path, device="cpu")
