"""Timing several variants fairly on a shared, noisy machine.

Variants run round-robin (A, B, C, A, B, C, ...) after a warm-up, so slow phases of the
machine hit all of them alike; each reports the median of its repeats.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable

import torch


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def time_round_robin(
    variants: dict[str, Callable[[], object]],
    device: torch.device,
    repeats: int = 5,
    warmup: int = 1,
    progress: Callable[[str], None] | None = None,
) -> tuple[dict[str, list[float]], dict[str, str]]:
    """Seconds per call of each variant, ``repeats`` samples each, and the variants that
    failed in their first call (name -> error), which are left out."""
    failures: dict[str, str] = {}
    for name, fn in list(variants.items()):
        try:
            for _ in range(max(1, warmup)):
                fn()
        except Exception as exc:  # a peer library or torch.compile refusing a model is a result, not a crash
            failures[name] = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
            variants = {n: f for n, f in variants.items() if n != name}
        if progress:
            progress(f"warmed up {name}" if name not in failures else f"{name} failed: {failures[name]}")
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for round_index in range(repeats):
        for name, fn in variants.items():
            _synchronize(device)
            start = time.perf_counter()
            fn()
            _synchronize(device)
            samples[name].append(time.perf_counter() - start)
        if progress:
            progress(f"round {round_index + 1}/{repeats}")
    return samples, failures


def median_ms(samples: list[float]) -> float:
    return 1000 * statistics.median(samples)
