"""What ships inside the package (vgv_core/assets), and the names that stand for it.

``demo`` names the demo model (its spec) and the demo video; ``bay`` names the bay video
(one parked car, vgv_core.demo.bay) and, given to ``--regions``, the bay's regions file,
which is also what the bay video is guarded by when no regions are given. A file of
that name in the working folder wins over the shipped one.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

DEMO = "demo"  # the name of the shipped demo model, and of its video as an input
BAY = "bay"  # the name of the shipped bay video, and of its regions file
NAMED_VIDEOS = {DEMO: "demo.mp4", BAY: "bay.mp4"}
NAMED_REGIONS = {BAY: "bay_regions.json"}


def assets_dir() -> Path:
    """The assets that ship inside the package, vgv_core/assets (override with VGV_ASSETS)."""
    override = os.environ.get("VGV_ASSETS")
    return Path(override) if override else Path(os.fspath(files("vgv_core") / "assets"))


def demo_video_path() -> Path:
    return assets_dir() / "demo" / NAMED_VIDEOS[DEMO]


def demo_spec_path() -> Path:
    return assets_dir() / "demo" / "spec.json"


def named_input(text: str) -> Path:
    """A video path as given, or a shipped video for its name (when no such file is here)."""
    return _named(text, NAMED_VIDEOS)


def named_regions(text: str) -> Path:
    """A regions file path as given, or the shipped bay's regions for ``bay`` (when no such file is here)."""
    return _named(text, NAMED_REGIONS)


def _named(text: str, names: dict[str, str]) -> Path:
    path = Path(text).expanduser()
    return assets_dir() / "demo" / names[text] if text in names and not path.exists() else path


def shipped_regions_of(video: str | Path) -> Path | None:
    """The regions file that ships with a shipped video (the bay's), or None for any other video."""
    for name, regions in NAMED_REGIONS.items():
        shipped = assets_dir() / "demo" / NAMED_VIDEOS[name]
        if Path(video).resolve() == shipped.resolve():
            return assets_dir() / "demo" / regions
    return None
