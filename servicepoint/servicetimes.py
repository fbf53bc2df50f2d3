"""Recent visit lengths per service, cached for a few seconds.

The wait estimate needs each service's recent visits; reading them for every
ticket of an issue burst would cost a query per service each. The cache keeps
each service's recent visits for ``ttl_s`` and asks a loader for them
otherwise, so the use cases (through their unit of work) and the screens' read
models (through SQL) share it.
"""
from __future__ import annotations

import datetime as dt
import threading
from typing import Callable, Sequence

# (service, how many) -> the most recent durations in seconds, oldest first
DurationLoader = Callable[[str, int], Sequence[float]]


class ServiceTimeCache:
    """Recent visit lengths per service, read again at most every ``ttl_s``."""

    SAMPLE = 40  # visits the estimate looks at: about the last hour or two of a service

    def __init__(self, ttl_s: float = 5.0):
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, tuple[float, ...]]] = {}

    def recent(self, service: str, now: dt.datetime, load: DurationLoader) -> tuple[float, ...]:
        """``service``'s recent visits at ``now``; ``load`` reads them when the cache is stale."""
        stamp = now.timestamp()
        with self._lock:
            hit = self._cache.get(service)
            if hit and 0 <= stamp - hit[0] < self.ttl_s:
                return hit[1]
        values = tuple(load(service, self.SAMPLE))
        with self._lock:
            self._cache[service] = (stamp, values)
        return values
