"""Shared read models computed once per change, not once per screen (docs/architecture.md,
*Live updates*).

Every kiosk, counter screen, display and dashboard shows the queue overview (waiting
counts and the wait a newcomer would be shown, per service). Each live change made
every screen ask for it again, so one call meant one queue estimate per screen. The
overview is now kept per broadcaster version and language: the first screen to ask
after a change computes it, the others get a copy. It is also recomputed once it is
``MAX_AGE_S`` old, because waits change as time passes even when nothing happens.
"""
from __future__ import annotations

import copy
import threading
import time
from typing import Any, Callable

from flask import current_app

MAX_AGE_S = 15.0
QUEUE_MAX_AGE_S = 5.0


class VersionCache:
    """Values keyed by name, valid for one broadcaster version and ``max_age_s``."""

    def __init__(self, version: Callable[[], int], max_age_s: float = MAX_AGE_S, size: int = 64):
        self.version = version
        self.max_age_s = max_age_s
        self.size = size
        self._values: dict[Any, tuple[int, float, Any]] = {}
        self._locks: dict[Any, threading.Lock] = {}
        self._guard = threading.Lock()
        self.computed = 0

    def get(self, key: Any, compute: Callable[[], Any], *, shared: bool = False,
            max_age_s: float | None = None) -> Any:
        """The value for ``key`` at the current version (computed by one caller at a time).

        Each caller gets its own copy, unless ``shared`` (an immutable value); a value
        older than ``max_age_s`` (default: the cache's) is computed again.
        """
        age = self.max_age_s if max_age_s is None else max_age_s
        hit = self._fresh(key, age)
        if hit is not None:
            return hit if shared else copy.deepcopy(hit)
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            hit = self._fresh(key, age)  # another thread may have just computed it
            if hit is None:
                version = self.version()
                hit = compute()
                self.computed += 1
                if len(self._values) >= self.size:
                    self._values.clear()
                self._values[key] = (version, time.monotonic(), hit)
        # Callers add their own fields to the rows: each gets its own copy.
        return hit if shared else copy.deepcopy(hit)

    def _fresh(self, key: Any, max_age_s: float) -> Any:
        found = self._values.get(key)
        if found is None:
            return None
        version, at, value = found
        if version != self.version() or time.monotonic() - at > max_age_s:
            return None
        return value


def install(app) -> VersionCache:
    """The app's cache, versioned by its live broadcaster."""
    broadcaster = app.extensions["servicepoint"]["broadcaster"]
    cache = VersionCache(lambda: broadcaster.version)
    app.extensions["servicepoint"]["views"] = cache
    return cache


def queue_overview(lang: str) -> list[dict]:
    """:func:`servicepoint.queries.queue_overview` in ``lang``, once per change."""
    from . import queries
    from .web_db import get_db, now, service_times

    cache: VersionCache = current_app.extensions["servicepoint"]["views"]
    return cache.get(("queue_overview", lang),
                     lambda: queries.queue_overview(get_db(), service_times(), now(), lang,
                                                    branch_queue()))


def branch_queue():
    """The branch's queue as the wait estimate reads it (every waiting ticket, the open
    counters, recent visits), read once per change for the queue overview and the
    phones' streams; its clock is set to now. At most ``QUEUE_MAX_AGE_S`` old: the
    last hour's arrivals move on with the clock."""
    import dataclasses

    from . import queries
    from .web_db import get_db, now, service_times

    cache: VersionCache = current_app.extensions["servicepoint"]["views"]
    queue = cache.get(("branch_queue",), lambda: queries.branch_queue(
        get_db(), service_times(), now()), shared=True, max_age_s=QUEUE_MAX_AGE_S)
    return dataclasses.replace(queue, now=now())


def shared(key: Any, compute: Callable[[], Any]) -> Any:
    """``compute()`` once per change for every screen asking with the same ``key``
    (a value that depends on the stored state alone, not on the time)."""
    cache: VersionCache = current_app.extensions["servicepoint"]["views"]
    return cache.get(key, compute)

