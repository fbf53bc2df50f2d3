"""Hole 2: a guest's ``Host`` header must never reach a printed QR code or a link."""
from __future__ import annotations

import json

from tests.security.support import PUBLIC_URL, Browser, bearer

EVIL = {"Host": "evil.example"}


def _payloads(branch, ticket_id: int) -> list[dict]:
    conn = branch.connect()
    try:
        return [json.loads(r[0]) for r in conn.execute(
            "SELECT payload FROM print_jobs WHERE ticket_id = ?", (ticket_id,))]
    finally:
        conn.close()


def test_the_host_header_cannot_put_a_phishing_qr_on_a_ticket(branch):
    """Attack: ``curl -H 'Host: evil.example' -d '{"service":"A","kiosk":"K1"}' …/api/v1/tickets``."""
    guest = Browser(branch.url).post_json("/api/v1/tickets", {"service": "A", "kiosk": "K1"},
                                          headers=EVIL)
    assert guest.status == 403 and guest.json["error"] == "kiosk_not_paired"  # prints nothing
    # The kiosk's own agent, fooled into the same Host, still prints the branch's link.
    r = Browser(branch.url).post_json("/api/v1/tickets", {"service": "A", "kiosk": "K1"},
                                      headers={**EVIL, **bearer(branch.device_token)})
    assert r.status == 201, r.text
    assert "evil.example" not in r.text
    assert r.json["track_url"].startswith(PUBLIC_URL + "/t/")
    printed = _payloads(branch, r.json["id"])
    assert printed and all(p["track_url"].startswith(PUBLIC_URL + "/t/") for p in printed)


def test_the_kiosk_face_ignores_the_host_header_too(branch):
    kiosk = Browser(branch.url).pair_as(branch.db, "K1")
    page = kiosk.get("/kiosk/K1", headers=EVIL)
    key = page.text.split('name="key" value="', 1)[1].split('"', 1)[0]
    r = kiosk.request("POST", "/kiosk/K1/issue",
                      f"service=B&key={key}&csrf_token={kiosk.csrf}".encode(),
                      {"Content-Type": "application/x-www-form-urlencoded", **EVIL})
    assert r.status == 201, r.text[:500]
    conn = branch.connect()
    try:
        ticket_id = conn.execute("SELECT id FROM tickets WHERE idempotency_key LIKE ?",
                                 (f"%{key}",)).fetchone()[0]
    finally:
        conn.close()
    printed = _payloads(branch, ticket_id)
    assert printed and all(p["track_url"].startswith(PUBLIC_URL + "/t/") for p in printed)
    assert "evil.example" not in r.text
