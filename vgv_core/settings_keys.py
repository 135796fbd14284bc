"""Settings files name dataclass fields; an unknown key is a typo the user should hear about."""

from __future__ import annotations

from dataclasses import fields
from typing import Any


def check_known_keys(data: dict[str, Any], settings_class: type, what: str, error: type[Exception]) -> dict[str, Any]:
    """Return ``data`` if every key is a field of ``settings_class``, else raise ``error``."""
    known = {f.name for f in fields(settings_class)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise error(f"{what} has unknown keys {unknown}; known: {sorted(known)}")
    return data
