"""LiveConfig: every setting of a live run, from defaults, a TOML file and the command line.

Precedence: built-in defaults < the TOML file (``--config``) < flags given on the command
line. The TOML file uses the long flag names with underscores as keys, plus a
``[thresholds]`` table of ``label = probability``:

    model = "demo"
    hop = 2
    events = "events/"
    pre_roll = 2.0
    [thresholds]
    left_blinker = 0.6

Secrets (``mqtt_user``, ``mqtt_password``, ``http_token``) are read from the file or the
environment only, never from flags (vgv_live.edge.secrets).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from vgv_core.errors import VGVError
from vgv_core.render.blend import DEFAULT_ALPHA, DEFAULT_COLORMAP, HEAT, HeatStyle
from vgv_core.settings_keys import check_known_keys, read_settings_file
from vgv_core.validation import boolean, integer, mapping, number, optional, path_name, text
from vgv_live.cameras import camera_tables
from vgv_live.edge.addresses import http_address, mqtt_address, topic_prefix
from vgv_live.edge.secrets import token
from vgv_live.edge.settings import check_edge_settings


class ConfigError(VGVError, ValueError):
    """A config file or a setting that cannot be used."""


@dataclass(frozen=True)
class LiveConfig:
    source: str | None = None
    cameras: tuple[dict, ...] = ()  # several sources at once (vgv_live.cameras); source is then unused
    headless: bool = False
    model: str = "demo"
    checkpoint: str | None = None
    device: str = "auto"
    threads: int | None = None  # torch CPU threads; None = one less than the cores we may use
    method: str = "guided_gradcam"  # the method that points at the lamp (docs/evaluation.md)
    exact: bool = False  # the engine's exact mode: PyTorch's own kernels only
    target: str | None = None  # label or class index to explain; None = top-1
    hop: int = 1
    batch: int | None = None  # lossless: windows per pass when behind; None = by device (vgv_core.batching)
    lossless: bool = False  # files: explain every window instead of playing at native speed
    loop: bool | None = None  # files: start again at the end; None = the window loops, headless does not
    timeline: bool = True  # window: the whole-file confidence timeline, computed in the worker's idle time
    duration: float | None = None
    retry: bool = False
    open_timeout: float = 10.0
    stale_timeout: float = 5.0
    backoff_max: float = 30.0
    record: str | None = None
    jsonl: str | None = None
    events: str | None = None
    thresholds: dict[str, float] = field(default_factory=dict)
    regions: str | None = None  # the attention guard's regions file (vgv_core.regions)
    hysteresis: float = 0.1
    pre_roll: float = 2.0
    post_roll: float = 2.0
    snapshots: str | None = None
    snapshot_every: float = 10.0
    stats_every: float = 5.0
    ring_frames: int | None = None
    map_size: int = 160
    alpha: float = DEFAULT_ALPHA
    colormap: str = DEFAULT_COLORMAP
    blend: str = HEAT
    # edge operations (headless, vgv_live.edge); secrets are kept out of repr()
    mqtt: str | None = None  # mqtt://HOST:PORT or mqtts://HOST:PORT
    mqtt_prefix: str = "vgv"
    mqtt_user: str | None = field(default=None, repr=False)
    mqtt_password: str | None = field(default=None, repr=False)
    mqtt_ca: str | None = None  # mqtts: the CA file of a broker with a private certificate
    mqtt_buffer: int = 1000  # events kept while the broker is away; the oldest go first
    http: str | None = None  # HOST:PORT of the metrics, API and live view server
    http_token: str | None = field(default=None, repr=False)
    stream_fps: float = 10.0  # the MJPEG live view's frame rate cap
    keep_days: float | None = None  # events folder retention: the age of the oldest event kept
    keep_gb: float | None = None  # events folder retention: its size

    def __post_init__(self) -> None:
        try:
            for name, check in FIELD_CHECKS.items():
                check(getattr(self, name), name)
            self.style
            check_edge_settings(self)
        except VGVError as exc:
            raise ConfigError(f"invalid settings: {exc}") from None
        if self.cameras and self.source:
            raise ConfigError("invalid settings: give either one source or a list of cameras, not both")
        if self.thresholds and not self.events:
            raise ConfigError("invalid settings: thresholds need an events folder (--events DIR)")

    @property
    def style(self) -> HeatStyle:
        """How heatmaps are drawn over frames (window, recordings, event clips, snapshots)."""
        return HeatStyle(self.colormap, self.alpha, self.blend)


def _thresholds(value: Any, name: str) -> None:
    for label, prob in mapping(value, name).items():
        number(prob, f"the threshold for {label!r}", 0, 1, low_open=True)


def _label_or_index(value: Any, name: str) -> None:
    if isinstance(value, int) and not isinstance(value, bool):
        integer(value, name, 0)
    else:
        text(value, name)


def _seconds(value: Any, name: str) -> None:
    number(value, name, 0, MAX_SECONDS, low_open=True)


def _path(value: Any, name: str) -> None:
    """A path given as text whose name can be passed on (valid UTF-8)."""
    path_name(text(value, name), name)


MAX_SECONDS = 7 * 24 * 3600.0  # timeouts and intervals beyond a week are typing mistakes
MAX_RING_FRAMES = 100_000
FIELD_CHECKS: dict[str, Callable[[Any, str], Any]] = {
    "source": lambda v, n: optional(text, v, n),
    "cameras": camera_tables,
    "headless": boolean,
    "model": text,
    "checkpoint": lambda v, n: optional(_path, v, n),
    "device": text,
    "threads": lambda v, n: optional(integer, v, n, 1, 1024),
    "method": text,
    "exact": boolean,
    "target": lambda v, n: optional(_label_or_index, v, n),
    "hop": lambda v, n: integer(v, n, 1, 10_000),
    "batch": lambda v, n: optional(integer, v, n, 1, 1024),
    "lossless": boolean,
    "loop": lambda v, n: optional(boolean, v, n),
    "timeline": boolean,
    "duration": lambda v, n: optional(number, v, n, 0, 10 * 365 * 24 * 3600.0, low_open=True),
    "retry": boolean,
    "open_timeout": _seconds,
    "stale_timeout": _seconds,
    "backoff_max": _seconds,
    "record": lambda v, n: optional(_path, v, n),
    "jsonl": lambda v, n: optional(_path, v, n),
    "events": lambda v, n: optional(_path, v, n),
    "thresholds": _thresholds,
    "regions": lambda v, n: optional(_path, v, n),
    "hysteresis": lambda v, n: number(v, n, 0, 1),
    "pre_roll": lambda v, n: number(v, n, 0, 3600),
    "post_roll": lambda v, n: number(v, n, 0, 3600),
    "snapshots": lambda v, n: optional(_path, v, n),
    "snapshot_every": _seconds,
    "stats_every": _seconds,
    "ring_frames": lambda v, n: optional(integer, v, n, 1, MAX_RING_FRAMES),
    "map_size": lambda v, n: integer(v, n, 8, 4096),
    "alpha": lambda v, n: number(v, n, 0, 1),
    "colormap": text,
    "blend": text,
    "mqtt": lambda v, n: optional(mqtt_address, v, n),
    "mqtt_prefix": topic_prefix,
    "mqtt_user": lambda v, n: optional(text, v, n),
    "mqtt_password": lambda v, n: optional(text, v, n),
    "mqtt_ca": lambda v, n: optional(_path, v, n),
    "mqtt_buffer": lambda v, n: integer(v, n, 1, 1_000_000),
    "http": lambda v, n: optional(http_address, v, n),
    "http_token": lambda v, n: optional(token, v, n),
    "stream_fps": lambda v, n: number(v, n, 0, 60, low_open=True),
    "keep_days": lambda v, n: optional(number, v, n, 0, 100 * 365, low_open=True),
    "keep_gb": lambda v, n: optional(number, v, n, 0, 1e6, low_open=True),
}


def load_toml(path: str | Path) -> dict[str, Any]:
    """Settings from a TOML file, checked against LiveConfig's field names."""
    what = f"config file {path}"
    data = read_settings_file(Path(path), tomllib.loads, (tomllib.TOMLDecodeError,), "TOML", what, ConfigError)
    return check_known_keys(data, LiveConfig, what, ConfigError)


def merge(file_settings: dict[str, Any], flag_settings: dict[str, Any]) -> LiveConfig:
    """Defaults, then the file, then the flags that were given (None = not given)."""
    given = {key: value for key, value in flag_settings.items() if value is not None}
    try:
        from_file = mapping(file_settings.get("thresholds", {}), "thresholds")
    except VGVError as exc:
        raise ConfigError(f"invalid settings: {exc}") from None
    thresholds = {**from_file, **given.pop("thresholds", {})}
    if "source" in given or "cameras" in given:  # SOURCE arguments replace the file's source or cameras
        if "cameras" in file_settings:  # still, a broken list in the file is said
            try:
                camera_tables(file_settings["cameras"], "cameras")
            except VGVError as exc:
                raise ConfigError(f"invalid settings: {exc}") from None
        file_settings = {key: value for key, value in file_settings.items() if key not in ("source", "cameras")}
    settings = {**file_settings, **given, "thresholds": thresholds}
    try:
        return replace(LiveConfig(), **settings)
    except TypeError as exc:
        raise ConfigError(f"invalid settings: {exc}") from None
