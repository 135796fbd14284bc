"""Autocast keeps the demo model's maps: bf16 maps correlate >= 0.98 with fp32 maps."""

import numpy as np
import pytest
import torch

from vgv_core import Explainer, Preprocessor, load_model
from vgv_core.demo.scene import render_clip
from vgv_core.demo.seeds import TEST_SEEDS

METHODS = ("gradcam", "guided_backprop", "guided_gradcam")


def _bf16_supported() -> bool:
    try:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            torch.nn.functional.conv3d(torch.ones(1, 1, 2, 2, 2), torch.ones(1, 1, 1, 1, 1))
        return True
    except RuntimeError:
        return False


@pytest.mark.skipif(not _bf16_supported(), reason="this CPU has no bf16 autocast")
def test_bf16_maps_agree_with_fp32_on_the_demo_model():
    vm = load_model("demo", device="cpu")
    spec = vm.spec
    preprocess = Preprocessor(spec, "cpu")
    fp32, bf16 = Explainer(vm.net), Explainer(vm.net, amp="bf16")
    for k, label in enumerate(("left_blinker", "headlight_defective", "hazard")):
        clip = render_clip(TEST_SEEDS + 900 + k, label, num_frames=spec.clip_len, stride=spec.frame_stride)
        x = preprocess(clip.frames)
        full, half = fp32.explain(x, methods=METHODS), bf16.explain(x, methods=METHODS)
        assert torch.equal(full.targets, half.targets), label
        for method in METHODS:
            r = np.corrcoef(full.maps[method].ravel().numpy(), half.maps[method].ravel().numpy())[0, 1]
            assert r >= 0.98, f"{label} {method}: bf16 maps correlate {r:.4f} with fp32"
