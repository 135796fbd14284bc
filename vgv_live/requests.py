"""Requests: changes asked for from another thread (the window's), taken between passes.

The worker thread owns the model and every setting of its passes; the GUI never writes
into them. It puts a request here instead (the newest value of each setting wins), and
the worker takes the pending requests at the start of its next pass.
"""

from __future__ import annotations

import threading
from typing import Any


class _Unchanged:
    def __repr__(self) -> str:
        return "UNCHANGED"


UNCHANGED: Any = _Unchanged()  # a keyword left alone (None is a value some settings take)


class Requests:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[str, Any] = {}

    def put(self, **changes: Any) -> None:
        """Ask for ``changes`` (a keyword given UNCHANGED is not a change)."""
        with self._lock:
            self._pending.update({key: value for key, value in changes.items() if value is not UNCHANGED})

    def take(self) -> dict[str, Any]:
        """Every change asked for since the last take, and forget them."""
        with self._lock:
            pending, self._pending = self._pending, {}
        return pending
