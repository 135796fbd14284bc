"""Helpers for the live engine tests: a real RTSP server (gst-rtsp-server), test videos, the CLI.

The server runs as a subprocess of the system Python (which has `gi`). When it cannot
start, the RTSP tests fail in CI (CI=true) and are skipped elsewhere.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from vgv_live.capture import CaptureOptions

REPO = Path(__file__).resolve().parents[2]
SERVER_SCRIPT = Path(__file__).with_name("rtsp_server.py")
SYSTEM_PYTHON = "/usr/bin/python3"
START_TIMEOUT_S = 15.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"RTSP test server unavailable in CI: {reason}")
    pytest.skip(f"RTSP test server unavailable: {reason}")


class RtspServer:
    """gst-rtsp-server in a subprocess; kill/hang/resume it like a real camera."""

    def __init__(self, port: int, extra_args: list[str]) -> None:
        self.port = port
        self.extra_args = extra_args
        self.process: subprocess.Popen | None = None
        self.url = ""

    def start(self) -> "RtspServer":
        if not os.path.exists(SYSTEM_PYTHON):
            unavailable(f"{SYSTEM_PYTHON} not found")
        command = [SYSTEM_PYTHON, str(SERVER_SCRIPT), "--port", str(self.port), *self.extra_args]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = _read_line(self.process, START_TIMEOUT_S)
        if not line.startswith("rtsp://"):
            self.kill()
            unavailable(f"server printed {line!r}; stderr: {self.process.stderr.read()[-500:]!r}")
        self.url = line
        return self

    def kill(self) -> None:
        """A dead camera: SIGTERM, and wait for the process."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.terminate()
            self.process.wait(5)

    def hang(self) -> None:
        """A hung camera: the process is frozen, its sockets stay open."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def restart(self) -> None:
        self.kill()
        self.start()


def _read_line(process: subprocess.Popen, timeout: float) -> str:
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0].strip() if lines else ""


INDEX_BITS = 10


def write_video(path: Path, seconds: float, fps: int = 30, size: tuple[int, int] = (160, 120)) -> Path:
    """An H.264 test video whose frames carry their own index (see `frame_index`)."""
    width, height = size
    command = [
        "ffmpeg", "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "bgr24", "-s", f"{width}x{height}",
        "-r", str(fps), "-i", "-", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path),
    ]
    encoder = subprocess.Popen(command, stdin=subprocess.PIPE)
    strip = width // INDEX_BITS
    for index in range(round(seconds * fps)):
        frame = np.zeros((height, width, 3), np.uint8)
        for bit in range(INDEX_BITS):
            if index >> bit & 1:
                frame[: height // 2, bit * strip : (bit + 1) * strip] = 255
        encoder.stdin.write(frame.tobytes())
    encoder.stdin.close()
    if encoder.wait() != 0:
        raise RuntimeError(f"ffmpeg could not write {path}")
    return path


def frame_index(frame: np.ndarray) -> int:
    """The index `write_video` drew into ``frame``: one bright strip per set bit."""
    height, width = frame.shape[:2]
    strip = width // INDEX_BITS
    top = frame[: height // 2]
    return sum(1 << bit for bit in range(INDEX_BITS) if top[:, bit * strip + 2 : (bit + 1) * strip - 2].mean() > 128)


def cli_env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def run_cli(args: list, timeout: float = 120) -> subprocess.CompletedProcess:
    """Run `vgv-live` (as python -m vgv_live) to completion and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "vgv_live", *map(str, args)],
        capture_output=True, text=True, timeout=timeout, env=cli_env(), cwd=REPO,
    )


FAST = CaptureOptions(open_timeout_s=3.0, stale_timeout_s=1.5, backoff_initial_s=0.2, backoff_max_s=1.0)


def wait_for(predicate, timeout: float, step: float = 0.02) -> float:
    """Seconds until ``predicate()`` held; fails after ``timeout``."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            pytest.fail(f"condition not met within {timeout} s")
        time.sleep(step)
    return time.monotonic() - started
