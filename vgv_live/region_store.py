"""RegionStore: the attention guard's regions, saved per source so they come back with it.

One regions file per source (vgv_core.regions' format) in a folder, named after the
source: a camera at a test bay keeps its regions across runs. A saved file that no
longer fits the model (a class renamed, say) is set aside rather than used: the
window opens with no regions and says why.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from vgv_core.regions import Regions, load_regions, save_regions
from vgv_core.validation import SettingError
from vgv_live.sources import Source


class RegionStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path_for(self, source: Source) -> Path:
        """The file of ``source``: a readable stem plus a hash of its full text (paths and URLs differ)."""
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", Path(source.target).name or source.target)[-40:]
        digest = hashlib.sha256(source.target.encode("utf-8", "surrogateescape")).hexdigest()[:12]
        return self.folder / f"{stem}-{digest}.json"

    def load(self, source: Source, labels: tuple[str, ...]) -> Regions | None:
        """The saved regions of ``source`` (None: none saved); SettingError when they do not fit."""
        path = self.path_for(source)
        if not path.is_file():
            return None
        try:
            return load_regions(path, labels)
        except SettingError as exc:
            raise SettingError(f"the regions saved for {source.text} no longer fit this model ({exc}); "
                               "draw them again or load a regions file") from None

    def save(self, source: Source, regions: Regions) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        return save_regions(self.path_for(source), regions)
