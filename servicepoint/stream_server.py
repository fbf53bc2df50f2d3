"""The branch's public listener: thousands of open event streams on one event loop
(docs/architecture.md, *Live updates*).

Every phone following its ticket, every kiosk, counter and display holds an open
``GET /api/v1/events``. Waitress gives each open request a thread, so a hundred
phones would take every thread and the branch would stop answering. ``servicepoint
serve`` therefore listens with aiohttp, an asyncio server made for many idle
connections: it serves the event streams itself (:mod:`servicepoint.live_streams`)
and passes every other request to waitress, which keeps serving the Flask app on a
loopback port nobody else uses. One port, one origin: browsers see no difference.

The Flask app must still know who is calling (per-address limits): the caller's
address travels to waitress in ``X-ServicePoint-Peer`` together with a token made
at each start, which only this process knows (:class:`FrontPeer` trusts the header
only with it). ``X-Forwarded-For`` from the branch's own reverse proxy passes
through unchanged and is judged by the ``trusted_proxies`` setting as before.

Limits (each a setting; docs/configuration.md): open connections per address
(``CONNECTIONS_PER_ADDRESS``), in total (``MAX_CONNECTIONS``), and a deadline for a
new connection's first request (``HEADER_TIMEOUT_S``): a client that opens sockets
and sends its headers a byte at a time (slowloris) holds at most its own share and
only for that long. Open streams per address are capped by ``STREAMS_PER_ADDRESS``.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import secrets
import socket
import threading
from typing import Any, Mapping

from aiohttp import ClientError, ClientSession, ClientTimeout, DummyCookieJar, TCPConnector, web
from aiohttp.web_protocol import RequestHandler

from . import proxies

log = logging.getLogger(__name__)

PEER_HEADER = "X-ServicePoint-Peer"
TOKEN_HEADER = "X-ServicePoint-Front"
# Headers of one hop only (RFC 9110 §7.6.1): never passed on.
HOP_BY_HOP = frozenset(h.lower() for h in (
    "Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "TE", "Trailer",
    "Transfer-Encoding", "Upgrade", "Proxy-Connection", PEER_HEADER, TOKEN_HEADER))
CHUNK = 64 * 1024
# The server's own machine: never one guest, so never capped like one.
LOCAL = frozenset({"127.0.0.1", "::1"})


class FrontPeer:
    """WSGI middleware: the caller's address as the stream server saw it.

    Only a request carrying this start's token is believed; the headers are removed
    either way, so nobody else can choose the address they are limited by.
    """

    def __init__(self, app, token: str):
        self.app = app
        self.token = token

    def __call__(self, environ, start_response):
        peer = environ.pop("HTTP_X_SERVICEPOINT_PEER", None)
        token = environ.pop("HTTP_X_SERVICEPOINT_FRONT", None)
        if peer and token is not None and secrets.compare_digest(token, self.token):
            environ["REMOTE_ADDR"] = peer
        return self.app(environ, start_response)


class ConnectionGuard:
    """Open connections per address and in total, and the first-request deadline."""

    def __init__(self, per_address: int, total: int, header_timeout_s: float, exempt):
        self.per_address = per_address
        self.total = total
        self.header_timeout_s = header_timeout_s
        self.exempt = exempt  # address -> True for the branch's own trusted proxies
        self.open: dict[str, int] = {}
        self.count = 0
        self.refused = 0

    def admit(self, address: str) -> str:
        """Count a new connection from ``address``: ``"ok"``; ``"over"`` past the address's
        share (its requests are answered 429, so a burst of honest requests hears why);
        ``"refuse"`` at twice the share or when the server is full (closed at once)."""
        held = self.open.get(address, 0)
        if self.count >= self.total or (held >= 2 * self.per_address
                                        and not self.exempt(address)):
            self.refused += 1
            return "refuse"
        self.open[address] = held + 1
        self.count += 1
        return "over" if held >= self.per_address and not self.exempt(address) else "ok"

    def release(self, address: str) -> None:
        left = self.open.get(address, 0) - 1
        if left > 0:
            self.open[address] = left
        else:
            self.open.pop(address, None)
        self.count -= 1


class _GuardedServer(web.Server):
    """aiohttp's low-level server, counting connections and closing idle newcomers."""

    def __init__(self, handler, guard: ConnectionGuard, **kwargs: Any):
        super().__init__(handler, **kwargs)
        self.guard = guard
        self.peers: dict[RequestHandler, str] = {}
        self.started: set[RequestHandler] = set()
        self.over: set[RequestHandler] = set()

    def connection_made(self, handler: RequestHandler, transport) -> None:
        super().connection_made(handler, transport)
        peer = transport.get_extra_info("peername")
        address = peer[0] if peer else "unknown"
        admitted = self.guard.admit(address)
        if admitted == "refuse":
            transport.abort()
            return
        if admitted == "over":
            self.over.add(handler)
        self.peers[handler] = address
        self._loop.call_later(self.guard.header_timeout_s, self._deadline, handler, transport)

    def _deadline(self, handler: RequestHandler, transport) -> None:
        # No complete request in time: a slow or idle opener, not a browser.
        if handler in self.peers and handler not in self.started:
            transport.abort()

    def connection_lost(self, handler: RequestHandler, exc: BaseException | None = None) -> None:
        address = self.peers.pop(handler, None)
        self.started.discard(handler)
        self.over.discard(handler)
        if address is not None:
            self.guard.release(address)
        super().connection_lost(handler, exc)


class Backend:
    """Passes a request on to waitress and its answer back, streaming both bodies."""

    def __init__(self, port: int, token: str, connections: int):
        self.base = f"http://127.0.0.1:{port}"
        self.token = token
        self.connections = connections
        self.session: ClientSession | None = None

    async def start(self) -> None:
        self.session = ClientSession(
            connector=TCPConnector(limit=self.connections, keepalive_timeout=30,
                                   enable_cleanup_closed=True),
            # A jar that keeps nothing: the proxy must never mix callers' cookies.
            auto_decompress=False, cookie_jar=DummyCookieJar(),
            # Long CSV exports stream for minutes; only connecting has a deadline.
            timeout=ClientTimeout(total=None, sock_connect=10, sock_read=None))

    async def close(self) -> None:
        if self.session is not None:
            await self.session.close()

    async def fetch(self, path: str, headers: dict[str, str],
                    client: str) -> tuple[int, Mapping[str, str], str]:
        """GET ``path`` from the Flask app as the browser with ``headers`` would (its cookies
        decide what it may see): status, headers and text."""
        assert self.session is not None
        sent = {**headers, PEER_HEADER: client, TOKEN_HEADER: self.token, "HX-Request": "true"}
        async with self.session.get(self.base + path, headers=sent,
                                    allow_redirects=False) as upstream:
            # Header names case-insensitively (waitress writes "Hx-Refresh").
            return upstream.status, upstream.headers.copy(), await upstream.text()

    async def forward(self, request: web.BaseRequest, client: str) -> web.StreamResponse:
        """``request`` answered by the Flask app, for the caller at ``client``."""
        assert self.session is not None
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
        headers += [(PEER_HEADER, client), (TOKEN_HEADER, self.token)]
        body = request.content if request.body_exists else None
        try:
            upstream = await self.session.request(
                request.method, self.base + request.raw_path, headers=headers, data=body,
                allow_redirects=False, skip_auto_headers=("User-Agent", "Accept-Encoding",
                                                          "Accept", "Content-Type"))
        except (OSError, asyncio.TimeoutError, ClientError) as exc:
            log.warning("the Flask app did not answer %s %s: %s", request.method, request.path, exc)
            return web.json_response({"error": "unavailable", "message": "The branch server is "
                                      "starting or stopping; try again in a moment."}, status=503,
                                     headers={"Retry-After": "2"})
        async with upstream:
            response = web.StreamResponse(status=upstream.status, reason=upstream.reason)
            for key, value in upstream.headers.items():
                if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                    response.headers.add(key, value)
            if upstream.content_length is not None:
                response.content_length = upstream.content_length
            await response.prepare(request)
            async for chunk in upstream.content.iter_chunked(CHUNK):
                await response.write(chunk)
            await response.write_eof()
            return response


class StreamServer:
    """The public listener, run on its own event loop thread beside waitress.

    ``start()`` binds ``host:port`` (raising OSError like any server when taken) and
    returns once it accepts; ``stop()`` closes every stream and connection.
    """

    def __init__(self, app, host: str, port: int, backend_port: int, token: str,
                 backend_connections: int):
        from .live_streams import Streams

        cfg = app.config
        self.app = app
        self.host = host
        self.port = port
        self.loop = asyncio.new_event_loop()
        self.backend = Backend(backend_port, token, backend_connections)
        self.proxies = app.extensions["servicepoint"]["proxies"]
        self.guard = ConnectionGuard(cfg["CONNECTIONS_PER_ADDRESS"], cfg["MAX_CONNECTIONS"],
                                     cfg["HEADER_TIMEOUT_S"], self._is_proxy)
        self.streams = Streams(app, self.loop, self.backend.fetch)
        self._thread = threading.Thread(target=self._run, name="stream-server", daemon=True)
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.effective_port = port

    def _is_proxy(self, address: str) -> bool:
        """The box itself (a screen on the server's own display, or a reverse proxy on it)
        or one of the branch's trusted proxies: many clients share these addresses."""
        if address in LOCAL:
            return True
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip.version == n.version and ip in n for n in self.proxies.networks())

    def client(self, request: web.BaseRequest) -> str:
        """The caller's address: the peer, or the client behind a trusted proxy."""
        peer = request.remote or "unknown"
        return proxies.client_address(peer, request.headers.get("X-Forwarded-For"),
                                      self.proxies.networks()) or peer

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        protocol = request.protocol
        self._server.started.add(protocol)
        if protocol in self._server.over:
            return web.json_response(
                {"error": "too_many_connections", "message": "Too many open connections from "
                 "this address; close some and try again."}, status=429,
                headers={"Retry-After": "5", "Connection": "close"})
        if request.path == "/api/v1/events" and request.method in ("GET", "HEAD"):
            return await self.streams.handle(request, self.client(request))
        return await self.backend.forward(request, self.client(request))

    def start(self) -> None:
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        try:
            self.loop.run_until_complete(self._open())
        except BaseException as exc:  # bind failures reach start()'s caller
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self._close())
        self.loop.close()

    async def _open(self) -> None:
        await self.backend.start()
        self._server = _GuardedServer(
            self._handle, self.guard, handler_cancellation=True,
            keepalive_timeout=self.app.config["KEEPALIVE_TIMEOUT_S"],
            max_line_size=8190, max_field_size=8190, max_headers=100)
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        self._listener = await self.loop.create_server(
            self._server, self.host, self.port, family=family, reuse_address=True,
            backlog=1024)
        self.effective_port = self._listener.sockets[0].getsockname()[1]
        self.streams.start()

    async def _close(self) -> None:
        self._listener.close()
        await self.streams.close()
        await self._server.shutdown(2.0)
        await self.backend.close()

    def stop(self) -> None:
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(10)
