"""The per-change cache of shared read models (servicepoint/view_cache.py)."""
from __future__ import annotations

import threading

from servicepoint.view_cache import VersionCache


def test_computed_once_per_version_and_each_caller_gets_its_own_copy():
    version = [1]
    calls = []

    def compute():
        calls.append(version[0])
        return [{"service": "A", "waiting": len(calls)}]

    cache = VersionCache(lambda: version[0])
    first = cache.get("overview", compute)
    first[0]["extra"] = "a screen's own field"
    again = cache.get("overview", compute)
    assert calls == [1] and again == [{"service": "A", "waiting": 1}]
    version[0] = 2
    assert cache.get("overview", compute) == [{"service": "A", "waiting": 2}]
    assert cache.get(("overview", "es"), compute)[0]["waiting"] == 3  # another key
    assert calls == [1, 2, 2]


def test_a_value_older_than_its_age_is_computed_again():
    calls = []
    cache = VersionCache(lambda: 7, max_age_s=0.0)
    cache.get("k", lambda: calls.append(1) or len(calls))
    cache.get("k", lambda: calls.append(1) or len(calls))
    assert len(calls) == 2


def test_many_screens_at_once_compute_it_once():
    gate = threading.Event()
    calls = []

    def compute():
        calls.append(1)
        gate.wait(5)
        return {"n": 1}

    cache = VersionCache(lambda: 3)
    results = []
    ready = threading.Barrier(9)

    def screen():
        ready.wait(5)
        results.append(cache.get("k", compute))

    threads = [threading.Thread(target=screen) for _ in range(8)]
    for t in threads:
        t.start()
    ready.wait(5)  # all eight ask while the first one computes
    gate.set()
    for t in threads:
        t.join(10)
    assert results == [{"n": 1}] * 8 and calls == [1]
