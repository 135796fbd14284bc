"""Helpers for the hardening tests: a nearly full disk, running the commands, finding leftovers."""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

REPO = Path(__file__).resolve().parents[2]
DEMO_VIDEO = REPO / "vgv_core" / "assets" / "demo" / "demo.mp4"
DISK_BYTES = 4096  # one page: less than any run's outputs in these tests, so every one of them hits the limit


@dataclass
class Disk:
    """A folder on a file system that is nearly full, and how a child process must be started
    for its limit to apply (None for a real tmpfs)."""

    folder: Path
    preexec: Callable[[], None] | None


def limit_file_size(size: int) -> Callable[[], None]:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))
    return apply


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
