"""Every customer-facing wait is the one estimate, and says "no counter open" when none serves."""
from __future__ import annotations

import re

from tests.support.web import post


def _issue(client, service: str, key: str):
    return post(client, "/kiosk/K1/issue", {"service": service, "key": key})


def test_no_counter_open_on_kiosk_ticket_phone_display_and_api(client, staff):
    ticket = _issue(client, "D", "honestkey0001").get_data(as_text=True)
    assert re.search(r'id="ticket-wait">No counter open<', ticket)
    menu = client.get("/kiosk/K1").get_data(as_text=True)
    board = client.get("/display/D1/board").get_data(as_text=True)
    # No counter is open at all: every service on the menu and the board says so.
    assert menu.count("No counter open") == 4 and board.count("No counter open") == 4
    issued = client.post("/api/v1/tickets", json={"service": "D"}).get_json()
    assert (issued["estimated_wait_s"], issued["no_counter_open"]) == (None, True)
    phone = client.get(issued["track_url"].replace("http://localhost", "")).get_data(as_text=True)
    assert "No counter open" in phone
    # Spanish on the phone of a Spanish ticket.
    es = client.post("/api/v1/tickets", json={"service": "D", "language": "es"}).get_json()
    assert "Ningún mostrador abierto" in client.get(
        es["track_url"].replace("http://localhost", "")).get_data(as_text=True)

    # Counter 6 (D only) opens: now a wait is promised, the same on every screen.
    assert client.post("/api/v1/counters/6/open", headers=staff).status_code == 200
    queue = {s["service"]: s for s in client.get("/api/v1/queue").get_json()["services"]}
    assert queue["D"]["no_counter_open"] is False and queue["D"]["estimated_wait_s"] > 0
    board = client.get("/display/D1/board").get_data(as_text=True)
    menu = client.get("/kiosk/K1").get_data(as_text=True)
    phone = client.get(issued["track_url"].replace("http://localhost", "")).get_data(as_text=True)
    assert menu.count("No counter open") == 3 and board.count("No counter open") == 3
    assert "No counter open" not in phone
    mine = client.get(f"/api/v1/tickets/{issued['id']}", headers=staff).get_json()
    assert mine["no_counter_open"] is False and mine["estimated_wait_s"] > 0


def test_the_printed_ticket_says_no_counter_open(client, app):
    _issue(client, "D", "honestkey0002")
    from tests.support.web import db

    conn = db(app)
    try:
        payload = conn.execute("SELECT payload FROM print_jobs ORDER BY id DESC LIMIT 1").fetchone()[0]
    finally:
        conn.close()
    assert '"no_counter_open": true' in payload and '"estimated_wait_s": null' in payload
