"""`vgv bench --window`: the real window (on a virtual display) against the headless engine."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

KEYS = ("explain_per_s", "display_fps", "source_fps", "latency_p50_ms", "latency_p95_ms", "gui_tick_ms_p95",
        "headless_explain_per_s", "explain_per_s_with_timeline", "explain_per_s_without_timeline")


@pytest.mark.display
def test_bench_window_writes_every_figure_as_json(tmp_path):
    out = tmp_path / "window.json"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    done = subprocess.run(
        ["vgv", "bench", "--window", "--models", "demo", "--source", "demo",
         "--window-seconds", "4", "--json", str(out)],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(out.read_text())
    assert all(isinstance(figures[key], float) for key in KEYS), figures
    assert figures["frame_size"] == "640x360" and figures["method"] == "guided_gradcam"
    assert 0 < figures["latency_p50_ms"] <= figures["latency_p95_ms"]
    assert 0 < figures["gui_tick_ms_p95"] < 1000
    # The demo video plays at 30 fps; whatever the machine, the window shows new frames and explains.
    assert 5 < figures["source_fps"] < 40 and 0 < figures["display_fps"] <= figures["source_fps"] * 1.1
    assert all(figures[key] > 0 for key in ("explain_per_s", "headless_explain_per_s",
                                            "explain_per_s_with_timeline", "explain_per_s_without_timeline"))
    assert "window demo guided_gradcam" in done.stdout
