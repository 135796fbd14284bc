"""The HTTP server of a running `vgv-live --headless --http` with a token, through a real client."""

import fcntl
import functools
import json
import socket
import struct
import subprocess
import sys
import termios
import threading
import time

import cv2
import numpy as np
import pytest
from prometheus_client.parser import text_string_to_metric_families

from vgv_core.shipped import assets_dir
from edge_support import get
from live_support import REPO, cli_env, free_port, wait_for

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
BAY = assets_dir() / "demo" / "bay.mp4"  # one parked car under a fixed camera: every frame looks like the first


class LiveRun:
    """vgv-live in a subprocess, with its stderr collected as it comes."""

    def __init__(self, command: list, env: dict) -> None:
        self.process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=env, cwd=REPO)
        self.lines: list[str] = []
        self._reader = threading.Thread(target=lambda: self.lines.extend(self.process.stderr), daemon=True)
        self._reader.start()

    def stop(self) -> str:
        self.process.terminate()
        self.process.wait(60)
        self._reader.join(5)
        return "".join(self.lines)


@pytest.fixture(scope="module")
def served(tiny_model_spec, tmp_path_factory):
    """The bay video, looping, explained by the tiny model; its base URL, JSONL path and run."""
    folder = tmp_path_factory.mktemp("served")
    (folder / "events").mkdir()
    base = f"http://127.0.0.1:{free_port()}"
    command = [sys.executable, "-m", "vgv_live", str(BAY), "--headless", "--model", str(tiny_model_spec), "--loop",
               "--http", base.removeprefix("http://"), "--stream-fps", "30", "--jsonl", str(folder / "preds.jsonl"),
               "--events", str(folder / "events"), "--threshold", "all_off=0.01", "--post-roll", "0.2"]
    run = LiveRun(command, dict(cli_env(), VGV_HTTP_TOKEN=TOKEN))
    try:
        wait_for(lambda: run.process.poll() is not None or explaining(base), 120, step=0.3)
        assert run.process.poll() is None, "".join(run.lines)
        yield base, folder / "preds.jsonl", run
    finally:
        stderr = run.stop()
    assert "Traceback" not in stderr and run.process.returncode == 0, stderr


def explaining(base) -> bool:
    """The server answers and cam0 has a few results."""
    try:
        status, body, _ = get(f"{base}/api/stats", AUTH, 1)
    except OSError:  # not listening yet
        return False
    return status == 200 and json.loads(body)["cameras"].get("cam0", {}).get("results", 0) > 2


def stats(base) -> dict:
    status, body, _ = get(f"{base}/api/stats", AUTH)
    assert status == 200
    return json.loads(body)


def scrape(base) -> dict:
    status, body, headers = get(f"{base}/metrics", AUTH)
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(body.decode()) for sample in family.samples}


def test_metrics_parse_and_their_counters_grow(served):
    base, _, _ = served
    first = scrape(base)
    cam0 = (("camera", "cam0"),)
    wait_for(lambda: scrape(base)[("vgv_explanations_total", cam0)] > first[("vgv_explanations_total", cam0)] + 3, 30)
    second = scrape(base)
    for counter in ("vgv_frames_captured_total", "vgv_explanations_total", "vgv_result_latency_seconds_count"):
        assert second[(counter, cam0)] > first[(counter, cam0)], counter
    assert second[("vgv_camera_up", cam0)] == 1 and second[("vgv_camera_state", cam0 + (("state", "running"),))] == 1
    assert second[("vgv_capture_fps", cam0)] > 0
    assert second[("vgv_events_total", cam0 + (("kind", "threshold"),))] == 1
    assert second[("vgv_result_latency_seconds_bucket", cam0 + (("le", "+Inf"),))] == \
        second[("vgv_result_latency_seconds_count", cam0)]


def test_api_stats_and_events(served):
    base, _, _ = served
    document = stats(base)
    cam0 = document["cameras"]["cam0"]
    assert set(document["cameras"]) == {"cam0"} and cam0["state"] == "running" and cam0["source"] == str(BAY)
    assert cam0["status"]["state"] == "running" and cam0["events"] == {"threshold": 1}
    assert document["mqtt"] is None and document["retention"] is None
    wait_for(lambda: len(json.loads(get(f"{base}/api/events", AUTH)[1])["events"]) == 2, 30)  # start and end
    events = json.loads(get(f"{base}/api/events?camera=cam0&limit=1", AUTH)[1])["events"]
    assert [(e["type"], e["camera"], e["kind"], e["label"]) for e in events] == [("end", "cam0", "threshold", "all_off")]


def read_part(stream) -> bytes:
    """One JPEG of a multipart/x-mixed-replace stream."""
    assert stream.readline() == b"--vgvframe\r\n"
    headers = {}
    while (line := stream.readline()) != b"\r\n":
        name, _, value = line.decode().partition(":")
        headers[name.lower()] = value.strip()
    assert headers["content-type"] == "image/jpeg"
    body = stream.read(int(headers["content-length"]))
    assert stream.read(2) == b"\r\n"
    return body


def open_stream(base, path="/cameras/cam0/stream.mjpg"):
    import urllib.request

    response = urllib.request.urlopen(urllib.request.Request(base + path, headers=AUTH), timeout=10)
    assert response.headers["Content-Type"] == "multipart/x-mixed-replace; boundary=vgvframe"
    return response


def test_the_mjpeg_stream_yields_decodable_annotated_frames(served):
    base, _, _ = served
    raw = cv2.VideoCapture(str(BAY)).read()[1]
    with open_stream(base) as stream:
        frames = [cv2.imdecode(np.frombuffer(read_part(stream), np.uint8), cv2.IMREAD_COLOR) for _ in range(5)]
    for frame in frames:
        assert frame is not None
        assert_annotated_bay(frame, raw)


def below_the_bar(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image[40:], cv2.COLOR_BGR2GRAY).astype(float).ravel()


@functools.cache
def bay_frames(step: int = 10) -> list[np.ndarray]:
    """Every ``step``-th frame of the bay video, grey, below the label bar."""
    capture, frames = cv2.VideoCapture(str(BAY)), []
    while (frame := capture.read()[1]) is not None:
        frames.append(frame)
    return [below_the_bar(frame) for frame in frames[::step]]


def assert_annotated_bay(image: np.ndarray, raw: np.ndarray) -> None:
    """``image`` is a frame of the bay video with the label bar drawn on."""
    assert image.shape == raw.shape
    bar, raw_bar = image[2:18].astype(float), raw[2:18].astype(float)
    assert np.median(bar) < 0.5 * np.median(raw_bar) + 10  # the label bar darkens the top of the frame ...
    assert (bar > 200).mean() > 0.005  # ... and writes on it
    # The bay under its heatmap: annotated frames match a bay frame to 0.99 (measured); the bay's
    # own frames match each other down to 0.77 (lamps switched), the demo's other scenes at most 0.79.
    scene = below_the_bar(image)
    assert max(np.corrcoef(scene, frame)[0, 1] for frame in bay_frames()) > 0.95


def test_every_request_needs_the_token(served):
    base, _, _ = served
    for path in ("/metrics", "/api/stats", "/api/events", "/cameras/cam0/stream.mjpg", "/nope"):
        status, _, headers = get(base + path)
        assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer"), path
        assert get(base + path, {"Authorization": "Bearer wrong-token-0123456789"})[0] == 401, path
    assert get(f"{base}/api/stats?token={TOKEN}")[0] == 200
    assert get(f"{base}/api/stats?token=wrong")[0] == 401
    assert get(f"{base}/api/stats", {"Authorization": TOKEN})[0] == 401  # the scheme is needed


@pytest.mark.parametrize("path, code", [("/nope", 404), ("/cameras/cam9/stream.mjpg", 404), ("/cameras/cam0", 404),
                                        ("/cameras/cam0/still.jpg", 404), ("/api/events?camera=cam9", 404),
                                        ("/api/events?limit=many", 400), ("/", 404)])
def test_bad_paths(served, path, code):
    base, _, _ = served
    assert get(base + path, AUTH)[0] == code


def queued_bytes(sock) -> int:
    return struct.unpack("i", fcntl.ioctl(sock, termios.FIONREAD, b"\0\0\0\0"))[0]


def jsonl_lines(path) -> int:
    return len(path.read_bytes().splitlines())


def test_a_viewer_that_stops_reading_holds_up_nothing_else(served):
    base, jsonl, _ = served
    port = int(base.rsplit(":", 1)[1])
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect(("127.0.0.1", port))
    stalled.sendall(f"GET /cameras/cam0/stream.mjpg HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\r\n".encode())
    try:
        sizes = [-1]

        def buffers_full() -> bool:  # nothing more arrives: the server's send to it is blocked
            sizes.append(queued_bytes(stalled))
            return len(sizes) > 8 and sizes[-1] == sizes[-8] > 0

        wait_for(buffers_full, 60, step=0.25)
        before = jsonl_lines(jsonl), stats(base)["cameras"]["cam0"]["results"]
        with open_stream(base) as viewer:
            shown = [read_part(viewer) for _ in range(10)]  # a second viewer is served meanwhile
        time.sleep(2)
        after = jsonl_lines(jsonl), stats(base)["cameras"]["cam0"]["results"]
        assert queued_bytes(stalled) == sizes[-1]  # still stalled throughout
        assert len(set(shown)) >= 5  # fresh frames, not one frame again
        assert after[0] - before[0] >= 3 and after[1] - before[1] >= 3  # the sinks and the worker went on
        assert stats(base)["http"]["streams"] == 1  # the stalled one
    finally:
        stalled.close()


CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.mark.browser
def test_headless_chromium_shows_the_stream_with_its_overlay(served, tmp_path):
    import shutil

    from edge_support import unavailable

    base, _, _ = served
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        unavailable("chromium", "not installed (apt-get install chromium)")
    raw = cv2.VideoCapture(str(BAY)).read()[1]
    height, width = raw.shape[:2]
    shot = tmp_path / "stream.png"
    done = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                           f"--window-size={width},{height}", f"--screenshot={shot}", "--timeout=5000",
                           f"{base}/cameras/cam0/stream.mjpg?token={TOKEN}"],
                          capture_output=True, text=True, timeout=120)
    assert shot.exists(), done.stderr[-2000:]
    assert_annotated_bay(cv2.imread(str(shot)), raw)
