"""Exact mode against captum and pytorch-grad-cam on the same fixed random weights.

Exact mode runs PyTorch's own kernels only, as the oracles do, so the maps agree to float
rounding on any machine: the tolerance is 1e-5 of the map's peak (what is left is the order
of float32 sums, e.g. CAM's channel mean), never an absolute figure tuned on one CPU.
"""

import numpy as np
import pytest
import torch
from captum.attr import GuidedBackprop, LayerGradCam
from pytorch_grad_cam import GradCAM
from pytorch_grad_cam.utils.model_targets import ClassifierOutputTarget
from scipy.ndimage import zoom

from vgv_core import load_model
from vgv_core.explain import Explainer
from vgv_core.explain.maps import upsample_cam

ARCHS = ["r3d_18", "r2plus1d_18"]
PEAK_SHARE = 1e-5


def assert_close_to_peak(ours, theirs, share=PEAK_SHARE):
    ours, theirs = torch.as_tensor(ours), torch.as_tensor(theirs)
    peak = theirs.abs().max()
    assert peak > 0
    worst = (ours - theirs).abs().max()
    assert worst <= share * peak, f"largest difference {float(worst / peak):.2e} of the peak (allowed {share:g})"


@pytest.fixture(scope="module", params=ARCHS)
def model_and_clip(request, device):
    torch.manual_seed(0)
    vm = load_model(request.param, num_classes=7, device=device)
    clip = torch.randn(2, 3, 8, 64, 64).to(device)
    return vm.net, clip


@pytest.mark.parametrize("layer", ["layer4", "layer3"])
@pytest.mark.parametrize("batch", [1, 2])
def test_guided_backprop_matches_captum(model_and_clip, layer, batch):
    """Also with a CAM method beside it, on a layer with gates above it: the CAM rule's
    backward must leave the guided one, and the forward, untouched."""
    net, clip = model_and_clip
    clip, targets = clip[:batch], [1, 4][:batch]
    ours = Explainer(net, target_layer=layer, exact=True).explain(
        clip, targets=targets, methods=("gradcam", "guided_backprop")
    )
    theirs = GuidedBackprop(net).attribute(clip.clone().requires_grad_(), target=targets)
    assert_close_to_peak(ours.raw["guided_backprop"], theirs)


@pytest.mark.parametrize("layer", ["layer4", "layer3"])
def test_gradcam_matches_captum_layergradcam(model_and_clip, layer):
    net, clip = model_and_clip
    ours = Explainer(net, target_layer=layer, exact=True).explain(clip, targets=[2, 3], methods=("gradcam",))
    theirs = LayerGradCam(net, net.get_submodule(layer)).attribute(clip, target=[2, 3], relu_attributions=True)
    assert_close_to_peak(ours.raw["gradcam"], theirs[:, 0])


def test_gradcam_map_agrees_with_pytorch_grad_cam(model_and_clip):
    """Same CAM. pytorch-grad-cam zooms it with scipy's corner-aligned cubic spline, which
    upsample="spline" reproduces; the default half-pixel trilinear differs only by that."""
    net, clip = model_and_clip
    ours = Explainer(net, exact=True).explain(clip, methods=("gradcam",), upsample="spline")
    targets = [ClassifierOutputTarget(int(c)) for c in ours.targets]
    with GradCAM(model=net, target_layers=[net.layer4]) as cam:
        theirs = cam(input_tensor=clip, targets=targets)
        outputs = cam.activations_and_grads(clip)
        sum(t(o) for t, o in zip(targets, outputs)).backward()
        activations = cam.activations_and_grads.activations[0].numpy()
        grads = cam.activations_and_grads.gradients[0].numpy()
    their_raw = cam.get_cam_image(clip, net.layer4, targets, activations, grads, eigen_smooth=False)
    assert_close_to_peak(ours.raw["gradcam"].cpu(), np.maximum(their_raw, 0))
    trilinear = Explainer(net, exact=True).explain(clip, targets=ours.targets, methods=("gradcam",))
    for b in range(2):
        r = np.corrcoef(ours.maps["gradcam"][b].cpu().numpy().ravel(), np.asarray(theirs[b]).ravel())[0, 1]
        assert r > 0.99, f"item {b}: spline maps correlate only {r:.4f}"
        r = np.corrcoef(trilinear.maps["gradcam"][b].cpu().numpy().ravel(), np.asarray(theirs[b]).ravel())[0, 1]
        assert r > 0.85, f"item {b}: trilinear maps correlate only {r:.4f}"


def test_spline_upsampling_equals_scipy_zoom_clipped_at_zero():
    rng = np.random.default_rng(0)
    for shape, size in [((2, 7, 7), (16, 112, 112)), ((1, 4, 4), (8, 64, 64)), ((3, 5, 2), (13, 160, 9))]:
        cam = rng.random(shape)
        ours = upsample_cam(torch.from_numpy(cam)[None], size, mode="spline")[0]
        theirs = zoom(cam, [n_out / n_in for n_out, n_in in zip(size, shape)])
        np.testing.assert_allclose(ours.numpy(), np.maximum(theirs, 0), rtol=1e-9, atol=1e-12)  # CAMs are clipped at 0
