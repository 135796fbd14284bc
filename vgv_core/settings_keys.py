"""Settings files (model spec JSON, live TOML config): read with one clear error per problem.

Their keys name dataclass fields; an unknown key is a typo the user should hear about.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any, Callable


def read_settings_file(
    path: Path, parse: Callable[[str], Any], parse_errors: tuple[type[Exception], ...], fmt: str, what: str,
    error: type[Exception],
) -> Any:
    """``parse`` the text of ``path``; a missing file or bad ``fmt`` raises ``error`` naming ``what``."""
    try:
        return parse(path.read_text())
    except FileNotFoundError:
        raise error(f"{what} does not exist") from None
    except (*parse_errors, UnicodeDecodeError) as exc:
        raise error(f"{what} is not valid {fmt}: {exc}") from None


def check_known_keys(data: dict[str, Any], settings_class: type, what: str, error: type[Exception]) -> dict[str, Any]:
    """Return ``data`` if every key is a field of ``settings_class``, else raise ``error``."""
    known = {f.name for f in fields(settings_class)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise error(f"{what} has unknown keys {unknown}; known: {sorted(known)}")
    return data
