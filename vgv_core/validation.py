"""Values from users checked once, at the boundary: options, settings files, regions files.

Each check takes the value and the name the user knows it by (a flag, a settings key, a
path inside a file) and returns the value in the type the code wants, or raises
SettingError with one line that names the setting, says what was wrong and what is
accepted. JSON and TOML give bools where numbers are expected and strings where lists
are: none of those pass.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from vgv_core.errors import VGVError


class SettingError(VGVError, ValueError):
    """An option or a settings value that cannot be used."""


def number(value: Any, name: str, low: float | None = None, high: float | None = None,
           low_open: bool = False, integer: bool = False) -> float:
    """A finite real number (an int when ``integer``) within [low, high] ((low, high] when ``low_open``)."""
    kind = "a whole number" if integer else "a number"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SettingError(f"{name} must be {kind}, got {describe(value)}")
    if not math.isfinite(value):
        raise SettingError(f"{name} must be a finite number, got {value}")
    if integer and value != int(value):
        raise SettingError(f"{name} must be a whole number, got {value}")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and value > high
    if too_low or too_high:
        raise SettingError(f"{name} must be {_range_text(low, high, low_open)}, got {value}")
    return int(value) if integer else float(value)


def text(value: Any, name: str) -> str:
    """A non-empty string."""
    if not isinstance(value, str) or not value.strip():
        raise SettingError(f"{name} must be a non-empty text, got {describe(value)}")
    return value


def mapping(value: Any, name: str) -> Mapping[str, Any]:
    """A JSON object / TOML table."""
    if not isinstance(value, Mapping):
        raise SettingError(f"{name} must be an object of names to values, got {describe(value)}")
    return value


def listing(value: Any, name: str) -> list[Any]:
    """A JSON array / TOML array (a string is not a list of its letters)."""
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        raise SettingError(f"{name} must be a list, got {describe(value)}")
    return list(value)


def known_name(value: Any, name: str, known: Iterable[str]) -> str:
    """One of ``known``."""
    known = tuple(known)
    if not isinstance(value, str) or value not in known:
        raise SettingError(f"{name}: unknown {describe(value)}; known: {', '.join(known)}")
    return value


def describe(value: Any) -> str:
    """A value as an error message shows it: short, with its kind."""
    if value is None:
        return "nothing (null)"
    shown = repr(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return f"{type(value).__name__} {shown}"


def _range_text(low: float | None, high: float | None, low_open: bool) -> str:
    if low is not None and high is not None:
        return f"{'above' if low_open else 'at least'} {low:g} and at most {high:g}"
    if low is not None:
        return f"{'above' if low_open else 'at least'} {low:g}"
    return f"at most {high:g}"
