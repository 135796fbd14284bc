"""Edge operations with several cameras: /api/stats, /metrics and a live view per camera."""

import json
import sys
import time
import urllib.request

import cv2
import numpy as np
from prometheus_client.parser import text_string_to_metric_families

from edge_support import get
from live_support import free_port, wait_for
from test_edge_http import BAY, LiveRun, assert_annotated_bay, cli_env, read_part


def test_two_cameras_each_have_their_stats_metrics_and_live_view(tiny_model_spec, tmp_path):
    base = f"http://127.0.0.1:{free_port()}"
    run = LiveRun([sys.executable, "-m", "vgv_live", str(BAY), "demo", "--headless", "--model", str(tiny_model_spec),
                   "--loop", "--http", base.removeprefix("http://"), "--jsonl", str(tmp_path / "all.jsonl")], cli_env())
    try:
        def both_explaining() -> bool:
            try:
                status, body, _ = get(f"{base}/api/stats", timeout=1)
            except OSError:
                return False
            cameras = json.loads(body)["cameras"] if status == 200 else {}
            return all(cameras.get(name, {}).get("results", 0) > 2 for name in ("cam0", "cam1"))

        wait_for(lambda: run.process.poll() is not None or both_explaining(), 120, step=0.3)
        assert run.process.poll() is None, "".join(run.lines)
        status, body, _ = get(f"{base}/metrics")
        assert status == 200
        cameras = {sample.labels.get("camera") for family in text_string_to_metric_families(body.decode())
                   for sample in family.samples}
        assert {"cam0", "cam1"} <= cameras
        frames = {}
        for name in ("cam0", "cam1"):
            with urllib.request.urlopen(f"{base}/cameras/{name}/stream.mjpg", timeout=10) as stream:
                frames[name] = cv2.imdecode(np.frombuffer(read_part(stream), np.uint8), cv2.IMREAD_COLOR)
        assert_annotated_bay(frames["cam0"], cv2.VideoCapture(str(BAY)).read()[1])
        assert frames["cam1"].shape == (360, 640, 3) and not np.array_equal(frames["cam0"], frames["cam1"])
        time.sleep(0.5)
    finally:
        stderr = run.stop()
    assert "Traceback" not in stderr and run.process.returncode == 0, stderr
    cameras = {json.loads(line).get("camera") for line in (tmp_path / "all.jsonl").read_text().splitlines()}
    assert cameras == {"cam0", "cam1"}
