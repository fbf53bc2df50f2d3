"""Request counters for ``GET /metrics`` (Prometheus text format)."""
from __future__ import annotations

import threading
from collections import Counter

from flask import Flask, request


class Metrics:
    """Counts requests by method, route and status; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter = Counter()

    def install(self, app: Flask) -> None:
        @app.after_request
        def _count(response):
            rule = request.url_rule.rule if request.url_rule else "unmatched"
            with self._lock:
                self.requests[(request.method, rule, response.status_code)] += 1
            return response

    def snapshot(self) -> dict:
        with self._lock:
            return dict(self.requests)


def escape_label(value: object) -> str:
    """A Prometheus label value: backslash, quote and newline escaped."""
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
