"""Decode -> explain -> render/encode, overlapped in threads joined by bounded queues.

Each stage is an iterator; `prefetch` runs one in its own thread behind a queue of
``depth`` items, so decoding, the model and encoding overlap while at most ``depth``
items wait between two stages: memory stays bounded whatever the video's length.
``pipelined=False`` chains the very same stages in the calling thread (for measuring
what the overlap gains, and for debugging).

On the CPU the model stage runs in the calling thread too, with the sink: both are torch
work on the same cores, and torch work in two threads gives each its own OpenMP team;
with two teams every op in the process ran slower (most likely libgomp's throttling: with
more of its threads than cores it stops spinning between parallel regions). The demo
video on 2 threads: 35.9-38.5 s with the model in its own thread, 29.1-31.0 s without,
28.9-31.2 s with no overlap at all. Decoding (OpenCV) still overlaps them.

Stopping: when the consumer stops early (an error, Ctrl-C in the main thread), the
producer thread is told to stop, its iterator is closed in its own thread (which stops
the stage before it in turn), and it is joined for a bounded time.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")

QUEUE_DEPTH = 8
JOIN_TIMEOUT_S = 10.0
POLL_S = 0.1  # a blocked get() misses a SIGINT delivered to another thread; polling lets Ctrl-C in
_END = object()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def prefetch(items: Iterable[T], depth: int = QUEUE_DEPTH, name: str = "prefetch") -> Iterator[T]:
    """Iterate ``items`` in a thread of its own, ``depth`` items ahead of the consumer."""
    channel: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def offer(item: object) -> bool:
        while not stop.is_set():
            try:
                channel.put(item, timeout=POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        iterator = iter(items)
        try:
            for item in iterator:
                if not offer(item):
                    return
            offer(_END)
        except BaseException as error:  # handed to the consumer, which raises it
            offer(_Failure(error))
        finally:
            close = getattr(iterator, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name=name, daemon=True)
    thread.start()
    try:
        while True:
            try:
                item = channel.get(timeout=POLL_S)
            except queue.Empty:
                continue
            if item is _END:
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        thread.join(JOIN_TIMEOUT_S)


def run_pipeline(
    frames: Iterable[T],
    explain: Callable[[Iterable[T]], Iterator[R]],
    sink: Callable[[R], None],
    pipelined: bool = True,
    depth: int = QUEUE_DEPTH,
    explain_thread: bool = True,
) -> int:
    """Feed ``frames`` through ``explain`` into ``sink`` (called in this thread); returns the
    count. ``explain_thread``: when pipelined, whether ``explain`` runs in a thread of its own
    or here with ``sink`` (False on the CPU: see the module doc)."""
    if pipelined:
        frames = prefetch(frames, depth, "vgv-decode")
    results = explain(frames)
    if pipelined and explain_thread:
        results = prefetch(results, depth, "vgv-explain")
    count = 0
    try:
        for result in results:
            sink(result)
            count += 1
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()
    return count
