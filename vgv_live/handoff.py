"""Handing results from the worker to other threads: a latest-wins slot and subscriptions."""

from __future__ import annotations

import threading
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class LatestSlot(Generic[T]):
    """Holds only the newest value; readers (a GUI timer) pull it at their own rate."""

    def __init__(self) -> None:
        self._value: T | None = None
        self._lock = threading.Lock()

    def put(self, value: T) -> None:
        with self._lock:
            self._value = value

    def get(self) -> T | None:
        with self._lock:
            return self._value


class Subscription(Generic[T]):
    """A bounded queue from one publisher to one reader.

    Live: when full, the oldest item is dropped (and counted); the publisher never waits.
    Lossless: the publisher waits for room, so the reader sees every item.
    """

    def __init__(self, size: int = 8, lossless: bool = False) -> None:
        self.size = size
        self.lossless = lossless
        self.dropped = 0
        self._items: deque[T] = deque()
        self._cond = threading.Condition()
        self._closed = False

    def put(self, item: T) -> bool:
        """Queue ``item``; False if the subscription was closed meanwhile."""
        with self._cond:
            if self.lossless:
                self._cond.wait_for(lambda: len(self._items) < self.size or self._closed)
            if self._closed:
                return False
            if len(self._items) >= self.size:
                self._items.popleft()
                self.dropped += 1
            self._items.append(item)
            self._cond.notify_all()
            return True

    def get(self, timeout: float | None = None) -> T | None:
        """The next item; None on timeout or when closed and empty."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._items or self._closed, timeout):
                return None
            if not self._items:
                return None
            item = self._items.popleft()
            self._cond.notify_all()
            return item

    def close(self) -> None:
        """No more items will come; wakes a waiting reader and a waiting publisher."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        """Closed and drained: the reader has seen everything."""
        with self._cond:
            return self._closed and not self._items
