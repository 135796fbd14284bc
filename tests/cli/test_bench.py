"""`vgv bench` times every variant in one process and writes ratios to JSON and Markdown."""

import json

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
