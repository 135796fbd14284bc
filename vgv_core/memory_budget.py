"""Refusing work whose buffers would not fit in memory, before allocating them."""

from __future__ import annotations

import os

from vgv_core.errors import VGVError

USABLE_SHARE = 0.8  # of the memory available now: the rest is for the model, decoders and the system


def available_bytes() -> int:
    """Memory available to new allocations now (Linux: MemAvailable), else all physical memory."""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def check_fits(size: int, what: str, remedy: str) -> None:
    """A VGVError, in words, when ``size`` bytes for ``what`` would not fit in memory."""
    available = available_bytes()
    if size > USABLE_SHARE * available:
        raise VGVError(f"{what} would need {_gigabytes(size)} of memory, and {_gigabytes(available)} is "
                       f"available: {remedy}")


def _gigabytes(size: int) -> str:
    return f"{size / 2**30:.1f} GB" if size >= 2**27 else f"{size / 2**20:.0f} MB"
