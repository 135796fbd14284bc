"""Autocast keeps the demo model's maps: bf16 (and, on CUDA, fp16) maps correlate >= 0.98 with fp32 maps."""

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


def _amp_cases() -> list[tuple[str, str]]:
    cases = [("cpu", "bf16")] if _bf16_supported() else []
    return cases + ([("cuda", "bf16"), ("cuda", "fp16")] if torch.cuda.is_available() else [])


@pytest.mark.parametrize("device,amp", _amp_cases())
def test_autocast_maps_agree_with_fp32_on_the_demo_model(device, amp):
    vm = load_model("demo", device=device)
    spec = vm.spec
    preprocess = Preprocessor(spec, device)
    fp32, half = Explainer(vm.net), Explainer(vm.net, amp=amp)
    for k, label in enumerate(("left_blinker", "headlight_defective", "hazard")):
        clip = render_clip(TEST_SEEDS + 900 + k, label, num_frames=spec.clip_len, stride=spec.frame_stride)
        x = preprocess(clip.frames)
        full, reduced = fp32.explain(x, methods=METHODS), half.explain(x, methods=METHODS)
        assert torch.equal(full.targets, reduced.targets), label
        for method in METHODS:
            r = np.corrcoef(full.maps[method].ravel().cpu().numpy(), reduced.maps[method].ravel().cpu().numpy())[0, 1]
            assert r >= 0.98, f"{label} {method}: {amp} maps correlate {r:.4f} with fp32"
