"""A small thread-safe least-recently-used store for results whose computation reports progress.

Streamlit's `st.cache_data` replays the elements a cached function touched; a progress bar created outside
the function and updated from inside it cannot be replayed, so every cache hit would raise. Long work that
shows progress is therefore memoised here instead: the caller looks the key up, and only on a miss runs the
work with its progress bar outside any Streamlit cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Callable, Generic, Hashable, TypeVar

V = TypeVar("V")


class Memo(Generic[V]):
    """At most `max_entries` results by key; the least recently used is dropped first."""

    def __init__(self, max_entries: int) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be >= 1, got {max_entries}")
        self.max_entries = max_entries
        self._items: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        """The stored result for key (now the most recent), or None."""
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: Hashable, value: V) -> V:
        """Store a result and return it."""
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)
        return value

    def get_or_compute(self, key: Hashable, compute: Callable[[], V]) -> V:
        """The stored result, or compute() stored under key. Two sessions may both compute on a first miss."""
        found = self.get(key)
        return found if found is not None else self.put(key, compute())

    def __len__(self) -> int:
        return len(self._items)
