"""Request counters for ``GET /metrics`` (Prometheus text format)."""
from __future__ import annotations

import threading
from collections import Counter

from flask import Flask, request

# Label values come only from these sets, so no caller can mint new series: a made-up
# method is "other" and a path no route matches is "unmatched".
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class Metrics:
    """Counts requests by method, route template and status; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter = Counter()

    def install(self, app: Flask) -> None:
        @app.after_request
        def _count(response):
            rule = request.url_rule.rule if request.url_rule else "unmatched"
            method = request.method if request.method in METHODS else "other"
            with self._lock:
                self.requests[(method, rule, response.status_code)] += 1
            return response

    def snapshot(self) -> dict:
        with self._lock:
            return dict(self.requests)


def escape_label(value: object) -> str:
    """A Prometheus label value: backslash, quote and newline escaped."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
