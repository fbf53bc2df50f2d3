"""GET /api/v1/events: the Server-Sent Events stream screens subscribe to."""
from __future__ import annotations

import json

import pytest


class Stream:
    """Reads SSE events from a streamed test-client response, one event per ``next()``."""

    def __init__(self, client, headers=None, query=""):
        self.response = client.get(f"/api/v1/events{query}", headers=headers or {},
                                   buffered=False)
        assert self.response.status_code == 200
        assert self.response.mimetype == "text/event-stream"
        self._chunks = iter(self.response.response)
        self._buffer = ""

    def next(self) -> dict:
        while "\n\n" not in self._buffer:
            chunk = next(self._chunks)
            self._buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        raw, self._buffer = self._buffer.split("\n\n", 1)
        event: dict = {"raw": raw}
        for line in raw.split("\n"):
            if line.startswith(":"):
                event["comment"] = line[1:].strip()
                continue
            key, _, value = line.partition(": ")
            event[key] = json.loads(value) if key == "data" else value
        return event

    def close(self):
        self.response.close()


@pytest.fixture
def broadcaster(app):
    return app.extensions["servicepoint"]["broadcaster"]


def test_first_events_then_a_change(client, broadcaster):
    s = Stream(client)
    try:
        assert s.response.headers["Cache-Control"] == "no-cache"
        assert s.next() == {"raw": "retry: 2000", "retry": "2000"}
        hello = s.next()
        assert hello["event"] == "hello" and hello["data"] == {"version": broadcaster.version}
        assert hello["id"] == f"{broadcaster.boot}-{broadcaster.version}"
        assert broadcaster.clients == 1

        version = broadcaster.publish("queue")
        changed = s.next()
        assert changed["event"] == "changed"
        assert changed["data"] == {"version": version, "topics": ["queue"]}
        assert changed["id"] == f"{broadcaster.boot}-{version}"
        topic = s.next()
        assert topic["event"] == "queue" and topic["data"] == {"version": version}
    finally:
        s.close()
    assert broadcaster.clients == 0


def test_a_ticket_issue_reaches_the_stream(client, broadcaster):
    s = Stream(client)
    try:
        s.next(), s.next()
        assert client.post("/api/v1/tickets", json={"service": "A"}).status_code == 201
        changed = s.next()
        assert changed["event"] == "changed" and "queue" in changed["data"]["topics"]
    finally:
        s.close()


def test_heartbeat_when_nothing_happens(client):
    s = Stream(client)  # the test app beats every 0.2 s
    try:
        s.next(), s.next()
        assert s.next() == {"raw": ": heartbeat", "comment": "heartbeat"}
    finally:
        s.close()


def test_last_event_id_from_another_boot_resyncs_everything(client, broadcaster):
    broadcaster.publish("queue")
    s = Stream(client, headers={"Last-Event-ID": "0badb007-17"})
    try:
        assert s.next()["retry"] == "2000"
        first = s.next()
        assert first["event"] == "changed"
        assert first["data"] == {"version": broadcaster.version, "topics": ["*"]}
    finally:
        s.close()


def test_last_event_id_from_this_boot_gets_what_it_missed(client, broadcaster):
    seen = broadcaster.publish("queue")
    broadcaster.publish("counters")
    broadcaster.publish("print")
    s = Stream(client, headers={"Last-Event-ID": f"{broadcaster.boot}-{seen}"})
    try:
        s.next()
        first = s.next()
        assert first["event"] == "changed"
        assert first["data"] == {"version": seen + 2, "topics": ["counters", "print"]}
    finally:
        s.close()


def test_up_to_date_client_gets_hello(client, broadcaster):
    v = broadcaster.publish("queue")
    s = Stream(client, query=f"?version={v}")
    try:
        s.next()
        assert s.next()["event"] == "hello"
    finally:
        s.close()
    s = Stream(client, query=f"?version={v - 1}")
    try:
        s.next()
        assert s.next()["data"] == {"version": v, "topics": ["queue"]}
    finally:
        s.close()
