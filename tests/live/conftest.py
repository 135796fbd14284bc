"""Fixtures for the live engine tests (helpers live in live_support.py)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from live_support import RtspServer, free_port, write_video


@pytest.fixture
def rtsp_server():
    """Factory: rtsp_server(file=None, fps=30, size="320x240") -> a started RtspServer."""
    started: list[RtspServer] = []

    def start(file: str | Path | None = None, fps: int = 30, size: str = "320x240"):
        args = ["--fps", str(fps), "--size", size]
        if file is not None:
            args += ["--file", str(file)]
        server = RtspServer(free_port(), args)
        started.append(server)
        return server.start()

    yield start
    for server in started:
        server.kill()


@pytest.fixture(scope="session")
def ten_second_video(tmp_path_factory) -> Path:
    return write_video(tmp_path_factory.mktemp("videos") / "ten_seconds.mp4", 10.0)


@pytest.fixture(scope="session")
def two_second_video(tmp_path_factory) -> Path:
    return write_video(tmp_path_factory.mktemp("videos") / "two_seconds.mp4", 2.0)


@pytest.fixture
def no_stray_threads():
    """Fails the test if one of our threads (named vgv-...) outlives it."""
    yield
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline:
        ours = [t.name for t in threading.enumerate() if t.name.startswith("vgv-")]
        if not ours:
            return
        time.sleep(0.05)
    pytest.fail(f"threads still running after the test: {ours}")


@pytest.fixture(scope="session")
def tiny_model_spec(tmp_path_factory) -> Path:
    """A small untrained X3D with the demo's labels: fast enough to explain 30 windows/s."""
    from vgv_core.models.spec import ModelSpec

    spec = ModelSpec(
        arch="x3d_xs",
        num_classes=6,
        labels=("all_off", "headlights_on", "left_blinker", "right_blinker", "hazard", "headlight_defective"),
        clip_len=4,
        frame_stride=2,
        crop_size=64,
        resize_size=64,
        arch_kwargs={"depth_factor": 1.0},
    )
    path = tmp_path_factory.mktemp("models") / "tiny.json"
    spec.to_json(path)
    return path


@pytest.fixture(scope="session")
def tiny_model(tiny_model_spec):
    from vgv_core import load_model

    return load_model(tiny_model_spec, device="cpu")


@pytest.fixture
def mosquitto(tmp_path_factory):
    """A started Mosquitto broker on 127.0.0.1 (edge_support.Mosquitto), stopped after the test."""
    from edge_support import Mosquitto

    broker = Mosquitto(tmp_path_factory.mktemp("mosquitto")).start()
    yield broker
    broker.stop()
