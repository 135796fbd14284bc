"""Outputs appear complete or not at all: write to a temporary name beside the target,
rename into place when done. Only a regular file (or nothing) is ever replaced, and a
failed write is one WriteError that names the file."""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np

from vgv_core.errors import VideoError, WriteError

TEMP_RANDOM_LENGTH = 8  # the random part of tempfile.mkstemp's names


def temp_path_beside(path: Path) -> Path:
    """A fresh file in ``path``'s folder (same filesystem, so the rename is atomic)."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise VideoError(f"output folder {folder} does not exist")
    try:
        handle, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".partial{path.suffix}", dir=folder)
    except OSError as exc:
        raise WriteError(f"cannot write into {folder}: {exc.strerror or exc}") from None
    os.close(handle)
    return Path(name)


def publish(temp: Path, path: Path) -> Path:
    """Give ``temp`` the permissions a plain new file would have, and rename it to ``path``."""
    refuse_to_replace(path)
    umask = os.umask(0)
    os.umask(umask)
    with writing(path):
        temp.chmod(0o666 & ~umask)
        os.replace(temp, path)
    return path


def refuse_to_replace(path: Path) -> None:
    """A VideoError unless ``path`` is free or a regular file (never a folder, device, pipe or socket)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode)):
        raise VideoError(f"{path} is not a regular file ({file_kind(mode)}); choose another output name")


def file_kind(mode: int) -> str:
    kinds = ((stat.S_ISREG, "a file"), (stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"),
             (stat.S_ISLNK, "a link"))
    return next((name for test, name in kinds if test(mode)), "a special file")


def write_atomically(path: Path, write: Callable[[Path], object]) -> Path:
    """Call ``write`` on a temporary file beside ``path``, then rename it to ``path``: the file is
    complete or not there at all."""
    path = Path(path)
    temp = temp_path_beside(path)
    try:
        with writing(path):
            write(temp)
        return publish(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def write_bytes_atomically(path: Path, data: bytes) -> Path:
    """``data`` at ``path``, complete or not at all."""
    return write_atomically(path, lambda temp: temp.write_bytes(data))


def write_text_atomically(path: Path, text: str) -> Path:
    """``text`` (UTF-8) at ``path``, complete or not at all."""
    return write_bytes_atomically(path, text.encode("utf-8"))


def write_image_atomically(path: Path, image: np.ndarray) -> Path:
    """A uint8 BGR image in the format of ``path``'s suffix (.png, .jpg), complete or not at all."""
    ok, encoded = cv2.imencode(path.suffix, image)
    if not ok:
        raise VideoError(f"cannot encode an image as {path.suffix!r} for {path}")
    return write_bytes_atomically(path, encoded.tobytes())


@contextmanager
def writing(path: Path) -> Iterator[None]:
    """An OSError within the block (disk full, I/O error, ...) becomes a WriteError naming ``path``."""
    try:
        yield
    except OSError as exc:
        raise WriteError(f"cannot write {path}: {exc.strerror or exc}") from None


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
