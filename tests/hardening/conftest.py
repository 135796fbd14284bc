"""Fixtures for the hardening tests (helpers live in hardening_support.py)."""

from __future__ import annotations

import os
import subprocess
import uuid
from pathlib import Path

import pytest

from hardening_support import DEMO_VIDEO, DISK_BYTES, Disk, limit_file_size


@pytest.fixture
def full_disk(tmp_path) -> Disk:
    """A 4 KB tmpfs (as root); elsewhere a file-size limit of 4 KB on the child process."""
    folder = tmp_path / f"tiny-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    mounted = os.geteuid() == 0 and subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_BYTES}", "tmpfs", str(folder)], capture_output=True).returncode == 0
    if os.environ.get("CI") and not mounted:
        pytest.fail("CI runs as root and must be able to mount a small tmpfs for the full-disk tests")
    yield Disk(folder, None if mounted else limit_file_size(DISK_BYTES))
    if mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@pytest.fixture
def clip(tmp_path) -> Path:
    """A 2 s copy of the demo video (60 frames, 640x360)."""
    path = tmp_path / "clip.mp4"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(DEMO_VIDEO), "-frames:v", "60", "-c:v", "libx264",
                    "-preset", "ultrafast", str(path)], check=True)
    return path
