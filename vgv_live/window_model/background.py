"""BackgroundTask: run one callable off the GUI thread; the GUI polls for its outcome.

Used for everything slow that the window starts (loading a model, warming it up,
stopping a session): the display timer checks ``done`` and then reads ``value`` or
``error``. Any exception becomes ``error`` text, so a failure is shown in the window
instead of ending the program.
"""

from __future__ import annotations

import threading
from typing import Callable, Generic, TypeVar

from vgv_core.errors import VGVError

T = TypeVar("T")


class BackgroundTask(threading.Thread, Generic[T]):
    def __init__(self, name: str, work: Callable[[], T]) -> None:
        super().__init__(name=f"vgv-{name}", daemon=True)
        self._work = work
        self.value: T | None = None
        self.error: str | None = None
        self.done = False

    def run(self) -> None:
        try:
            self.value = self._work()
        except VGVError as exc:
            self.error = str(exc)
        except Exception as exc:  # noqa: BLE001  (the window shows it and stays usable)
            self.error = f"{type(exc).__name__}: {exc}".splitlines()[0]
        finally:
            self.done = True
