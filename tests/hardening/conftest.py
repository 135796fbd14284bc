"""Fixtures for the hardening tests: a real full disk, short real videos, running the commands."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO_VIDEO = REPO / "vgv_core" / "assets" / "demo" / "demo.mp4"


@dataclass
class Disk:
    """A folder on a file system that is nearly full, and how a child process must be started
    for its limit to apply (None for a real tmpfs)."""

    folder: Path
    preexec: Callable[[], None] | None


def _limit_file_size(size: int) -> Callable[[], None]:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    return apply


DISK_BYTES = 4096  # one page: less than any run's outputs below, so every one of them hits the limit


@pytest.fixture
def full_disk(tmp_path) -> Disk:
    """A 4 KB tmpfs (as root); elsewhere a file-size limit of 4 KB on the child process."""
    folder = tmp_path / f"tiny-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(folder)], capture_output=True).returncode == 0
    if os.environ.get("CI") and not mounted:
        pytest.fail("CI runs as root and must be able to mount a small tmpfs for the full-disk tests")
    yield Disk(folder, None if mounted else _limit_file_size(DISK_BYTES))
    if mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def run(command: str, *args: object, timeout: float = 300, env: dict | None = None,
        preexec: Callable[[], None] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``vgv`` (command "vgv") or ``vgv-live`` as a child process; its exit code and output."""
    module = "vgv_core.cli" if command == "vgv" else "vgv_live"
    environment = dict(os.environ, PYTHONPATH=str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", module, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, env=environment, preexec_fn=preexec, cwd=cwd)


def leftovers(folder: Path) -> list[str]:
    """Temporary or partial files anywhere below ``folder``."""
    return sorted(str(p) for p in folder.rglob("*") if p.name.startswith(".") or "partial" in p.name)


@pytest.fixture
def clip(tmp_path) -> Path:
    """A 2 s copy of the demo video (60 frames, 640x360)."""
    path = tmp_path / "clip.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(DEMO_VIDEO), "-frames:v", "60", "-c:v", "libx264",
                    "-preset", "ultrafast", str(path)], check=True)
    return path
