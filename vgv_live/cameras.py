"""Cameras: the sources of a run, each with a name and its own settings.

Several SOURCE arguments are cameras ``cam0``, ``cam1``, ... with the run's settings. The
TOML config may list them instead, each with a name, a source and its own values of some
settings, which replace the run's for that camera:

    [[cameras]]
    name = "front"
    source = "rtsp://127.0.0.1:8554/front"
    method = "gradcam"
    regions = "front_regions.json"
    [cameras.thresholds]
    left_blinker = 0.7

Each camera writes its own outputs: ``--record`` and a ``--jsonl`` path with ``{camera}`` in
them are filled in with its name (a record path without it gets ``_<camera>`` before its
suffix); the events and snapshots folders get a sub-folder per camera. A ``--jsonl`` path
without ``{camera}`` is one file for all cameras, each line with a ``camera`` field.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from vgv_core.errors import VGVError
from vgv_core.validation import SettingError, listing, mapping, text

if TYPE_CHECKING:  # config.py checks camera lists with camera_tables: a runtime import would be circular
    from vgv_live.config import LiveConfig

CAMERA_SETTINGS = ("model", "checkpoint", "method", "thresholds", "regions", "hop")  # a camera may have its own
CAMERA_KEYS = ("name", "source", *CAMERA_SETTINGS)
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")  # also a folder, a file name part and an MQTT topic level


def camera_tables(value: Any, name: str) -> tuple[dict, ...]:
    """The config's ``[[cameras]]``: tables with a unique name, a source and known keys only."""
    tables = [dict(mapping(table, f"{name}[{index}]")) for index, table in enumerate(listing(value, name))]
    seen: set[str] = set()
    for index, table in enumerate(tables):
        unknown = sorted(set(table) - set(CAMERA_KEYS))
        if unknown:
            raise SettingError(f"{name}[{index}]: unknown key {unknown[0]!r}; a camera has: {', '.join(CAMERA_KEYS)}")
        camera = text(table.get("name"), f"{name}[{index}].name")
        if not NAME.fullmatch(camera):
            raise SettingError(f"{name}[{index}].name {camera!r}: use letters, digits, '-' and '_' (at most 64)")
        if camera in seen:
            raise SettingError(f"{name}: the camera name {camera!r} is given twice; each camera needs its own")
        seen.add(camera)
        text(table.get("source"), f"camera {camera!r}: source")
    return tuple(tables)


def named_sources(sources: Sequence[str]) -> tuple[dict, ...]:
    """SOURCE arguments as cameras cam0, cam1, ..."""
    return tuple({"name": f"cam{index}", "source": source} for index, source in enumerate(sources))


@dataclass(frozen=True)
class Camera:
    name: str
    config: "LiveConfig"  # the run's settings with this camera's source and own settings


def cameras_of(config: "LiveConfig") -> list[Camera]:
    """Each camera of ``config`` (a LiveConfig with ``cameras``) with its settings, checked."""
    if config.lossless:
        raise SettingError("--lossless explains one file; several cameras are explained live (drop --lossless)")
    cameras = []
    for table in config.cameras:
        own = {key: value for key, value in table.items() if key in CAMERA_SETTINGS}
        if "thresholds" in own:
            own["thresholds"] = {**config.thresholds, **mapping(own["thresholds"], "thresholds")}
        try:
            settings = replace(config, source=table["source"], cameras=(), **own, **outputs_of(config, table["name"]))
        except VGVError as exc:
            raise type(exc)(f"camera {table['name']!r}: {exc}") from None
        cameras.append(Camera(table["name"], settings))
    return cameras


def outputs_of(config: "LiveConfig", camera: str) -> dict[str, str | None]:
    """The camera's own output paths (see the module's text); a shared JSONL file is the run's."""
    record = config.record and per_camera_file(config.record, camera)
    jsonl = config.jsonl and "{camera}" in config.jsonl and config.jsonl.replace("{camera}", camera) or None
    events = config.events and str(Path(config.events) / camera)
    snapshots = config.snapshots and str(Path(config.snapshots) / camera)
    return {"record": record, "jsonl": jsonl, "events": events, "snapshots": snapshots}


def per_camera_file(path: str, camera: str) -> str:
    if "{camera}" in path:
        return path.replace("{camera}", camera)
    named = Path(path)
    return str(named.with_name(f"{named.stem}_{camera}{named.suffix}"))
