"""Every registry architecture builds and explains a clip of its native size."""

import pytest
import torch

from vgv_core import load_model
from vgv_core.explain import Explainer
from vgv_core.models import ARCHS


@pytest.mark.parametrize("arch", list(ARCHS))
def test_arch_explains_native_clip(arch):
    torch.manual_seed(0)
    vm = load_model(arch, num_classes=3, device="cpu")
    spec = vm.spec
    clip = torch.randn(1, 3, spec.clip_len, spec.crop_size, spec.crop_size)
    e = Explainer(vm.net).explain(clip, methods=("gradcam", "guided_backprop", "guided_gradcam"))
    for method, maps in e.maps.items():
        assert maps.shape == (1, spec.clip_len, spec.crop_size, spec.crop_size), method
        assert torch.isfinite(maps).all() and 0 <= maps.min() <= maps.max() <= 1, method
    assert e.maps["guided_backprop"].max() == 1, f"{arch}: guided backprop map is empty"
    assert e.layer == ARCHS[arch].target_layer


def test_an_architecture_added_or_replaced_at_run_time_is_not_shipped(monkeypatch):
    from dataclasses import replace

    from vgv_core.models.registry import is_shipped

    assert is_shipped("x3d_xs")
    monkeypatch.setitem(ARCHS, "x3d_xs", replace(ARCHS["x3d_xs"], clip_len=8))
    monkeypatch.setitem(ARCHS, "mine", ARCHS["r3d_18"])
    assert not is_shipped("x3d_xs")
    assert not is_shipped("mine")
    assert not is_shipped("nothing")
