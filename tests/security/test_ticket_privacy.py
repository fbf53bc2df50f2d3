"""Hole 1 and 7: nobody but a ticket's holder and staff learns its tracking secret, so
nobody else can watch or cancel it; idempotency keys cannot be borrowed."""
from __future__ import annotations

import base64
import re
import uuid

from tests.security.support import PUBLIC_URL, Browser, bearer


def _issue(browser: Browser, service: str = "A", headers=None) -> dict:
    r = browser.post_json("/api/v1/tickets", {"service": service}, headers=headers)
    assert r.status == 201, r.text
    return r.json


def _secret(ticket: dict) -> str:
    return ticket["track_url"].rsplit("/", 1)[1]


def _state(branch, ticket_id: int) -> str:
    staff = Browser(branch.url)
    r = staff.get(f"/api/v1/tickets/{ticket_id}", headers=bearer(branch.staff_token))
    assert r.status == 200, r.text
    return r.json["state"]


def test_enumerating_ticket_ids_leaks_no_tracking_link(branch):
    """Attack: walk GET /api/v1/tickets/1..N anonymously and collect every track_url."""
    victims = [_issue(Browser(branch.url, source="127.0.0.2")) for _ in range(5)]
    secrets = {_secret(v) for v in victims}
    attacker = Browser(branch.url, source="127.0.0.3")
    top = max(v["id"] for v in victims)
    for ticket_id in range(1, top + 3):
        r = attacker.get(f"/api/v1/tickets/{ticket_id}")
        assert r.status in (401, 404), (ticket_id, r.status, r.text)
        assert "track_url" not in r.text and not any(s in r.text for s in secrets)
    # A made-up secret is no better than none.
    r = attacker.get(f"/api/v1/tickets/{victims[0]['id']}", headers={"X-Ticket-Secret": "guess"})
    assert r.status == 404 and "track_url" not in r.text


def test_the_holder_still_reads_their_own_ticket(branch):
    phone = Browser(branch.url, source="127.0.0.4")
    mine = _issue(phone)
    r = phone.get(f"/api/v1/tickets/{mine['id']}", headers={"X-Ticket-Secret": _secret(mine)})
    assert r.status == 200 and r.json["number"] == mine["number"]
    assert r.json["track_url"] == mine["track_url"]


def test_tracking_secrets_are_unguessable(branch):
    """At least 96 random bits, so guessing /t/<secret> is hopeless."""
    for _ in range(5):
        secret = _secret(_issue(Browser(branch.url)))
        assert re.fullmatch(r"[A-Za-z0-9_-]+", secret)
        raw = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
        assert len(raw) * 8 >= 96, (secret, len(raw) * 8)


def test_a_guest_cannot_cancel_someone_elses_ticket(branch):
    """Attack: get a CSRF token from any public page, then cancel a victim by id."""
    victim = _issue(Browser(branch.url, source="127.0.0.2"))
    attacker = Browser(branch.url, source="127.0.0.3")
    mine = _issue(attacker)
    attacker.get(f"/t/{_secret(mine)}")  # a public page: the attacker's CSRF token
    assert attacker.csrf
    # Everything an attacker can reach without the victim's secret:
    r = attacker.get(f"/api/v1/tickets/{victim['id']}")
    assert r.status == 401 and _secret(victim) not in r.text
    r = attacker.post_json(f"/api/v1/tickets/{victim['id']}/cancel",
                           headers={"X-CSRF-Token": attacker.csrf})
    assert r.status == 401
    r = attacker.post_form(f"/t/{victim['id']}/cancel", {})
    assert r.status == 404
    assert _state(branch, victim["id"]) == "waiting"
    # The holder, with the secret, can.
    holder = Browser(branch.url, source="127.0.0.2")
    holder.get(f"/t/{_secret(victim)}")
    r = holder.post_form(f"/t/{_secret(victim)}/cancel", {})
    assert r.status == 302
    assert _state(branch, victim["id"]) == "cancelled"


def test_an_idempotency_key_cannot_be_borrowed(branch):
    """Attack: replay someone else's Idempotency-Key to receive their ticket and link."""
    key = {"Idempotency-Key": f"tap-{uuid.uuid4().hex[:8]}"}
    integration = Browser(branch.url)
    theirs = _issue(integration, headers={**key, **bearer(branch.staff_token)})
    neighbour = _issue(Browser(branch.url, source="127.0.0.2"), headers=key)
    assert neighbour["id"] != theirs["id"] and neighbour["track_url"] != theirs["track_url"]
    stranger = Browser(branch.url, source="127.0.0.3")
    r = stranger.post_json("/api/v1/tickets", {"service": "A"}, headers=key)
    assert r.status == 201 and r.json["id"] not in (theirs["id"], neighbour["id"])
    assert _secret(theirs) not in r.text and _secret(neighbour) not in r.text
    # The same caller repeating its own key still gets its own ticket back (a double tap).
    again = Browser(branch.url, source="127.0.0.2").post_json("/api/v1/tickets", {"service": "A"},
                                                              headers=key)
    assert again.status == 201 and again.json["id"] == neighbour["id"]
    assert again.headers.get("idempotent-replayed") == "true"


def test_links_use_the_public_url(branch):
    assert _issue(Browser(branch.url))["track_url"].startswith(PUBLIC_URL + "/t/")
