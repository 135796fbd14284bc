"""The fast engine against exact mode: the same forward, maps within the documented bound,
and the same maps for the same call, however loaded the machine is."""

import subprocess
import sys

import pytest
import torch

from vgv_core.speed.deviation import correlation, peak_share
from vgv_core.explain import Explainer
from vgv_core.explain.cpu import FAST_MODE_MAX_DEVIATION, FAST_MODE_MIN_CORRELATION
from seeded_models import seeded_model_and_clip

METHODS = ("gradcam", "guided_backprop", "guided_gradcam", "saliency")


def test_fast_mode_is_within_the_documented_bound_of_exact_mode(net_and_clip):
    net, clip = net_and_clip
    targets = [[0, 2]] * clip.shape[0]
    fast = Explainer(net).explain(clip, targets=targets, methods=METHODS)
    exact = Explainer(net, exact=True).explain(clip, targets=targets, methods=METHODS)
    assert torch.equal(fast.logits, exact.logits)  # the forward is PyTorch's own, bit for bit
    for method in METHODS:
        assert peak_share(fast.raw[method], exact.raw[method]) <= FAST_MODE_MAX_DEVIATION, method
        assert correlation(fast.raw[method], exact.raw[method]) >= FAST_MODE_MIN_CORRELATION, method


def test_the_fast_rules_do_run(net_and_clip):
    """Otherwise the test above would compare exact mode with itself."""
    net, clip = net_and_clip
    fast = Explainer(net).explain(clip, methods=("guided_backprop",))
    exact = Explainer(net, exact=True).explain(clip, methods=("guided_backprop",))
    assert not torch.equal(fast.raw["guided_backprop"], exact.raw["guided_backprop"])


@pytest.mark.parametrize("exact", [False, True], ids=["fast", "exact"])
def test_the_same_call_gives_the_same_maps_under_load(exact):
    """Nothing the engine chooses depends on timing: repeated calls, some while another
    process keeps the CPUs busy, return identical maps."""
    net, clip = seeded_model_and_clip("x3d_xs", (1, 3, 4, 160, 160), seed=2)
    explainer = Explainer(net, exact=exact)

    def explain():
        return explainer.explain(clip, targets=[[0, 1, 4]], methods=METHODS).raw

    first = explain()
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        loaded = [explain() for _ in range(3)]
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()
    for raw in loaded + [explain()]:
        for method in METHODS:
            assert torch.equal(raw[method], first[method]), method
