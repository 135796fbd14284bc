"""The methods a benchmark compares: the engine's own, plus any callable.

A user method is a callable with the MapMethod signature::

    def my_method(net: torch.nn.Module, clips: Tensor, targets: Tensor) -> Tensor:
        ...

- ``net``: the classifier in eval mode. During the sanity check it is a copy with
  randomised layers: compute the map from THIS net, not from one captured earlier.
- ``clips``: (B, C, T, H, W) float, normalised for the model, on its device.
- ``targets``: (B,) long, the class to explain for each clip.
- returns (B, T, H, W) float on the clips' device, one value per input voxel, higher
  meaning more relevant. Values are min-max scaled to [0, 1] per clip afterwards, as
  the engine's maps are.
A method that draws random numbers may also have ``reseed(seed: int)``: the benchmark
calls it before every batch and before the sanity check with a seed of that batch's own
(vgv_core.evaluation.streams), so a run split over several workers draws the same maps.
The engine's methods (vgv_core.explain.METHODS) asked for together are computed by one
Explainer pass per batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Callable

import torch.nn as nn
from torch import Tensor

from vgv_core.errors import MethodError
from vgv_core.explain import Explainer
from vgv_core.explain.engine import normalize_maps
from vgv_core.explain.methods import validate_methods

MapMethod = Callable[[nn.Module, Tensor, Tensor], Tensor]


class MethodSet:
    """Named maps for a batch: ``engine`` method names and ``custom`` callables by name.
    ``target_layer``: the CAM layer's dotted name (None: the model spec's or detected);
    ``exact``: the engine's exact mode (see `Explainer`)."""

    def __init__(
        self,
        engine: Sequence[str] = (),
        custom: Mapping[str, MapMethod] | None = None,
        target_layer: str | None = None,
        exact: bool = False,
    ) -> None:
        self.engine = validate_methods(tuple(engine)) if engine else ()
        self.custom = dict(custom or {})
        clash = sorted(set(self.engine) & set(self.custom))
        if clash:
            raise MethodError(f"method name(s) {clash} given twice; rename the custom method")
        if not self.engine and not self.custom:
            raise MethodError("no method to evaluate")
        self.target_layer = target_layer
        self.exact = exact
        self._explainer: Explainer | None = None

    @property
    def names(self) -> tuple[str, ...]:
        return self.engine + tuple(self.custom)

    def reseed(self, seed: int) -> None:
        """Re-seed every custom method that draws random numbers (has ``reseed``)."""
        for method in self.custom.values():
            reseed = getattr(method, "reseed", None)
            if reseed is not None:
                reseed(seed)

    def maps(self, net: nn.Module, clips: Tensor, targets: Tensor) -> dict[str, Tensor]:
        """name -> (B, T, H, W) map in [0, 1] of each method, computed from ``net``."""
        maps = {}
        if self.engine:
            maps.update(self._explainer_for(net).explain(clips, targets=targets, methods=self.engine).maps)
        for name, method in self.custom.items():
            maps[name] = self._checked(name, method(net, clips, targets), clips)
        return maps

    def _explainer_for(self, net: nn.Module) -> Explainer:
        if self._explainer is None or self._explainer.model is not net:
            self._explainer = Explainer(net, self.target_layer, exact=self.exact)
        return self._explainer

    @staticmethod
    def _checked(name: str, maps: Tensor, clips: Tensor) -> Tensor:
        expected = (clips.shape[0],) + tuple(clips.shape[2:])
        if tuple(maps.shape) != expected:
            raise MethodError(f"method {name!r} returned maps of shape {tuple(maps.shape)}, expected {expected}")
        return normalize_maps(maps.detach().float(), "clip")
