"""`vgv bench` times every variant in one process and writes ratios to JSON and Markdown."""

import gc
import json
import time

import torch

from vgv_core.speed.report import BASELINE, OURS, CaseResult
from vgv_core.speed.timing import MIN_SAMPLE_SECONDS, time_round_robin
from vgv_core.cli import main


def test_bench_writes_ratios(tmp_path):
    out, report = tmp_path / "bench.json", tmp_path / "benchmarks.md"
    code = main(["bench", "--models", "x3d_xs", "--repeats", "1", "--warmup", "0", "--no-peers", "-q",
                 "--only", "bare", "ours: gradcam",
                 "--json", str(out), "--markdown", str(report)])
    assert code == 0
    data = json.loads(out.read_text())
    (result,) = data["results"]
    assert result["clip_shape"] == [1, 3, 4, 160, 160]
    medians = result["median_ms"]
    assert {"bare forward", "bare forward+backward", "ours: gradcam"} <= set(medians)
    assert all(ms > 0 for ms in medians.values())
    ratio = result["headline_ratios"]["ours / bare forward+backward"]
    assert ratio == medians["ours: gradcam+guided_backprop+guided_gradcam"] / medians["bare forward+backward"]
    assert "CPU" in data["machine"] and "x3d_xs" in report.read_text()


def test_bench_live_pushes_frames_through_the_worker(tmp_path):
    out, report = tmp_path / "live.json", tmp_path / "live.md"
    code = main(["bench", "--live", "--models", "x3d_xs", "--live-seconds", "2", "--live-fps", "15",
                 "--json", str(out), "--markdown", str(report)])
    assert code == 0
    (figures,) = json.loads(out.read_text())["live"]
    assert figures["frames"] == 30 and figures["clip"] == "4x160x160" and figures["method"] == "gradcam"
    assert 0 < figures["explanations"] <= 30
    assert figures["explanations_per_s"] == figures["explanations"] / 2
    assert 0 < figures["latency_p50_ms"] <= figures["latency_p95_ms"] <= figures["latency_max_ms"]
    assert "| x3d_xs | 4x160x160 | gradcam | 15 |" in report.read_text()


def test_fast_variants_are_called_back_to_back_and_timed_per_call():
    calls = {"fast": 0, "slow": 0}
    collector_on = []

    def fast():
        calls["fast"] += 1
        collector_on.append(gc.isenabled())

    def slow():
        calls["slow"] += 1
        time.sleep(MIN_SAMPLE_SECONDS + 0.05)

    samples, failures = time_round_robin({"fast": fast, "slow": slow}, torch.device("cpu"), repeats=3, warmup=1)
    assert failures == {}
    assert calls["slow"] == 1 + 1 + 3  # warm-up, sizing the sample, one call per sample
    assert calls["fast"] > 100 + 1 + 1
    assert all(s < 0.01 for s in samples["fast"]) and all(s >= MIN_SAMPLE_SECONDS for s in samples["slow"])
    assert not any(collector_on[1:])  # only the warm-up call runs with the garbage collector on


def test_headline_ratios_pair_the_variants_round_by_round():
    """Ours cost half the baseline in two rounds of three, while the machine's speed drifted
    across rounds: the ratio of the two medians (2 / 2) would hide what the rounds show."""
    result = CaseResult.from_samples("m", (1, 3, 4, 8, 8), "cpu", {BASELINE: [0.002, 0.004, 0.001], OURS: [0.001, 0.002, 0.010]})
    assert result.ratios()["ours / bare forward+backward"] == 0.5
    assert result.medians_ms == {BASELINE: 2.0, OURS: 2.0}
