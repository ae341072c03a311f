"""A small least-recently-used store, safe to share between threads (the server's caches)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Recent"]

K = TypeVar("K")
V = TypeVar("V")


class Recent(Generic[K, V]):
    """The last ``entries`` values put, by key; the least recently used goes first."""

    def __init__(self, entries: int) -> None:
        self._entries = entries
        self._found: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value stored under ``key``, or None."""
        with self._lock:
            found = self._found.get(key)
            if found is not None:
                self._found.move_to_end(key)
            return found

    def put(self, key: K, value: V, *, replaces: Callable[[K, V], bool] | None = None) -> None:
        """Keep ``value`` under ``key``, forgetting the least recently used entry if full, and
        first every entry ``replaces`` says the new one makes useless (one that can never be
        asked for again: a count of entries bounds the memory only if those go)."""
        with self._lock:
            if replaces is not None:
                for old in [k for k, v in self._found.items() if replaces(k, v)]:
                    del self._found[old]
            self._found[key] = value
            self._found.move_to_end(key)
            while len(self._found) > self._entries:
                self._found.popitem(last=False)

    def __len__(self) -> int:
        return len(self._found)
