"""TunableExplainer: a ClipExplainer whose method, CAM layer and attention guard change while
the worker runs.

The window asks for a change from the GUI thread; the worker thread applies it at the
start of its next window, so ``method`` always names what computed the window just
explained (the worker reads it after the call) and no model code runs on the GUI thread.
A layer that the model cannot explain with is reverted, and ``notice`` says why.
"""

from __future__ import annotations

import threading
from typing import Sequence

import numpy as np

from vgv_core import Explainer, VideoModel
from vgv_core.attention_guard import AttentionGuard
from vgv_core.errors import VGVError
from vgv_core.explain.methods import validate_methods
from vgv_live.clip_explainer import ClipExplanation, ClipExplainer


class TunableExplainer(ClipExplainer):
    def __init__(
        self, model: VideoModel, method: str = "gradcam", map_long_side: int = 160, exact: bool = False,
        guard: AttentionGuard | None = None,
    ) -> None:
        super().__init__(model, method, map_long_side, exact, guard)
        self.layer: str | None = self._explainer.target_layer
        self.notice: str | None = None  # why the last request was refused, for the window
        self._lock = threading.Lock()
        self._requested: tuple[str, str | None] | None = None
        self._requested_guard: tuple[AttentionGuard | None] | None = None  # a 1-tuple: None is a valid guard

    def request(self, method: str | None = None, layer: str | None = None) -> None:
        """Use ``method`` and/or the CAM ``layer`` (dotted name) from the next window on."""
        if method is not None:
            validate_methods(method)
        with self._lock:
            current = self._requested or (self.method, self.layer)
            self._requested = (method or current[0], layer or current[1])

    def set_guard(self, guard: AttentionGuard | None) -> None:
        """Measure attention with ``guard`` (None: not at all) from the next window on."""
        with self._lock:
            self._requested_guard = (guard,)

    def explain_windows(
        self, windows: Sequence[tuple[np.ndarray, Sequence[int] | None]], target: int | None = None
    ) -> list[ClipExplanation]:
        with self._lock:
            guard, self._requested_guard = self._requested_guard, None
        if guard is not None:
            (self.guard,) = guard
        requested = self._take_request()
        if requested is not None:
            previous = (self.method, self.layer, self._explainer)
            try:
                self._use(*requested)
                return super().explain_windows(windows, target)
            except (VGVError, RuntimeError, ValueError) as exc:  # torch says ValueError for some layers
                self.method, self.layer, self._explainer = previous
                self.notice = f"cannot explain with {requested[0]} at layer {requested[1]!r}: {exc}".splitlines()[0]
        return super().explain_windows(windows, target)

    def _take_request(self) -> tuple[str, str | None] | None:
        with self._lock:
            requested, self._requested = self._requested, None
        return None if requested == (self.method, self.layer) else requested

    def _use(self, method: str, layer: str | None) -> None:
        if layer != self.layer:
            self._explainer = Explainer(self.model.net, target_layer=layer, exact=self.exact)
        self.method, self.layer = method, self._explainer.target_layer
        self.notice = None
