"""Timing several variants fairly on a shared, noisy machine.

Variants run round-robin (A, B, C, A, B, C, ...) after a warm-up, so slow phases of the
machine hit all of them alike; each reports the median of its repeats. As with timeit, the
garbage collector is off while a sample is timed, and a fast variant is called several
times back to back per sample (at least MIN_SAMPLE_SECONDS of work): one scheduler hiccup
then no longer decides a 20 ms sample.
"""

from __future__ import annotations

import gc
import math
import time
from typing import Callable

import torch

MIN_SAMPLE_SECONDS = 0.25


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
    calls = {name: _calls_per_sample(fn, device) for name, fn in variants.items()}
    samples: dict[str, list[float]] = {name: [] for name in variants}
    for round_index in range(repeats):
        for name, fn in variants.items():
            samples[name].append(_timed(fn, device, calls[name]) / calls[name])
        if progress:
            progress(f"round {round_index + 1}/{repeats}")
    return samples, failures


def _timed(fn: Callable[[], object], device: torch.device, calls: int) -> float:
    """Seconds for ``calls`` back-to-back calls, the garbage collector off."""
    gc.collect()
    gc.disable()
    try:
        _synchronize(device)
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        _synchronize(device)
        return time.perf_counter() - start
    finally:
        gc.enable()


def _calls_per_sample(fn: Callable[[], object], device: torch.device) -> int:
    return max(1, math.ceil(MIN_SAMPLE_SECONDS / max(_timed(fn, device, 1), 1e-6)))
