"""Keep the process's torch CPU work to one long-lived thread: the worker's.

Each thread that runs a parallel torch op gets an OpenMP team of its own, kept until the
thread exits. With two long-lived teams (the main thread loaded the model, the worker
runs it), every op in the process ran about 2x slower on the CPU: the demo's
guided_gradcam live on 2 threads made 13-18 explanations/s instead of 21-30
(docs/performance.md). So setup that runs torch ops, such as loading the model, runs in a
thread that ends when it is done.
"""

from __future__ import annotations

import threading
from typing import Callable, TypeVar

T = TypeVar("T")


def in_passing_thread(function: Callable[..., T], *args, **kwargs) -> T:
    """``function(*args, **kwargs)`` run in a thread that ends with it; its result, or its
    exception raised here."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["result"] = function(*args, **kwargs)
        except BaseException as error:  # raised again in the caller
            outcome["error"] = error

    thread = threading.Thread(target=run, name="vgv-setup", daemon=True)  # daemon: Ctrl-C need not wait
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]
