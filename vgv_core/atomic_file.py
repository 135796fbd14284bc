"""Outputs appear complete or not at all: write to a temporary name beside the target,
rename into place when done."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from vgv_core.errors import VideoError

TEMP_RANDOM_LENGTH = 8  # the random part of tempfile.mkstemp's names


def temp_path_beside(path: Path) -> Path:
    """A fresh file in ``path``'s folder (same filesystem, so the rename is atomic)."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise VideoError(f"output folder {folder} does not exist")
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".partial{path.suffix}", dir=folder)
    except OSError as exc:
        raise VideoError(f"cannot write into {folder}: {exc.strerror or exc}") from None
    os.close(handle)
    return Path(name)


def publish(temp: Path, path: Path) -> Path:
    """Give ``temp`` the permissions a plain new file would have, and rename it to ``path``."""
    umask = os.umask(0)
    os.umask(umask)
    temp.chmod(0o666 & ~umask)
    os.replace(temp, path)
    return path


def remove_stale_temporaries(path: Path) -> None:
    """Delete the temporaries that unfinished writes of ``path`` left behind (a process killed
    mid-write cannot delete its own). Only call it when nothing is writing ``path``."""
    head, tail = f".{path.stem}.", f".partial{path.suffix}"
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        return
    for candidate in folder.iterdir():
        name = candidate.name
        middle = name[len(head):-len(tail)] if name.startswith(head) and name.endswith(tail) else ""
        if len(middle) == TEMP_RANDOM_LENGTH and "." not in middle:
            candidate.unlink(missing_ok=True)
