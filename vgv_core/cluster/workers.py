"""Model-holding Ray actors, one per worker slot, and the pool that feeds them tasks.

Layout: where the cluster has GPUs (and ``--device`` is not cpu), one actor per GPU
(``num_gpus=1``); otherwise one per ``threads`` CPUs, each running torch on that many
threads. Slots are counted node by node, so every actor fits on a node.

An actor loads its model once, in `load` (run on its work thread, the thread that later
explains: only that thread then owns a torch thread team), and keeps it for every task.
It has two threads (Ray concurrency groups): ``work`` runs the tasks one at a time,
``report`` answers `report` (what it is doing, how far) while a task runs.

Faults: an actor whose process dies is restarted by Ray (``max_restarts=-1``: it loads its
model again) and the task it was running is retried, up to ``TASK_RETRIES`` times (Ray's
``max_task_retries``), on the restarted actor, wherever Ray places it. A task still
failing then comes back as an exception, which the run records against its task.

The pool keeps ``DEPTH`` tasks queued per actor (the next one is waiting when a task ends)
and polls each actor's report every ``POLL_S``.
"""

from __future__ import annotations

import os
import socket
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Generic, TypeVar

import torch

from vgv_core.errors import VGVError

T = TypeVar("T")
WORK, REPORT = "work", "report"
TASK_RETRIES = 2
DEPTH = 2
POLL_S = 0.5
NAMESPACE = "vgv"


@dataclass(frozen=True)
class WorkerLayout:
    count: int
    num_cpus: int
    num_gpus: int

    @property
    def device(self) -> str:
        return "cuda" if self.num_gpus else "cpu"


def worker_layout(nodes: list[dict[str, float]], device: str, threads: int, most: int | None = None) -> WorkerLayout:
    """Worker slots on the cluster whose alive nodes have these ``Resources``."""
    use_gpus = device != "cpu" and any(node.get("GPU", 0) >= 1 for node in nodes)
    if device == "cuda" and not use_gpus:
        raise VGVError("--device cuda: the Ray cluster has no GPU; leave out --device or use --device cpu")
    count = 0
    for node in nodes:
        slots = int(node.get("CPU", 0)) // threads
        count += min(slots, int(node.get("GPU", 0))) if use_gpus else slots
    if most is not None:
        count = min(count, most)
    if count < 1:
        cpus = max((int(node.get("CPU", 0)) for node in nodes), default=0)
        raise VGVError(f"no worker fits on the Ray cluster: --threads {threads} per worker, "
                       f"at most {cpus} CPUs per node")
    return WorkerLayout(count, threads, 1 if use_gpus else 0)


class ModelWorker:
    """Base of the actors: `load` once, then tasks; `report` from a second thread."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self.device: torch.device | None = None
        self.status: dict[str, Any] = {"pid": os.getpid(), "node": socket.gethostname(), "task": None, "done": 0,
                                       "total": None}

    def load(self) -> dict[str, Any]:
        """Load the model (once per process); where it runs."""
        if self.device is None:
            torch.set_num_threads(self.threads)
            self.device = self._load()
        return {"pid": self.status["pid"], "node": self.status["node"], "device": str(self.device)}

    def report(self) -> dict[str, Any]:
        return dict(self.status)

    def _start(self, task: str, total: int | None = None) -> None:
        self.status.update(task=task, done=0, total=total)

    def _load(self) -> torch.device:
        raise NotImplementedError


@dataclass
class WorkerState:
    """What the driver knows of one actor."""

    index: int
    info: dict[str, Any] = field(default_factory=dict)  # from load: pid, node, device
    pids: set[int] = field(default_factory=set)
    report: dict[str, Any] = field(default_factory=dict)  # the latest
    queued: int = 0


class WorkerPool(Generic[T]):
    """``layout.count`` actors of ``worker_class``, built with ``init_args``."""

    def __init__(self, ray: ModuleType, worker_class: type[ModelWorker], layout: WorkerLayout, name: str,
                 *init_args: Any) -> None:
        self.ray = ray
        remote = ray.remote(
            num_cpus=layout.num_cpus, num_gpus=layout.num_gpus, max_restarts=-1, max_task_retries=TASK_RETRIES,
            concurrency_groups={WORK: 1, REPORT: 1},
        )(worker_class)
        named = [remote.options(name=f"{name}-{k}", namespace=NAMESPACE) for k in range(layout.count)]
        self.actors = [actor.remote(*init_args) for actor in named]
        self.workers = [WorkerState(k) for k in range(layout.count)]
        self._loading = {self.call(k, "load"): k for k in range(layout.count)}
        self.load_errors: list[str] = []
        self._polls: dict[Any, int] = {}
        self._polled_at = 0.0

    def call(self, index: int, method: str, *args: Any) -> Any:
        """``method(*args)`` on actor ``index``'s work thread: an ObjectRef."""
        return getattr(self.actors[index], method).options(concurrency_group=WORK).remote(*args)

    def wait_loaded(self) -> None:
        """Wait until one actor has loaded its model; raise the error of a failed load
        (bad arguments fail every actor alike)."""
        while not any(worker.info for worker in self.workers):
            self._check_loading()
            self._collect_loads(timeout=None)

    def run(self, tasks: Sequence[T], submit: Callable[[int, T], Any], finished: Callable[[T, int, Any], None],
            tick: Callable[[], None] = lambda: None) -> None:
        """Give every task to a loaded actor (``submit(worker, task)`` returns its ObjectRef);
        ``finished(task, worker, result)`` with the task's result, or the exception that
        ended it once Ray's retries were spent; ``tick()`` at every poll."""
        waiting: deque[T] = deque(tasks)
        running: dict[Any, tuple[T, int]] = {}
        while waiting or running:
            for worker in self.workers:
                while worker.info and worker.queued < DEPTH and waiting:
                    task = waiting.popleft()
                    running[submit(worker.index, task)] = (task, worker.index)
                    worker.queued += 1
            if running:
                ready, _ = self.ray.wait(list(running), num_returns=1, timeout=POLL_S)
            else:
                self._check_loading()
                ready = []
            self._collect_loads(timeout=0 if running else POLL_S)
            for ref in ready:
                task, index = running.pop(ref)
                self.workers[index].queued -= 1
                finished(task, index, self._result(ref))
            self._poll()
            tick()

    def _check_loading(self) -> None:
        if not self._loading:
            raise VGVError(f"no Ray worker could load the model: {'; '.join(self.load_errors)}")

    def _collect_loads(self, timeout: float | None) -> None:
        if not self._loading:
            return
        ready, _ = self.ray.wait(list(self._loading), num_returns=1, timeout=timeout)
        for ref in ready:
            index = self._loading.pop(ref)
            info = self._result(ref)
            if isinstance(info, VGVError):
                raise info
            if isinstance(info, BaseException):  # this actor gets no task
                self.load_errors.append(str(info).splitlines()[0])
                continue
            self.workers[index].info = info
            self.workers[index].pids.add(info["pid"])

    def _poll(self) -> None:
        now = time.monotonic()
        if now - self._polled_at < POLL_S:
            return
        self._polled_at = now
        answered = self.ray.wait(list(self._polls), num_returns=len(self._polls), timeout=0)[0] if self._polls else []
        for ref in answered:
            index = self._polls.pop(ref)
            report = self._result(ref)
            if isinstance(report, dict):
                self.workers[index].report = report
                self.workers[index].pids.add(report["pid"])
        asked = set(self._polls.values())
        for worker in self.workers:
            if worker.info and worker.index not in asked:
                actor = self.actors[worker.index]
                self._polls[actor.report.options(concurrency_group=REPORT, max_task_retries=0).remote()] = worker.index

    def _result(self, ref: Any) -> Any:
        """The value of ``ref``, or the exception that ended its task (the task's own
        exception when it raised one)."""
        try:
            return self.ray.get(ref)
        except self.ray.exceptions.RayTaskError as exc:
            return exc.cause if exc.cause is not None else exc
        except self.ray.exceptions.RayError as exc:
            return exc
