"""The in-process live broadcaster behind Server-Sent Events (docs/architecture.md, *Live updates*).

A version number plus a condition variable: every change bumps the version,
wakes threads waiting for it (the print agents' long-poll) and calls the
listeners — the stream server (:mod:`servicepoint.live_streams`) hands each
change to its event loop, which tells the open streams. Event ids carry a boot
id, so a client reconnecting after a server restart is told to re-sync at once.
"""
from __future__ import annotations

import secrets
import threading
import time
from collections import deque


class Broadcaster:
    """Version counter and wake-up for SSE streams; safe to share between threads."""

    HISTORY = 256

    def __init__(self) -> None:
        self.boot = secrets.token_hex(4)
        self._cond = threading.Condition()
        self._version = 0
        self._recent: deque[tuple[int, str]] = deque(maxlen=self.HISTORY)
        self.clients = 0
        self._topic_events: dict[str, threading.Event] = {}
        self._listeners: list = []

    @property
    def version(self) -> int:
        return self._version

    def event_id(self, version: int | None = None) -> str:
        return f"{self.boot}-{self._version if version is None else version}"

    def publish(self, topic: str) -> int:
        """Record a change on ``topic`` and wake every stream; returns the new version."""
        with self._cond:
            self._version += 1
            self._recent.append((self._version, topic))
            self._cond.notify_all()
            event = self._topic_events.get(topic)
            version = self._version
        if event is not None:
            event.set()
        for listener in self._listeners:
            listener(version, topic)
        return version

    def listen(self, callback) -> None:
        """Call ``callback(version, topic)`` after every change, in the publishing thread
        (the stream server hands it to its event loop; it must not block)."""
        with self._cond:
            self._listeners = [*self._listeners, callback]

    def topic_event(self, topic: str) -> threading.Event:
        """An Event set on every change of ``topic``, for a background worker that only
        cares about one topic (waking it for every queue change would cost each ticket)."""
        with self._cond:
            return self._topic_events.setdefault(topic, threading.Event())

    def topics_since(self, version: int) -> list[str]:
        """Topics changed after ``version`` (all known topics if history was lost)."""
        with self._cond:
            if self._recent and self._recent[0][0] > version + 1:
                return ["*"]
            return sorted({t for v, t in self._recent if v > version})

    def wait(self, since: int, timeout: float) -> int:
        """Block until the version passes ``since`` or ``timeout`` ends; returns the version."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._version <= since:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            return self._version

    def connect(self) -> None:
        """Count an open stream (for /metrics)."""
        with self._cond:
            self.clients += 1

    def disconnect(self) -> None:
        with self._cond:
            self.clients -= 1

    def parse_last_id(self, last_id: str | None) -> int | None:
        """The version a reconnecting client last saw, or None if it is from another boot."""
        if not last_id:
            return None
        boot, _, version = last_id.rpartition("-")
        # A bounded digit count: int() of thousands of digits is slow, then refused.
        if boot != self.boot or not (version.isascii() and version.isdigit()) or len(version) > 18:
            return None
        return min(int(version), self._version)
