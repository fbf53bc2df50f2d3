"""A small in-process sliding-window limiter: at most ``limit`` hits per ``window_s`` per key.

One server process serves the branch, so memory is the right place for it; a
restart forgets the window, which is harmless.
"""
from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable


class RateLimiter:
    """Counts recent hits per key; ``allow(key)`` records a hit only when it is allowed."""

    def __init__(self, limit: int = 10, window_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._hits: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and now - hits[0] >= self.window_s:
            hits.popleft()
        return hits

    def allow(self, key: str, limit: int | None = None) -> bool:
        """True (and the hit is counted) while ``key`` is under its limit.

        ``limit`` overrides the limiter's own for this key (a kiosk's own rate).
        """
        with self._lock:
            now = self._clock()
            hits = self._recent(key, now)
            if len(hits) >= (self.limit if limit is None else limit):
                return False
            hits.append(now)
            return True

    def retry_after(self, key: str, limit: int | None = None) -> int:
        """Whole seconds until ``key`` may try again (0 when it may now)."""
        with self._lock:
            now = self._clock()
            hits = self._recent(key, now)
            limit = self.limit if limit is None else limit
            if len(hits) < limit:
                return 0
            # The oldest hit that still keeps the key at its limit must leave the window.
            oldest = hits[len(hits) - limit] if limit > 0 else hits[-1]
            return max(1, int(oldest + self.window_s - now + 0.999))
