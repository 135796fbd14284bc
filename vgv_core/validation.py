"""Values from users checked once, at the boundary: options, settings files, regions files.

Each check takes the value and the name the user knows it by (a flag, a settings key, a
path inside a file) and returns the value in the type the code wants, or raises
SettingError with one line that names the setting, says what was wrong and what is
accepted. JSON and TOML give bools where numbers are expected and strings where lists
are: none of those pass.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
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


def integer(value: Any, name: str, low: int | None = None, high: int | None = None) -> int:
    """A whole number within [low, high]."""
    return int(number(value, name, low, high, integer=True))


def boolean(value: Any, name: str) -> bool:
    """true or false (not 0/1, not "yes")."""
    if not isinstance(value, bool):
        raise SettingError(f"{name} must be true or false, got {describe(value)}")
    return value


def numbers(value: Any, name: str, count: int, low: float | None = None, high: float | None = None,
            low_open: bool = False) -> tuple[float, ...]:
    """A list of exactly ``count`` finite numbers, each within the range."""
    items = listing(value, name)
    if len(items) != count:
        raise SettingError(f"{name} must be a list of {count} numbers, got {len(items)}")
    return tuple(number(item, name, low, high, low_open) for item in items)


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


def path_name(path: str | Path, name: str) -> Path:
    """A path whose name is valid UTF-8: others cannot be passed on safely (OpenCV crashes on them)."""
    try:
        os.fspath(path).encode("utf-8")
    except UnicodeEncodeError:
        shown = os.fsencode(path).decode("utf-8", "backslashreplace")
        raise SettingError(f"{name} {shown}: the name is not valid UTF-8; rename the file") from None
    return Path(path)


def optional(check: Callable[..., Any], value: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    """None, or what ``check`` makes of ``value``."""
    return None if value is None else check(value, name, *args, **kwargs)


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
        return f"{'above' if low_open else 'at least'} {_shown(low)} and at most {_shown(high)}"
    if low is not None:
        return f"{'above' if low_open else 'at least'} {_shown(low)}"
    return f"at most {_shown(high)}"


def _shown(bound: float) -> str:
    return f"{bound:,}" if float(bound).is_integer() and abs(bound) >= 10_000 else f"{bound:g}"
