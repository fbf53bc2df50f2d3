"""``GET /api/v1/events``: Server-Sent Events on the stream server's event loop
(docs/architecture.md, *Live updates*; the listener is :mod:`servicepoint.stream_server`).

A stream costs a coroutine and a socket, not a thread. The broadcaster (a version
number plus topics, :mod:`servicepoint.live`) tells the loop of every change; the
loop wakes the streams, each of which writes from what was prepared once for all:

- a plain stream gets ``changed`` (``{version, topics}``) and one event per topic,
  the same bytes for every stream at the same version; its screen decides what to
  fetch;
- a stream narrowed to one ticket (``?ticket=<the tracking link's id>``, the phone
  page) gets ``ticket`` events carrying that ticket's :class:`~servicepoint.live_views.
  TicketLive`, only when it changed. The payloads of every followed ticket are read
  once per change in a worker thread, never per phone.

Heartbeat comments every ``SSE_HEARTBEAT_S`` find dropped clients; a client that
stops reading is dropped once a write has waited ``SSE_WRITE_TIMEOUT_S``. Event ids
are ``<boot>-<version>``: a client reconnecting with ``Last-Event-ID`` gets what it
missed, or a full re-sync after a restart (another boot id), as ``?version=`` does.
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
from concurrent.futures import ThreadPoolExecutor

from aiohttp import ClientError, web

from . import live_views, security
from .stream_server import LOCAL

log = logging.getLogger(__name__)

# Topics that can change what a phone page shows, and what a lobby display's board shows.
TICKET_TOPICS = frozenset({"queue", "counters", "setup", "*"})
BOARD_TOPICS = frozenset({"queue", "counters", "setup", "devices", "*"})
DISPLAY_CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")
LANG = re.compile(r"[a-z]{2,3}(-[A-Za-z]{2,4})?")
# What a board read passes on from the display's own request: its pairing cookie
# decides what it may see, its languages what it reads.
BOARD_HEADERS = ("Cookie", "Accept-Language")
# Seconds between readings of the followed tickets when nothing changes.
TICKET_REFRESH_S = 30.0
PUBLIC_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
HEADERS = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache",
           "X-Accel-Buffering": "no", "X-Content-Type-Options": "nosniff",
           "Server": "servicepoint"}


def sse(event: str, event_id: str, data: dict) -> bytes:
    """One Server-Sent Event."""
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    return f"id: {event_id}\nevent: {event}\ndata: {body}\n\n".encode()


def sse_html(event: str, event_id: str, html: str) -> bytes:
    """An event whose data is an HTML fragment (one ``data:`` line per line)."""
    lines = "".join(f"data: {line}\n" for line in html.split("\n"))
    return f"id: {event_id}\nevent: {event}\n{lines}\n".encode()


class Board:
    """The displays showing one board (a display code and language): one read per change.

    ``html`` is the board fragment as the Flask app renders it; ``refresh`` is set when
    the app answered that the display is no longer paired (the pages reload into the
    pairing screen)."""

    def __init__(self, path: str):
        self.path = path
        self.viewers: dict[asyncio.Event, tuple[dict[str, str], str]] = {}  # headers, client
        self.html: str | None = None
        self.version = 0
        self.refresh = False


class _Stream(web.StreamResponse):
    """An event stream that knows its socket (to see whether a write would wait)."""

    transport: asyncio.Transport | None = None


def _error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status,
                             headers={"Server": "servicepoint"})


class Streams:
    """Every open stream, and what each change sends them."""

    def __init__(self, app, loop: asyncio.AbstractEventLoop, fetch):
        cfg = app.config
        self.app = app
        self.loop = loop
        self.broadcaster = app.extensions["servicepoint"]["broadcaster"]
        self.heartbeat_s = float(cfg["SSE_HEARTBEAT_S"])
        self.write_timeout_s = float(cfg["SSE_WRITE_TIMEOUT_S"])
        self.per_address_cap = int(cfg["STREAMS_PER_ADDRESS"])
        self.per_address: dict[str, int] = {}
        self.plain: set[asyncio.Event] = set()
        self.tickets: dict[int, set[asyncio.Event]] = {}
        # ticket -> (payload, its event as sent): encoded once for every phone following it
        self.payloads: dict[int, tuple[dict, bytes]] = {}
        self.boards: dict[str, Board] = {}
        self.fetch = fetch  # (path, headers, client) -> (status, headers, text) from the app
        self.version = self.broadcaster.version
        self._messages: dict[int, bytes] = {}  # since -> bytes, for self.version
        self._dirty = False
        self._stale = False
        self._fanout: asyncio.Task | None = None
        self._closing = False
        # Reads for the streams (tracking links, ticket payloads): off the loop, and
        # never more than two at once however many phones open at the same moment.
        self.reads = ThreadPoolExecutor(max_workers=2, thread_name_prefix="live-read")
        self.refused = 0

    # -- the broadcaster's side -------------------------------------------------

    def start(self) -> None:
        self.broadcaster.listen(self._published)
        self.loop.call_later(TICKET_REFRESH_S, self._tick)

    def _tick(self) -> None:
        """Waits shrink as time passes, with or without a change: read them again."""
        if self._closing:
            return
        if self.tickets or self.boards:
            self._stale = True
            self._changed()
        self.loop.call_later(TICKET_REFRESH_S, self._tick)

    def _published(self, version: int, topic: str) -> None:
        """Called in the thread that made the change: hand it to the loop."""
        if not self._closing:
            try:
                self.loop.call_soon_threadsafe(self._changed)
            except RuntimeError:  # the loop is closed: the server is stopping
                pass

    def _changed(self) -> None:
        self._dirty = True
        if self._fanout is None or self._fanout.done():
            self._fanout = self.loop.create_task(self._fan_out())

    async def _fan_out(self) -> None:
        """Wake the streams; changes arriving meanwhile are taken together in the next round."""
        while self._dirty and not self._closing:
            self._dirty = False
            version = self.broadcaster.version
            if version != self.version:
                topics = set(self.broadcaster.topics_since(self.version))
                self.version = version
                self._messages = {}
                for event in self.plain:
                    event.set()
            else:
                topics = set()
            stale, self._stale = self._stale, False
            reads = []
            if self.tickets and (topics & TICKET_TOPICS or stale):
                reads.append(self._refresh_tickets(version))
            if self.boards and (topics & BOARD_TOPICS or stale):
                reads += [self._refresh_board(board, version) for board in list(self.boards.values())]
            if reads:
                await asyncio.gather(*reads)

    async def _refresh_tickets(self, version: int) -> None:
        ids = list(self.tickets)
        try:
            fresh = await self.loop.run_in_executor(self.reads, live_views.ticket_payloads,
                                                    self.app, ids)
        except Exception:  # a locked or failing database: the next change tries again
            log.exception("could not read the followed tickets")
            return
        for ticket_id, payload in fresh.items():
            old = self.payloads.get(ticket_id)
            if ticket_id in self.tickets and (old is None or old[0] != payload):
                self.payloads[ticket_id] = self._ticket_event(version, payload)
                for event in self.tickets[ticket_id]:
                    event.set()

    async def _refresh_board(self, board: Board, version: int) -> None:
        if not board.viewers:
            return
        headers, client = next(reversed(board.viewers.values()))  # the newest viewer's
        try:
            status, answer, html = await self.fetch(board.path, headers, client)
        except (OSError, asyncio.TimeoutError, ClientError):
            log.warning("could not read the board %s", board.path)
            return
        if answer.get("HX-Refresh") == "true" or status in (403, 404):
            board.refresh = True
        elif status != 200 or html == board.html:
            return
        board.html, board.version = html, version
        for event in board.viewers:
            event.set()

    def _ticket_event(self, version: int, payload: dict) -> tuple[dict, bytes]:
        return payload, sse("ticket", self.broadcaster.event_id(version), payload)

    async def close(self) -> None:
        """End every stream (the server is stopping)."""
        self._closing = True
        for event in [*self.plain, *(e for s in self.tickets.values() for e in s),
                      *(e for b in self.boards.values() for e in b.viewers)]:
            event.set()
        self.reads.shutdown(wait=False, cancel_futures=True)

    # -- one stream -------------------------------------------------------------

    async def handle(self, request: web.BaseRequest, client: str) -> web.StreamResponse:
        """Open a stream for ``client`` (the caller's real address)."""
        if self.per_address.get(client, 0) >= self.per_address_cap and client not in LOCAL:
            self.refused += 1
            return _error(429, "too_many_streams",
                          f"At most {self.per_address_cap} live streams per address; "
                          "close another page first.")
        ticket_arg = request.query.get("ticket")
        ticket_id = None
        if ticket_arg is not None:
            if not PUBLIC_ID.fullmatch(ticket_arg):
                return _error(400, "bad_ticket", "'ticket' must be the id in a tracking link")
            ticket_id = await self.loop.run_in_executor(self.reads, live_views.tracked_ticket,
                                                        self.app, ticket_arg)
            if ticket_id is None:
                return _error(404, "not_found", "No ticket has this tracking link")
        board = None
        display = request.query.get("display")
        if display is not None and ticket_id is None:
            lang = request.query.get("lang", "")
            if not DISPLAY_CODE.fullmatch(display) or (lang and not LANG.fullmatch(lang)):
                return _error(400, "bad_display", "'display' must be a display's code")
            path = f"/display/{display}/board" + (f"?lang={lang}" if lang else "")
            headers = {k: request.headers[k] for k in BOARD_HEADERS if k in request.headers}
            try:
                status, answer, html = await self.fetch(path, headers, client)
            except (OSError, asyncio.TimeoutError, ClientError):
                return _error(503, "unavailable", "The branch server is starting or stopping; "
                              "the screen tries again by itself.")
            if status == 404:
                return _error(404, "not_found", "No display has this code")
            if status != 200 or answer.get("HX-Refresh") == "true":
                return _error(403, "not_paired", "This screen is not paired as this display")
            board = self.boards.get(path) or self.boards.setdefault(path, Board(path))
            if board.html is None or board.refresh:  # new, or paired again since
                board.html, board.version, board.refresh = html, self.version, False
        self.per_address[client] = self.per_address.get(client, 0) + 1
        self.broadcaster.connect()
        event = asyncio.Event()
        try:
            response = _Stream(headers=HEADERS)
            await response.prepare(request)
            response.transport = request.transport
            if request.method == "HEAD":
                return response
            await self._write(response, b"retry: 2000\n\n")
            if board is not None:
                board.viewers[event] = (headers, client)
                await self._board(response, event, board)
            elif ticket_id is None:
                await self._plain(request, response, event)
            else:
                await self._ticket(response, event, ticket_id)
        except (ConnectionError, asyncio.TimeoutError):
            pass  # the client went away or stopped reading
        finally:
            self.plain.discard(event)
            self._unfollow(ticket_id, event)
            if board is not None:
                board.viewers.pop(event, None)
                if not board.viewers and self.boards.get(board.path) is board:
                    del self.boards[board.path]
            self.broadcaster.disconnect()
            left = self.per_address.get(client, 1) - 1
            if left > 0:
                self.per_address[client] = left
            else:
                self.per_address.pop(client, None)
        return response

    async def _write(self, response: web.StreamResponse, data: bytes) -> None:
        transport = getattr(response, "transport", None)
        if transport is None or transport.is_closing():
            raise ConnectionResetError("the client went away")
        if transport.get_write_buffer_size() == 0:
            await response.write(data)  # goes out at once: nothing to wait for
            return
        # A client that stops reading fills its buffer and would hold this stream for ever.
        async with asyncio.timeout(self.write_timeout_s):
            await response.write(data)

    async def _wait(self, response: web.StreamResponse, event: asyncio.Event) -> bool:
        """True when woken by a change; a heartbeat is written on each quiet interval."""
        while not self._closing:
            try:
                async with asyncio.timeout(self.heartbeat_s):
                    await event.wait()
            except TimeoutError:
                # A comment line keeps proxies awake and finds dropped clients.
                await self._write(response, b": heartbeat\n\n")
                continue
            event.clear()
            return not self._closing
        return False

    def _since(self, request: web.BaseRequest) -> tuple[int | None, str | None]:
        last_id = request.headers.get("Last-Event-ID") or request.query.get("last_event_id")
        since = self.broadcaster.parse_last_id(last_id)
        version_arg = security.bounded_digits(request.query.get("version"))
        if since is None and version_arg is not None and not last_id:
            since = min(version_arg, self.broadcaster.version)
        return since, last_id

    def _changes(self, since: int) -> bytes:
        """``changed`` and one event per topic after ``since``, made once per version."""
        data = self._messages.get(since)
        if data is None:
            version = self.version
            topics = self.broadcaster.topics_since(since)
            event_id = self.broadcaster.event_id(version)
            parts = [sse("changed", event_id, {"version": version, "topics": topics})]
            parts += [sse(t, event_id, {"version": version}) for t in topics if t != "*"]
            data = self._messages[since] = b"".join(parts)
        return data

    async def _plain(self, request: web.BaseRequest, response: web.StreamResponse,
                     event: asyncio.Event) -> None:
        since, last_id = self._since(request)
        version = self.version
        self.plain.add(event)
        if since is not None and since < version:
            await self._write(response, self._changes(since))
        elif since is None and last_id:
            # A client from before a restart: tell it to re-sync everything.
            await self._write(response, sse("changed", self.broadcaster.event_id(version),
                                            {"version": version, "topics": ["*"]}))
        else:
            await self._write(response, sse("hello", self.broadcaster.event_id(version),
                                             {"version": version}))
        while await self._wait(response, event):
            if self.version != version:
                data = self._changes(version)
                version = self.version
                await self._write(response, data)

    async def _ticket(self, response: web.StreamResponse, event: asyncio.Event,
                      ticket_id: int) -> None:
        # Followed before the first read, so a change meanwhile is not missed.
        self.tickets.setdefault(ticket_id, set()).add(event)
        if ticket_id not in self.payloads:
            version = self.version
            fresh = await self.loop.run_in_executor(self.reads, live_views.ticket_payloads,
                                                    self.app, [ticket_id])
            if ticket_id in fresh and ticket_id not in self.payloads:
                self.payloads[ticket_id] = self._ticket_event(version, fresh[ticket_id])
        sent = None
        while True:
            current = self.payloads.get(ticket_id)
            if current is not None and current[1] is not sent:
                sent = current[1]
                await self._write(response, sent)
            if not await self._wait(response, event):
                return

    async def _board(self, response: web.StreamResponse, event: asyncio.Event,
                     board: Board) -> None:
        sent = None
        while True:
            if board.refresh:
                await self._write(response, sse("refresh", self.broadcaster.event_id(),
                                                {"version": self.version}))
                return
            if board.html is not None and board.html != sent:
                sent = board.html
                await self._write(response, sse_html("board", self.broadcaster.event_id(
                    board.version), sent))
            if not await self._wait(response, event):
                return

    def _unfollow(self, ticket_id: int | None, event: asyncio.Event) -> None:
        if ticket_id is None:
            return
        followers = self.tickets.get(ticket_id)
        if followers is not None:
            followers.discard(event)
            if not followers:
                del self.tickets[ticket_id]
                self.payloads.pop(ticket_id, None)
