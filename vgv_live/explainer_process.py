"""ProcessExplainer: the live explanations computed in a child process.

In one process the window's GUI thread (pyqtgraph's Python and the Qt calls it makes)
and the worker's per-layer hooks take turns on one interpreter lock: on 2 cores the
demo's guided_gradcam made 17.7 explanations/s in the window against 27.0 headless
(docs/performance.md). A child process has a lock of its own. It holds a TunableExplainer
on its copy of the model; each window's frames reach it through shared memory, requests
and results through a pipe. This side offers what the worker and the window use:
``method``, ``layer``, ``notice``, ``labels``, ``request``, ``set_guard``, ``warm_up``,
``explain_windows``, ``close``.
"""

from __future__ import annotations

import io
import threading
from multiprocessing.connection import Connection
from multiprocessing.shared_memory import SharedMemory
from typing import Sequence

import numpy as np
import torch
import torch.multiprocessing

from vgv_core import VideoModel
from vgv_core.attention_guard import AttentionGuard
from vgv_core.errors import VGVError
from vgv_core.explain.layer_tap import resolve_layer
from vgv_core.explain.methods import validate_methods
from vgv_core.models.loader import build_net
from vgv_core.models.spec import ModelSpec
from vgv_live.clip_explainer import ClipExplanation

STOP_WAIT_S = 0.5  # how long close() waits for the child to end by itself, then for SIGTERM, before SIGKILL


class ProcessExplainer:
    def __init__(self, model: VideoModel, method: str, map_long_side: int, exact: bool, threads: int,
                 guard: AttentionGuard | None = None) -> None:
        (self.method,) = validate_methods(method)
        self.model = model
        named_layer = resolve_layer(model.net, None)
        self.layer: str | None = named_layer[0] if named_layer else None
        self.notice: str | None = None  # why the child refused the last request
        self._settings = (method, map_long_side, exact, threads, guard)
        self._lock = threading.Lock()
        self._requested: tuple[str | None, str | None] | None = None
        self._requested_guard: tuple[AttentionGuard | None] | None = None  # a 1-tuple: None is a valid guard
        self._process: torch.multiprocessing.Process | None = None
        self._connection: Connection | None = None
        self._frames: SharedMemory | None = None

    @property
    def labels(self) -> tuple[str, ...]:
        return self.model.spec.labels

    def request(self, method: str | None = None, layer: str | None = None) -> None:
        """Use ``method`` and/or the CAM ``layer`` (dotted name) from the next window on."""
        if method is not None:
            validate_methods(method)
        with self._lock:
            previous = self._requested or (None, None)
            self._requested = (method or previous[0], layer or previous[1])

    def set_guard(self, guard: AttentionGuard | None) -> None:
        """Measure attention with ``guard`` (None: not at all) from the next window on."""
        with self._lock:
            self._requested_guard = (guard,)

    def warm_up(self) -> None:
        """Start the child; returns once the child's model has made its first pass."""
        context = torch.multiprocessing.get_context("spawn")  # fork would copy locks held by other threads
        ours, theirs = context.Pipe()
        weights = io.BytesIO()  # the net itself does not pickle (pytorchvideo builds it with lambdas)
        torch.save(self.model.net.state_dict(), weights)
        model = (self.model.spec, weights.getvalue(), str(self.model.device))
        self._process = context.Process(target=serve, args=(theirs, model, *self._settings),
                                        name="vgv-explainer", daemon=True)
        self._process.start()
        theirs.close()  # only the child holds its end now: if the child dies, recv() sees the pipe end
        self._connection = ours
        self._receive()

    def explain_windows(
        self, windows: Sequence[tuple[np.ndarray, Sequence[int] | None]], target: int | None = None
    ) -> list[ClipExplanation]:
        """As ``ClipExplainer.explain_windows``, computed by the child."""
        if self._connection is None:
            raise VGVError("the explainer process is not running; call warm_up() first")
        shape = self._share_frames([frames for frames, _ in windows])
        ids = [None if frame_ids is None else [int(i) for i in frame_ids] for _, frame_ids in windows]
        with self._lock:
            requested, self._requested = self._requested, None
            guard, self._requested_guard = self._requested_guard, None
        explanations, self.method, self.layer, self.notice = self._receive(
            (self._frames.name, shape, ids, target, requested, guard))
        return explanations

    def close(self) -> None:
        """Stop the child and free the shared frames."""
        if self._connection is not None:
            try:
                self._connection.send(None)
            except OSError:  # the child is gone already
                pass
            self._connection.close()
            self._connection = None
        if self._process is not None:
            for end in (lambda: None, self._process.terminate, self._process.kill):  # asked already, then signals
                end()
                self._process.join(STOP_WAIT_S)
                if not self._process.is_alive():
                    break
            self._process = None
        self._free_frames()

    def _share_frames(self, windows: list[np.ndarray]) -> tuple[int, ...]:
        """Copy the windows' frames into shared memory (a larger block when they outgrow it)."""
        shape = (len(windows), *windows[0].shape)
        size = int(np.prod(shape))
        if self._frames is None or self._frames.size < size:
            self._free_frames()
            self._frames = SharedMemory(create=True, size=size)
        shared = np.ndarray(shape, np.uint8, self._frames.buf)
        for index, frames in enumerate(windows):
            shared[index] = frames
        return shape

    def _free_frames(self) -> None:
        if self._frames is not None:
            self._frames.close()
            self._frames.unlink()
            self._frames = None

    def _receive(self, message: tuple | None = None) -> list:
        """The child's answer ("ready", or "done" to ``message``); its failure raised here."""
        try:
            if message is not None:
                self._connection.send(message)
            outcome, *payload = self._connection.recv()
        except (EOFError, OSError):
            code = self._process.exitcode if self._process is not None else None
            raise VGVError(f"the explainer process ended unexpectedly (exit code {code}); "
                           "reopen the source, and report it if it happens again") from None
        if outcome == "failed":
            is_vgv, message = payload
            raise VGVError(message) if is_vgv else RuntimeError(message)
        return payload


def serve(connection: Connection, model: tuple[ModelSpec, bytes, str], method: str, map_long_side: int,
          exact: bool, threads: int, guard: AttentionGuard | None) -> None:
    """The child: rebuild the model, warm up, then explain what the parent sends until it sends None."""
    from vgv_live.app.tunable_explainer import TunableExplainer

    torch.set_num_threads(threads)
    frames: SharedMemory | None = None
    try:
        explainer = TunableExplainer(rebuilt(*model), method, map_long_side, exact, guard)
        explainer.warm_up()
        connection.send(("ready",))
        while (message := connection.recv()) is not None:
            name, shape, ids, target, requested, guard = message
            if frames is None or frames.name != name:
                frames = attached(name, frames)
            if requested is not None:
                explainer.request(*requested)
            if guard is not None:
                explainer.set_guard(*guard)
            windows = np.ndarray(shape, np.uint8, frames.buf)
            explanations = explainer.explain_windows(list(zip(windows, ids)), target)
            connection.send(("done", explanations, explainer.method, explainer.layer, explainer.notice))
    except (VGVError, RuntimeError, ValueError) as exc:
        connection.send(("failed", isinstance(exc, VGVError), str(exc)))
    except (EOFError, BrokenPipeError):  # the parent went away
        pass
    finally:
        if frames is not None:
            frames.close()


def rebuilt(spec: ModelSpec, weights: bytes, device: str) -> VideoModel:
    net = build_net(spec)
    net.load_state_dict(torch.load(io.BytesIO(weights), weights_only=True))
    return VideoModel(net.eval().to(device), spec, torch.device(device))


def attached(name: str, previous: SharedMemory | None) -> SharedMemory:
    """The parent's block ``name``; the parent owns (and unlinks) it. (Attaching registers the
    name with the resource tracker, which a spawned child shares with its parent: a no-op.)"""
    if previous is not None:
        previous.close()
    return SharedMemory(name=name)
