"""``GET /api/v1/events`` on a real ``servicepoint serve``: the stream server's semantics
(hello, changes, heartbeats, Last-Event-ID, ``?version=``), the phone's ticket stream,
and the limits that keep a guest from taking the branch down."""
from __future__ import annotations

import json
import socket
import threading

import pytest

from tests.security.support import Browser, bearer, prepare_demo
from tests.support.server import ServerProcess
from tests.support.sse import SSE, wait_for


@pytest.fixture(scope="module")
def branch(tmp_path_factory):
    db = tmp_path_factory.mktemp("live") / "branch.db"
    tokens = prepare_demo(db, agent_printer=False)
    server = ServerProcess(db, init=False, extra_args=["--no-workers"],
                           env={"SERVICEPOINT_SSE_HEARTBEAT_S": "0.3",
                                "SERVICEPOINT_API_TICKET_RATE_LIMIT": "0"}).start()
    yield server, tokens
    server.stop()


def _issue(url: str, service: str = "A") -> dict:
    r = Browser(url).post_json("/api/v1/tickets", {"service": service})
    assert r.status == 201, r.text
    return r.json


def _sse_clients(url: str) -> int:
    return Browser(url).get("/healthz").json["sse_clients"]


def test_hello_then_the_change_a_ticket_makes(branch):
    server, _ = branch
    with SSE(server.url) as s:
        assert s.status == 200 and s.headers["content-type"].startswith("text/event-stream")
        assert s.headers["cache-control"] == "no-cache"
        assert s.next() == {"raw": "retry: 2000", "retry": "2000"}
        hello = s.next()
        assert hello["event"] == "hello"
        boot, _, version = hello["id"].rpartition("-")
        assert hello["data"] == {"version": int(version)}
        wait_for(lambda: _sse_clients(server.url) >= 1, what="the stream counted")
        _issue(server.url)
        changed = s.next_event()
        assert changed["event"] == "changed" and "queue" in changed["data"]["topics"]
        assert changed["data"]["version"] > int(version)
        assert changed["id"] == f"{boot}-{changed['data']['version']}"
        assert s.next_event()["event"] in changed["data"]["topics"]  # one event per topic


def test_heartbeat_when_nothing_happens(branch):
    server, _ = branch
    with SSE(server.url) as s:
        s.next(), s.next()
        while True:  # other tests' changes may come first; a heartbeat must follow
            event = s.next()
            if event.get("comment") == "heartbeat":
                break


def test_last_event_id_resyncs(branch):
    server, _ = branch
    with SSE(server.url) as s:
        s.next()
        boot, _, seen = s.next()["id"].rpartition("-")
    _issue(server.url)
    _issue(server.url, "B")
    with SSE(server.url, headers={"Last-Event-ID": f"{boot}-{seen}"}) as s:
        s.next()
        missed = s.next()
        assert missed["event"] == "changed" and "queue" in missed["data"]["topics"]
        assert missed["data"]["version"] >= int(seen) + 2
    with SSE(server.url, headers={"Last-Event-ID": "0badb007-17"}) as s:  # another boot
        s.next()
        assert s.next()["data"]["topics"] == ["*"]
    with SSE(server.url, path=f"/api/v1/events?version={missed['data']['version']}") as s:
        s.next()
        first = s.next()
        assert first["event"] == "hello" or first["data"]["version"] > missed["data"]["version"]


def test_a_phone_stream_carries_its_own_ticket_and_nothing_else(branch):
    server, tokens = branch
    first = _issue(server.url, "C")
    mine = _issue(server.url, "C")
    public_id = mine["track_url"].rsplit("/", 1)[1]
    with SSE(server.url, path=f"/api/v1/events?ticket={public_id}") as s:
        assert s.next()["retry"] == "2000"
        now = s.next_event("ticket")["data"]
        assert now["state"] == "waiting" and now["ahead"] == 1
        assert now["lead"] == "1 person ahead of you." and now["nudge"].startswith("Only 1 person")
        assert "first" not in json.dumps(now) and first["track_url"] not in json.dumps(now)
        # Another service's ticket changes nothing for this phone: no event for it; the
        # next event is the one its own queue's call makes.
        _issue(server.url, "A")
        r = Browser(server.url).post_json(f"/api/v1/tickets/{first['id']}/cancel",
                                          headers=bearer(tokens["staff_token"]))
        assert r.status == 200, r.text
        after = s.next_event()
        assert after["event"] == "ticket"
        assert after["data"]["ahead"] == 0 and after["data"]["lead"] == "You are next."
        assert after["data"]["nudge"] == ""


def test_a_phone_stream_needs_a_real_tracking_link(branch):
    server, _ = branch
    with SSE(server.url, path="/api/v1/events?ticket=not-a-ticket") as s:
        assert s.status == 404 and json.loads(s.body())["error"] == "not_found"
    with SSE(server.url, path="/api/v1/events?ticket=%3Cscript%3E") as s:
        assert s.status == 400 and json.loads(s.body())["error"] == "bad_ticket"


@pytest.mark.parametrize("query,status,error", [
    ("ticket=" + "a" * 65, 400, "bad_ticket"),
    ("ticket=../../etc/passwd", 400, "bad_ticket"),
    ("display=..%2F..%2Fsetup", 400, "bad_display"),
    ("display=D1&lang=%3Cscript%3E", 400, "bad_display"),
    ("display=Z9", 404, "not_found"),
    ("display=D1", 403, "not_paired"),  # a browser that is not the paired display
])
def test_bad_stream_parameters_get_a_clear_4xx(branch, query, status, error):
    server, _ = branch
    with SSE(server.url, path=f"/api/v1/events?{query}") as s:
        assert s.status == status
        assert json.loads(s.body())["error"] == error


def test_a_paired_display_gets_its_board_on_the_stream(branch, tmp_path):
    server, tokens = branch
    from tests.support.devices import cookie_name, pair

    cookie = f"{cookie_name('D1')}={pair(str(server.db_path), 'D1')}"
    with SSE(server.url, path="/api/v1/events?display=D1&lang=es",
             headers={"Cookie": cookie}) as s:
        assert s.status == 200
        first = s.next_event("board")
        assert 'class="board"' in first["raw"] and "Llamando" in first["raw"]
        ticket = _issue(server.url, "A")
        r = Browser(server.url).post_json("/api/v1/counters/1/call-number",
                                          {"number": ticket["number"]},
                                          headers=bearer(tokens["staff_token"]))
        assert r.status == 200, r.text
        while True:  # the board that shows the call arrives by itself
            board = s.next_event("board")
            if f">{ticket['number']}<" in board["raw"]:
                break
        # A setup change (a service renamed) reaches the board at once too.
        r = Browser(server.url).request(
            "PATCH", "/api/v1/services/A",
            json.dumps({"names": {"en": "Enquiries today", "es": "Consultas de hoy"}}).encode(),
            {"Content-Type": "application/json", **bearer(tokens["manager_token"])})
        assert r.status == 200, r.text
        while "Consultas de hoy" not in s.next_event("board")["raw"]:
            pass


@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    """A branch with small limits: 3 streams and 8 connections per address."""
    db = tmp_path_factory.mktemp("strict") / "branch.db"
    prepare_demo(db, agent_printer=False)
    server = ServerProcess(db, init=False, extra_args=["--no-workers"],
                           env={"SERVICEPOINT_STREAMS_PER_ADDRESS": "3",
                                "SERVICEPOINT_CONNECTIONS_PER_ADDRESS": "8",
                                "SERVICEPOINT_HEADER_TIMEOUT_S": "1",
                                "SERVICEPOINT_KEEPALIVE_TIMEOUT_S": "120"}).start()
    yield server
    server.stop()


GUEST, OTHER = "127.0.0.2", "127.0.0.3"  # two devices on the branch network


def test_streams_per_address_are_capped_with_a_clear_429(strict):
    streams = [SSE(strict.url, source=GUEST) for _ in range(3)]
    try:
        assert all(s.status == 200 for s in streams)
        with SSE(strict.url, source=GUEST) as extra:
            assert extra.status == 429
            assert json.loads(extra.body())["error"] == "too_many_streams"
        # Another address on the network is not affected by this one's streams.
        with SSE(strict.url, source=OTHER) as other:
            assert other.status == 200
        streams.pop().close()

        def reopened():
            s = SSE(strict.url, source=GUEST)
            if s.status == 200:
                return s
            s.close()
            return None
        streams.append(wait_for(reopened, what="a freed stream slot"))
    finally:
        for s in streams:
            s.close()


def _closed_by_server(sock: socket.socket) -> bool:
    sock.settimeout(20)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def _kept_alive(port: int) -> socket.socket:
    """A connection from the guest that made one request and stays open (keep-alive)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=20, source_address=(GUEST, 0))
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: branch\r\n\r\n")
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(65536)
    assert head.startswith(b"HTTP/1.1 200")
    return sock


def test_a_slow_opener_is_cut_off_and_cannot_hold_every_connection(strict):
    # Slowloris: half a request line, then nothing. The server closes it.
    slow = socket.create_connection(("127.0.0.1", strict.port), source_address=(GUEST, 0))
    slow.sendall(b"GET /healthz HT")
    assert _closed_by_server(slow)
    slow.close()
    # Eight open connections from one address: a ninth is told 429, ...
    held = [_kept_alive(strict.port) for _ in range(8)]
    try:
        r = Browser(strict.url, source=GUEST).get("/healthz")
        assert r.status == 429 and r.json["error"] == "too_many_connections"
        # ... past twice the share, sockets are closed at once, ...
        held += [socket.create_connection(("127.0.0.1", strict.port),
                                          source_address=(GUEST, 0)) for _ in range(8)]
        extra = socket.create_connection(("127.0.0.1", strict.port), source_address=(GUEST, 0))
        assert _closed_by_server(extra)
        extra.close()
        # ... while another address is served normally meanwhile.
        assert Browser(strict.url, source=OTHER).get("/healthz").status == 200
    finally:
        for s in held:
            s.close()
    wait_for(lambda: Browser(strict.url, source=GUEST).get("/healthz").status == 200,
             what="the address served again once its sockets closed")


def test_the_flask_app_sees_the_real_caller_not_a_claimed_one(tmp_path):
    db = tmp_path / "branch.db"
    prepare_demo(db, agent_printer=False)
    env = {"SERVICEPOINT_API_TICKET_RATE_LIMIT": "2"}
    with ServerProcess(db, init=False, extra_args=["--no-workers"], env=env) as server:
        guest = Browser(server.url, source=GUEST)
        spoof = {"X-ServicePoint-Peer": "10.9.9.9", "X-ServicePoint-Front": "guess"}
        codes = [guest.post_json("/api/v1/tickets", {"service": "A"},
                                 headers={**spoof, "X-ServicePoint-Peer": f"10.9.9.{i}"}).status
                 for i in range(3)]
        assert codes == [201, 201, 429]  # one address's budget, whatever it claims
        assert Browser(server.url, source=OTHER).post_json(
            "/api/v1/tickets", {"service": "A"}).status == 201


def test_open_streams_leave_the_kiosk_issuing(tmp_path):
    """1,100 open streams (past select()'s 1,024 descriptors): the paired kiosk issues
    tickets, /healthz answers, and the first 300 streams hear every change."""
    db = tmp_path / "branch.db"
    prepare_demo(db, agent_printer=False)
    with ServerProcess(db, init=False, extra_args=["--no-workers"]) as server:
        streams: list[SSE] = []
        try:
            for _ in range(1100):
                s = SSE(server.url)
                assert s.status == 200
                streams.append(s)
            wait_for(lambda: _sse_clients(server.url) == 1100, what="1,100 streams open")
            # Requests at once: the server opens new connections inside, past 1,024.
            answers: list[int] = []
            burst = [threading.Thread(target=lambda: answers.append(
                Browser(server.url).get("/healthz").status)) for _ in range(40)]
            for t in burst:
                t.start()
            for t in burst:
                t.join(60)
            assert answers == [200] * 40
            kiosk = Browser(server.url).pair_as(db, "K1")
            for service in "ABCD":
                page = kiosk.get("/kiosk/K1")
                assert page.status == 200
                key = page.text.split('name="key" value="', 1)[1].split('"', 1)[0]
                r = kiosk.request("POST", "/kiosk/K1/issue",
                                  f"service={service}&key={key}&csrf_token={kiosk.csrf}".encode(),
                                  {"Content-Type": "application/x-www-form-urlencoded"})
                assert r.status == 201, r.text[:300]
            results: list[bool] = []

            def drain(s: SSE) -> None:
                results.append(s.next_event("changed")["data"]["version"] > 0)

            threads = [threading.Thread(target=drain, args=(s,)) for s in streams[:300]]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert results.count(True) == 300
            assert Browser(server.url).get("/healthz").status == 200
        finally:
            for s in streams:
                s.close()
