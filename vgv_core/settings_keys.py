"""Settings files (model spec JSON, live TOML config): read with one clear error per problem.

Their keys name dataclass fields; an unknown key is a typo the user should hear about.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any, Callable

from vgv_core.validation import describe


def read_settings_file(
    path: Path, parse: Callable[[str], Any], parse_errors: tuple[type[Exception], ...], fmt: str, what: str,
    error: type[Exception],
) -> Any:
    """``parse`` the UTF-8 text of ``path``; a missing, unreadable or bad ``fmt`` file raises ``error``
    naming ``what``."""
    if not path.is_file():
        raise error(f"{what} does not exist" if not path.exists() else f"{what} is not a file")
    try:
        return parse(path.read_text(encoding="utf-8"))
    except (*parse_errors, UnicodeDecodeError, RecursionError) as exc:
        raise error(f"{what} is not valid {fmt}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}") from None
    except OSError as exc:
        raise error(f"cannot read {what}: {exc.strerror or exc}") from None


def settings_mapping(data: Any, what: str, error: type[Exception]) -> dict[str, Any]:
    """``data`` when it is a JSON object / TOML table, else ``error``."""
    if not isinstance(data, dict):
        raise error(f"{what} must hold an object of settings, not {describe(data)}")
    return data


def check_known_keys(data: Any, settings_class: type, what: str, error: type[Exception]) -> dict[str, Any]:
    """Return ``data`` if it is a mapping whose every key is a field of ``settings_class``, else raise ``error``."""
    data = settings_mapping(data, what, error)
    known = {f.name for f in fields(settings_class)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise error(f"{what} has unknown keys {unknown}; known: {sorted(known)}")
    return data
