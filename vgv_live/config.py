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
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from vgv_core.errors import VGVError
from vgv_core.render.blend import DEFAULT_ALPHA, DEFAULT_COLORMAP, HEAT, HeatStyle
from vgv_core.settings_keys import check_known_keys, read_settings_file


class ConfigError(VGVError, ValueError):
    """A config file or a setting that cannot be used."""


@dataclass(frozen=True)
class LiveConfig:
    source: str | None = None
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

    def __post_init__(self) -> None:
        problems = [
            f"{name} must be > 0" for name in ("open_timeout", "stale_timeout", "backoff_max", "stats_every", "snapshot_every")
            if getattr(self, name) <= 0
        ]
        if self.hop < 1:
            problems.append("hop must be >= 1")
        if self.batch is not None and self.batch < 1:
            problems.append("batch must be >= 1")
        if self.threads is not None and self.threads < 1:
            problems.append("threads must be >= 1")
        if self.duration is not None and self.duration <= 0:
            problems.append("duration must be > 0")
        if self.pre_roll < 0 or self.post_roll < 0:
            problems.append("pre_roll and post_roll must be >= 0")
        try:
            self.style
        except VGVError as exc:
            problems.append(str(exc))
        for label, prob in self.thresholds.items():
            if not 0 < prob <= 1:
                problems.append(f"threshold for {label!r} must be in (0, 1], got {prob}")
        if self.thresholds and not self.events:
            problems.append("thresholds need an events folder (--events DIR)")
        if problems:
            raise ConfigError("invalid settings: " + "; ".join(problems))

    @property
    def style(self) -> HeatStyle:
        """How heatmaps are drawn over frames (window, recordings, event clips, snapshots)."""
        return HeatStyle(self.colormap, self.alpha, self.blend)


def load_toml(path: str | Path) -> dict[str, Any]:
    """Settings from a TOML file, checked against LiveConfig's field names."""
    what = f"config file {path}"
    data = read_settings_file(Path(path), tomllib.loads, (tomllib.TOMLDecodeError,), "TOML", what, ConfigError)
    return check_known_keys(data, LiveConfig, what, ConfigError)


def merge(file_settings: dict[str, Any], flag_settings: dict[str, Any]) -> LiveConfig:
    """Defaults, then the file, then the flags that were given (None = not given)."""
    given = {key: value for key, value in flag_settings.items() if value is not None}
    thresholds = {**file_settings.get("thresholds", {}), **given.pop("thresholds", {})}
    settings = {**file_settings, **given, "thresholds": thresholds}
    try:
        return replace(LiveConfig(), **settings)
    except TypeError as exc:
        raise ConfigError(f"invalid settings: {exc}") from None
