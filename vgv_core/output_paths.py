"""Output paths checked before any work starts, so that no output can destroy an input.

Every path is resolved (through links and ``..``) and refused, with one line naming the
option, when it would overwrite one of the run's inputs (a video, a model spec, weights,
a settings or regions file), when two outputs name the same file, when it is something
other than a regular file (a folder, a device such as /dev/null, a pipe), when its name is
not valid UTF-8, or when its folder does not exist or cannot be written. Folders that
receive outputs must be folders we may write into, or creatable.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from vgv_core.atomic_file import file_kind
from vgv_core.validation import SettingError, path_name


@dataclass(frozen=True)
class Output:
    option: str  # how the user named it, e.g. "-o" or "--csv"
    path: Path


def check_outputs(files: Sequence[Output], inputs: Iterable[str | Path], folders: Sequence[Output] = (),
                  create_folders: bool = False) -> None:
    """Refuse (SettingError) any output ``files`` or ``folders`` that cannot be written safely.

    Files whose folder is one of ``folders`` are not required to have it yet when
    ``create_folders`` (the caller creates them once every check passed)."""
    planned = {_real(folder.path) for folder in folders}
    for folder in folders:
        check_folder(folder, create_folders)
    sources = {_real(path): Path(path) for path in inputs if Path(path).exists()}
    seen: dict[str, Output] = {}
    for output in files:
        path_name(output.path, output.option)
        target = _real(output.path)
        if target in sources:
            raise SettingError(f"{output.option} {output.path} is the input {sources[target]}: writing it would "
                               "destroy the input; choose another name")
        if target in seen:
            raise SettingError(f"{seen[target].option} and {output.option} both name {output.path}; "
                               "give each output a name of its own")
        seen[target] = output
        _check_replaceable(output)
        parent = _real(output.path.parent if str(output.path.parent) else Path("."))
        if parent not in planned or not create_folders:
            _check_writable_folder(Path(parent), output.option)


def check_folder(folder: Output, create: bool = False) -> None:
    """``folder.path`` is a folder we may write into; or, with ``create``, one we may create."""
    path_name(folder.path, folder.option)
    if folder.path.exists() or not create:
        if not folder.path.is_dir():
            what = "does not exist" if not folder.path.exists() else f"is not a folder ({_kind(folder.path)})"
            raise SettingError(f"{folder.option} {folder.path} {what}; give an existing folder")
        _check_writable_folder(folder.path, folder.option)
        return
    parent = folder.path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise SettingError(f"{folder.option} {folder.path} cannot be created: {parent} is not a folder")
    _check_writable_folder(parent, folder.option)


def _check_replaceable(output: Output) -> None:
    try:
        mode = os.stat(output.path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise SettingError(f"{output.option} {output.path}: {exc.strerror}") from None
    if not stat.S_ISREG(mode):
        raise SettingError(f"{output.option} {output.path} is {file_kind(mode)}, not a regular file; "
                           "give a file name")


def _check_writable_folder(folder: Path, option: str) -> None:
    if not folder.is_dir():
        raise SettingError(f"{option}: output folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise SettingError(f"{option}: cannot write into {folder} (permission denied)")


def _kind(path: Path) -> str:
    return file_kind(os.stat(path).st_mode)


def _real(path: str | Path) -> str:
    return os.path.realpath(os.fspath(path))
