"""
Counting of repeated events, so that a log line repeated for every message of a batch is
written on the 1st, 10th, 100th... occurrence only, with the count so far.
"""

from __future__ import annotations

import threading
from collections import Counter

#: The key that every distinct value past ``max_keys`` is counted under.
OTHER = "<other values>"


class RepeatCounter:
    """
    A thread-safe counter of events by key that decides when an event is worth logging.

    At most ``max_keys`` distinct keys are counted one by one. Later new keys share the
    key :data:`OTHER`, so a stream of distinct values cannot grow memory or log volume
    without bound.
    """

    def __init__(self, max_keys: int = 100):
        self.max_keys = max_keys
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, key: str) -> tuple[str, int, bool]:
        """
        Count one event of ``key``.

        Returns:
            ``(counted_key, count, should_log)``: the key it was counted under (``key`` or
            :data:`OTHER`), the count of that key so far, and whether the count is a
            power of ten.
        """
        with self._lock:
            if key not in self._counts and len(self._counts) >= self.max_keys:
                key = OTHER
            self._counts[key] += 1
            count = self._counts[key]
        return key, count, _is_power_of_ten(count)

    def counts(self) -> dict[str, int]:
        """Return a copy of the counts by key."""
        with self._lock:
            return dict(self._counts)

    def clear(self) -> None:
        """Forget every count, so the next event of each key is logged again."""
        with self._lock:
            self._counts.clear()


def _is_power_of_ten(number: int) -> bool:
    while number % 10 == 0:
        number //= 10
    return number == 1
