"""Recent service-time statistics per service, cached for a few seconds.

The wait estimate needs each service's recent service times; reading them for
every ticket of an issue burst would cost a query each. The cache keeps each
service's statistics for ``ttl_s`` and asks a loader for the durations
otherwise, so the use cases (through their unit of work) and the screens'
read models (through SQL) share it.
"""
from __future__ import annotations

import datetime as dt
import threading
from typing import Callable, Sequence

from .domain import estimate as est

# (service, how many) -> the most recent service times in seconds, oldest first
DurationLoader = Callable[[str, int], Sequence[float]]


class ServiceTimeCache:
    """Recent service-time statistics per service, recomputed at most every ``ttl_s``."""

    SAMPLE = 60  # service times that make up the statistics

    def __init__(self, ttl_s: float = 5.0):
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, est.ServiceTimeStats | None]] = {}

    def get(self, service: str, now: dt.datetime,
            load: DurationLoader) -> est.ServiceTimeStats | None:
        """``service``'s statistics at ``now``; ``load`` reads the durations when the cache is stale."""
        stamp = now.timestamp()
        with self._lock:
            hit = self._cache.get(service)
            if hit and 0 <= stamp - hit[0] < self.ttl_s:
                return hit[1]
        stats = est.service_time_stats(load(service, self.SAMPLE))
        with self._lock:
            self._cache[service] = (stamp, stats)
        return stats
