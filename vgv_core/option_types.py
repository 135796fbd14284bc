"""argparse types for numeric options, checked by the same rules as settings files
(vgv_core.validation): ``--end inf``, ``--hop 0`` or ``--alpha nan`` are one line and exit 2."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from vgv_core.validation import SettingError, number

def real(low: float | None = None, high: float | None = None, low_open: bool = False) -> Callable[[str], float]:
    """A finite number within the range."""
    return _option(float, "a number", low, high, low_open)


def whole(low: int | None = None, high: int | None = None) -> Callable[[str], int]:
    """A whole number within the range."""
    return _option(int, "a whole number", low, high, False)


def _option(kind: type, words: str, low: float | None, high: float | None, low_open: bool) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {words}, got {text!r}") from None
        try:
            return number(value, "", low, high, low_open, integer=kind is int)
        except SettingError as exc:  # "argument --hop: must be ..."
            raise argparse.ArgumentTypeError(str(exc).strip()) from None

    parse.__name__ = words  # argparse names the type in its messages
    return parse
