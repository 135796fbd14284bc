"""`vgv eval` on the shipped demo model: Grad-CAM and guided Grad-CAM beat the random map.

A short run (12 test-bay clips, two per class, default curve steps) compares each
method's means with the random baseline's on the same clips: deletion area (lower),
insertion area (higher) and pointing game (higher). The sanity check's outcome for
every method is reported in docs/evaluation.md, not asserted.
"""

from __future__ import annotations

import pytest
import torch
from vgv_core import load_model
from vgv_core.evaluation import BenchmarkConfig, BenchmarkResult, MethodSet, SyntheticBay, baseline_methods, run_benchmark

CLIPS = 12


@pytest.fixture(scope="module")
def result() -> BenchmarkResult:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # two threads on two shared cores stall each other
    try:
        demo = load_model("demo", device="cpu")
        methods = MethodSet(("gradcam", "guided_gradcam"), baseline_methods(0))
        dataset = SyntheticBay(demo.spec, demo.device, CLIPS, seed=0)
        return run_benchmark(demo.net, dataset, methods, BenchmarkConfig(sanity_clips=1))
    finally:
        torch.set_num_threads(threads)


@pytest.mark.parametrize("method", ["gradcam", "guided_gradcam"])
def test_method_beats_the_random_map(result: BenchmarkResult, method: str) -> None:
    summary = result.summary()
    mine, chance = summary[method], summary["random"]
    assert mine["deletion_auc"] < chance["deletion_auc"], (mine, chance)
    assert mine["insertion_auc"] > chance["insertion_auc"], (mine, chance)
    assert mine["pointing_game"] > chance["pointing_game"], (mine, chance)
