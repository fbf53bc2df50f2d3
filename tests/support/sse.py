"""A small Server-Sent Events reader over a raw socket, for tests against a real server."""
from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit


class SSE:
    """One ``GET`` of an event stream; :meth:`next` returns the next event (or comment).

    Reads with a socket timeout as a bound (a stream that says nothing fails the
    test), never sleeps.
    """

    def __init__(self, base_url: str, path: str = "/api/v1/events", headers=None,
                 timeout: float = 20.0, source: str | None = None):
        parts = urlsplit(base_url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout,
                                             source_address=(source, 0) if source else None)
        lines = [f"GET {path} HTTP/1.1", f"Host: {parts.hostname}", "Accept: text/event-stream"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        self._raw = b""
        head = self._until(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        self.status = int(status_line.split()[1])
        self.headers = {k.strip().lower(): v.strip() for k, _, v in
                        (h.partition(":") for h in header_lines)}
        self.chunked = self.headers.get("transfer-encoding", "").lower() == "chunked"
        self._text = ""

    def _until(self, mark: bytes) -> bytes:
        while mark not in self._raw:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the server closed the stream")
            self._raw += data
        head, _, self._raw = self._raw.partition(mark)
        return head

    def body(self) -> bytes:
        """The whole body of a short (non-stream) answer, e.g. a 429."""
        length = int(self.headers.get("content-length", "0"))
        while len(self._raw) < length:
            data = self.sock.recv(65536)
            if not data:
                break
            self._raw += data
        return self._raw[:length]

    def _more(self) -> None:
        if not self.chunked:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the server closed the stream")
            self._text += data.decode()
            return
        size = int(self._until(b"\r\n").split(b";")[0], 16)
        if size == 0:
            raise ConnectionError("the stream ended")
        while len(self._raw) < size + 2:
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the server closed the stream")
            self._raw += data
        self._text += self._raw[:size].decode()
        self._raw = self._raw[size + 2:]

    def next(self) -> dict:
        while "\n\n" not in self._text:
            self._more()
        raw, self._text = self._text.split("\n\n", 1)
        event: dict = {"raw": raw}
        data = []
        for line in raw.split("\n"):
            if line.startswith(":"):
                event["comment"] = line[1:].strip()
                continue
            key, _, value = line.partition(": ")
            if key == "data":
                data.append(value)
            else:
                event[key] = value
        if data:
            text = "\n".join(data)
            try:  # JSON events; a board's data is its HTML
                event["data"] = json.loads(text)
            except ValueError:
                event["data"] = text
        return event

    def next_event(self, name: str | None = None) -> dict:
        """The next event (skipping heartbeats), of type ``name`` if given."""
        while True:
            event = self.next()
            if "event" in event and (name is None or event["event"] == name):
                return event

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> "SSE":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def wait_for(check, timeout: float = 20.0, what: str = "condition"):
    """Poll ``check()`` until it returns something true (bounded by ``timeout``)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
