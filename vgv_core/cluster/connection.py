"""The Ray cluster that `--ray` names, joined or started for the length of a run.

- ``local:N``: a cluster started here for this run, with N worker slots, stopped at the end.
  Every one of its ports listens on loopback only (127.0.0.1), and it has no dashboard.
- ``auto``: the cluster at ``RAY_ADDRESS``.
- ``ADDRESS`` (``host:port`` of the head's GCS, or ``ray://host:port``): that cluster.

Ray binds its servers to the node's address; asked for 127.0.0.1, Ray (>= 2.4x) still
swaps in the machine's outward address unless ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``
(the switch it uses on single-machine platforms), so that is set, before Ray is imported,
for a local cluster and for joining one at a loopback address; a run then checks that
the node really is on loopback. Ray is an optional extra: without it, `--ray` says how to
install it (exit 2).
"""

from __future__ import annotations

import importlib.util
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType

from vgv_core.errors import VGVError
from vgv_core.loopback import is_loopback

INSTALL_HINT = "pip install 'videogradvis-live[ray]'"
LOOPBACK = "127.0.0.1"
LOOPBACK_SWITCH = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"  # "0": Ray keeps a loopback node address


@dataclass(frozen=True)
class ClusterSpec:
    address: str | None  # None: start a local cluster
    local_workers: int | None = None

    @classmethod
    def parse(cls, text: str) -> "ClusterSpec":
        if text.startswith("local:"):
            count = text.removeprefix("local:")
            if not count.isdigit() or int(count) < 1:
                raise VGVError(f"--ray local:N wants a number of workers N >= 1, got {text!r}")
            return cls(None, int(count))
        if text == "auto":
            address = os.environ.get("RAY_ADDRESS")
            if not address:
                raise VGVError("--ray auto joins the cluster named by RAY_ADDRESS, which is not set: export it, "
                               "give the cluster's ADDRESS, or use local:N")
            return cls(address)
        if not text:
            raise VGVError("--ray wants local:N, auto or the ADDRESS of a cluster")
        return cls(text)

    @property
    def on_loopback(self) -> bool:
        if self.address is None:
            return True
        return is_loopback(self.address.removeprefix("ray://").rsplit(":", 1)[0].strip("[]"))

    def describe(self) -> str:
        if self.address is None:
            return f"a local Ray cluster of {self.local_workers} workers"
        return f"Ray at {self.address}"


def require_ray() -> None:
    """Say how to install Ray when it is missing; checked without importing it (see `connected`)."""
    try:
        found = importlib.util.find_spec("ray") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise VGVError(f"--ray needs Ray, an optional extra: {INSTALL_HINT}")


@contextmanager
def connected(spec: ClusterSpec, cpus: int | None = None) -> Iterator[ModuleType]:
    """Ray, connected to the cluster ``spec`` names (a local one with ``cpus`` CPUs), until the
    block ends; a local cluster is stopped then."""
    require_ray()
    if spec.on_loopback:
        os.environ.setdefault(LOOPBACK_SWITCH, "0")
    import ray
    quiet = {"log_to_driver": False, "logging_level": logging.ERROR}
    try:
        if spec.address is None:
            ray.init(address="local", num_cpus=cpus, include_dashboard=False, _node_ip_address=LOOPBACK, **quiet)
        else:
            ray.init(address=spec.address, **quiet)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise VGVError(f"cannot start or reach {spec.describe()}: {str(exc).splitlines()[0]}") from None
    try:
        node = ray.util.get_node_ip_address()
        if spec.on_loopback and node != LOOPBACK:
            raise VGVError(f"Ray did not keep to the loopback interface (node address {node}): "
                           f"unset {LOOPBACK_SWITCH} or set it to 0")
        yield ray
    finally:
        ray.shutdown()
