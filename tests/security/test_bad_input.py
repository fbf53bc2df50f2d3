"""Hole 5 and 9: bad input is a clear 4xx (JSON for the API, a friendly page for people),
never a 500; logos are checked before they are decoded; 405 says what is allowed."""
from __future__ import annotations

import http.client
import io
import os
import uuid

import pytest
from PIL import Image

from tests.security.support import Browser, bearer


def _assert_json_error(r, status: int):
    assert r.status == status, (r.status, r.text[:300])
    assert r.headers["content-type"].startswith("application/json"), r.headers
    assert set(r.json) == {"error", "message"} and r.json["message"]


def test_the_print_agent_api_answers_json_errors(branch):
    """Every error of the hardware blueprint was a bare 500 for the print agent."""
    agent = Browser(branch.url)
    device, staff = bearer(branch.device_token), bearer(branch.staff_token)
    _assert_json_error(agent.post_json("/api/v1/print-jobs/424242/result", {"ok": True},
                                       headers=device), 404)
    _assert_json_error(agent.post_json("/api/v1/printers/1/status", {"status": "on fire"},
                                       headers=device), 400)
    _assert_json_error(agent.post_json("/api/v1/printers/1/status", {}, headers=device), 400)
    _assert_json_error(agent.post_json("/api/v1/print-jobs/claim", {"wait_s": "soon"},
                                       headers=device), 400)
    _assert_json_error(agent.post_json("/api/v1/print-jobs/claim", {}, headers=staff), 403)
    _assert_json_error(agent.post_json("/api/v1/tickets/424242/reprint", headers=staff), 404)


@pytest.mark.parametrize("path", ["/api/v1/print-jobs/99999999999999999999/result",
                                  "/api/v1/printers/9223372036854775808/status",
                                  "/api/v1/tickets/18446744073709551616/reprint"])
def test_ids_past_two_to_the_63_are_404(branch, path):
    r = Browser(branch.url).post_json(path, {"ok": True, "status": "ok"},
                                      headers=bearer(branch.device_token if "reprint" not in path
                                                     else branch.staff_token))
    _assert_json_error(r, 404)


def test_deeply_nested_json_is_400(branch):
    r = Browser(branch.url).post_json("/api/v1/tickets", raw=b"[" * 10_000)
    _assert_json_error(r, 400)
    r = Browser(branch.url).post_json("/api/v1/tickets",
                                      raw=b'{"service": "A", "language": ' + b"[" * 50 + b"]" * 50 + b"}")
    _assert_json_error(r, 400)


def test_huge_numbers_are_400(branch):
    staff = bearer(branch.staff_token)
    r = Browser(branch.url).post_json("/api/v1/tickets/1/rate", raw=b'{"csat": ' + b"9" * 5000 + b"}",
                                      headers=staff)
    _assert_json_error(r, 400)
    r = Browser(branch.url).post_json("/api/v1/print-jobs/1/result",
                                      {"ok": True, "size": 2**70}, headers=bearer(branch.device_token))
    assert r.status in (400, 404), r.text


def _first_bytes(url: str, path: str, headers=None) -> tuple[int, bytes]:
    """Status and first bytes of a response that may be an endless event stream."""
    host, port = url.split("//", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.read1(200)
    finally:
        conn.close()


def test_event_stream_versions_with_thousands_of_digits(branch):
    status, first = _first_bytes(branch.url, "/api/v1/events?version=" + "9" * 5000)
    assert status == 200 and first.startswith(b"retry:"), (status, first)
    status, first = _first_bytes(branch.url, "/api/v1/events",
                                 {"Last-Event-ID": "abcd-" + "7" * 5000})
    assert status == 200 and first.startswith(b"retry:"), (status, first)


def test_405_says_what_is_allowed(branch):
    r = Browser(branch.url).post_json("/api/v1/queue", {})
    _assert_json_error(r, 405)
    assert {m.strip() for m in r.headers["allow"].split(",")} >= {"GET"}
    r = Browser(branch.url).request("DELETE", "/login")
    assert r.status == 405 and "POST" in r.headers["allow"]


# -- the ticket logo -------------------------------------------------------------------

def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("1", (width, height), 1).save(out, format="PNG", optimize=True)
    return out.getvalue()


def _upload(tech: Browser, filename: str, data: bytes):
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in (("csrf_token", tech.csrf or ""), ("greeting_en", "Welcome"),
                        ("show_qr", "on")):
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     f"{value}\r\n".encode())
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="logo"; '
                 f'filename="{filename}"\r\nContent-Type: image/png\r\n\r\n'.encode() + data + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return tech.request("POST", "/hardware/template", body,
                        {"Content-Type": f"multipart/form-data; boundary={boundary}"})


@pytest.fixture(scope="module")
def tech(branch):
    browser = Browser(branch.url)
    assert browser.sign_in("tech").status == 302
    browser.get("/hardware/template")
    return browser


def _flash(tech: Browser, r) -> str:
    assert r.status == 302, (r.status, r.text[:300])
    return tech.get(r.headers["location"]).text


def test_a_decompression_bomb_logo_is_refused_politely(branch, tech):
    """Attack: a 16000×16000 PNG of a few dozen KB (a 500 before; 12000² cost +270 MB)."""
    for side in (16000, 12000):
        bomb = _png(side, side)
        assert len(bomb) < 64 * 1024
        page = _flash(tech, _upload(tech, "bomb.png", bomb))
        assert "4096 pixels" in page, page[:2000]
    assert not os.path.exists(branch.db.parent / "ticket-logo.png")


def test_a_real_logo_of_a_megabyte_is_stored_beside_the_database(branch, tech):
    """The "under 2 MB" promise was unreachable behind the 64 KB body limit."""
    noise = Image.frombytes("L", (1000, 1000), os.urandom(1000 * 1000))
    out = io.BytesIO()
    noise.save(out, format="PNG")
    data = out.getvalue()
    assert 900 * 1024 < len(data) < 2 * 1024 * 1024
    page = _flash(tech, _upload(tech, "logo.png", data))
    assert "Ticket template saved" in page, page[:2000]
    stored = branch.db.parent / "ticket-logo.png"
    with Image.open(stored) as logo:
        assert logo.width == 384
    # Far past the limit: a clear refusal, not a 500.
    r = _upload(tech, "huge.png", os.urandom(3 * 1024 * 1024))
    assert r.status == 413 and "text/html" in r.headers["content-type"]
