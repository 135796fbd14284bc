"""Which videos the INPUTs of `vgv explain` name, and what their outputs are called.

An INPUT is a video file, a folder of videos (with ``recursive``, its subfolders too), a
glob pattern (``recordings/2026-*/*.mp4``; ``**`` spans folders), or a manifest file
listing videos: ``.txt``/``.lst`` one path per line (blank lines and ``#`` comments
skipped), ``.csv`` a header row with a ``path`` column. A manifest's relative paths are
relative to its own folder. Hidden files (names starting with a dot, as the temporaries
of unfinished outputs do) are never taken from a folder or pattern.

Each video's output name is its path below its input's root, without the suffix: the
root of a folder is the folder, of a pattern the folder before its first wildcard, of a
manifest the folder its entries share, of a single file its own folder. So outputs
mirror the layout of an archive (``day1/cam0``, ``day2/cam0``), and a flat folder gives
``<stem>.<ext>`` per video.
"""

from __future__ import annotations

import csv
import glob
import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vgv_core.errors import VGVError, VideoError
from vgv_core.shipped import named_input
from vgv_core.validation import path_name

VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".avi", ".mkv", ".webm", ".mpg", ".mpeg", ".ts", ".wmv", ".flv")
MANIFEST_SUFFIXES = (".txt", ".lst", ".csv")


@dataclass(frozen=True)
class Video:
    path: Path
    name: str  # output name: the path below the input's root, no suffix, '/'-separated


@dataclass(frozen=True)
class VideoList:
    videos: list[Video]
    several: bool  # more than one video may come: outputs are folders


def find_videos(inputs: Sequence[str], recursive: bool = False, exclude: Sequence[Path] = ()) -> VideoList:
    """The videos ``inputs`` name, in input order (each input's own sorted by path); files
    under a folder in ``exclude`` (the output folders) are left out."""
    videos: list[Video] = []
    several = len(inputs) > 1
    skipped = [folder.resolve() for folder in exclude]
    for text in inputs:
        path = named_input(text)
        if path.is_dir():
            found, root = _folder(path, recursive), path
        elif path.suffix.lower() in MANIFEST_SUFFIXES and path.is_file():
            found = _manifest(path)
            root = Path(os.path.commonpath([p.parent for p in found]))
        elif glob.has_magic(text) and not path.exists():
            found, root = _pattern(text), _literal_prefix(Path(text))
        else:
            videos.append(Video(path, path.stem))
            continue
        several = True
        videos += [Video(p, _name(p, root)) for p in found if not _under(p, skipped)]
    for video in videos:
        path_name(video.path, "INPUT")
    _check_names(videos, several)
    return VideoList(videos, several)


def _folder(folder: Path, recursive: bool) -> list[Path]:
    candidates = folder.rglob("*") if recursive else folder.iterdir()
    found = sorted(p for p in candidates if _is_video_file(p, folder))
    if not found:
        where = f"folder {folder}" + (" and its subfolders" if recursive else "")
        hint = "" if recursive else " (--recursive looks into subfolders)"
        raise VideoError(f"{where} holds no video files ({' '.join(VIDEO_SUFFIXES)}){hint}")
    return found


def _pattern(pattern: str) -> list[Path]:
    found = sorted(Path(p) for p in glob.glob(os.path.expanduser(pattern), recursive=True))
    found = [p for p in found if _is_video_file(p)]
    if not found:
        raise VideoError(f"no video file matches {pattern} ({' '.join(VIDEO_SUFFIXES)})")
    return found


def _manifest(path: Path) -> list[Path]:
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise VideoError(f"cannot read the list of videos {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if path.suffix.lower() == ".csv":
        rows = csv.DictReader(text.splitlines())
        if "path" not in (rows.fieldnames or []):
            raise VGVError(f"{path} has no 'path' column: a CSV list of videos names them in a column headed path")
        entries = [row["path"].strip() for row in rows if (row["path"] or "").strip()]
    else:
        entries = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not entries:
        raise VideoError(f"the list of videos {path} names none")
    return [Path(os.path.abspath(path.parent / Path(entry).expanduser())) for entry in entries]


def _is_video_file(path: Path, below: Path | None = None) -> bool:
    hidden = any(part.startswith(".") for part in (path.relative_to(below).parts if below else (path.name,)))
    return path.suffix.lower() in VIDEO_SUFFIXES and not hidden and path.is_file()


def _literal_prefix(pattern: Path) -> Path:
    """The folder of ``pattern`` before its first wildcard."""
    parts = []
    for part in pattern.expanduser().parts[:-1]:
        if glob.has_magic(part):
            break
        parts.append(part)
    return Path(*parts) if parts else Path(".")


def _name(path: Path, root: Path) -> str:
    relative = Path(os.path.relpath(path, root))
    if os.pardir in relative.parts:  # never write outside the output folder
        relative = Path(path.name)
    return (relative.parent / relative.stem).as_posix()


def _under(path: Path, folders: list[Path]) -> bool:
    resolved = path.resolve()
    return any(resolved.is_relative_to(folder) for folder in folders)


def _check_names(videos: list[Video], several: bool) -> None:
    counts = Counter(video.name for video in videos)
    clashes = sorted(name for name, count in counts.items() if count > 1)
    if several and clashes:
        raise VGVError(f"several inputs are named {clashes[0]}.*; their outputs would share names: explain them apart")
