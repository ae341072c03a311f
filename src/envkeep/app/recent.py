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
    """The last ``entries`` values put, by key; the least recently used goes first. With
    ``weigh``, also at most ``budget`` of what it weighs (bytes, roughly) in all: a count alone
    lets a few large values (an environment of thousands of secrets is megabytes) fill memory.
    A value heavier than the whole budget is not kept."""

    def __init__(
        self, entries: int, *, budget: int = 0, weigh: Callable[[V], int] | None = None
    ) -> None:
        self._entries = entries
        self._found: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        self._budget = budget
        self._weigh = weigh
        self._weights: dict[K, int] = {}
        self._weight = 0

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
        weight = 0 if self._weigh is None else self._weigh(value)
        with self._lock:
            if replaces is not None:
                for old in [k for k, v in self._found.items() if replaces(k, v)]:
                    self._drop(old)
            self._drop(key)
            if self._weigh is not None and weight > self._budget:
                return  # it would push out everything else, and itself
            self._found[key] = value
            self._weights[key] = weight
            self._weight += weight
            while self._found and (
                len(self._found) > self._entries
                or (self._weigh is not None and self._weight > self._budget)
            ):
                self._drop(next(iter(self._found)))

    def _drop(self, key: K) -> None:
        if self._found.pop(key, None) is not None:
            self._weight -= self._weights.pop(key)

    @property
    def weight(self) -> int:
        """What the values kept weigh together (0 without ``weigh``)."""
        return self._weight

    def __len__(self) -> int:
        return len(self._found)
