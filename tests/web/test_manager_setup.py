"""The audit page, its CSV and the day-close button, through the Flask test client."""
from __future__ import annotations

import csv
import io
import re

import pytest

from servicepoint import queries, setup
from servicepoint.setup_store import setup_ports
from servicepoint.usecases import issue_ticket
from tests.fixtures import make_ports
from tests.support.web import csrf_from, login


@pytest.fixture
def manager_client(client):
    assert login(client, "manager", "manager-demo").status_code == 302
    return client


def state_of(demo_db, clock, ticket_id: int) -> str:
    ports = make_ports(demo_db, clock)
    try:
        return queries.ticket(ports.conn, ticket_id).state.value
    finally:
        ports.conn.close()


def rows(html: str) -> int:
    return len(re.findall(r'<tr id="audit-\d+"', html))


def changes(demo_db, clock, n: int) -> None:
    ports = make_ports(demo_db, clock)
    try:
        sp = setup_ports(ports.conn, clock, "marta")
        for i in range(n):
            setup.update_settings(sp, {"retention_days": 30 + i})
        setup.update_counter(setup_ports(ports.conn, clock, "boss"), "3",
                             {"location": "Counter 3, first floor"})
    finally:
        ports.conn.close()


def test_only_managers_see_the_audit(client):
    assert client.get("/manager/audit").status_code == 302
    login(client, "clerk", "clerk-demo")
    assert client.get("/manager/audit").status_code == 403
    assert client.get("/manager/audit.csv").status_code == 403
    token = csrf_from(client.get("/").get_data(as_text=True))
    assert client.post("/manager/day-close", data={"csrf_token": token,
                                                   "confirm": "yes"}).status_code == 403


def test_the_audit_lists_who_changed_what_before_and_after(manager_client, demo_db, clock):
    changes(demo_db, clock, 1)
    html = manager_client.get("/manager/audit").get_data(as_text=True)
    assert "boss" in html and "update · counter <strong>3</strong>" in html
    assert "<code>location</code>: Ground floor, centre → Counter 3, first floor" in html
    assert "<code>retention_days</code>: 90 → 30" in html
    assert "init --demo" in html  # the demo was built through the same use cases


def test_filters_and_pages_come_as_htmx_fragments(manager_client, demo_db, clock):
    changes(demo_db, clock, 60)
    r = manager_client.get("/manager/audit?actor=boss", headers={"HX-Request": "true"})
    fragment = r.get_data(as_text=True)
    assert r.status_code == 200 and fragment.startswith('<section id="audit"')
    assert rows(fragment) == 1 and "boss" in fragment
    first = manager_client.get("/manager/audit?actor=marta").get_data(as_text=True)
    assert rows(first) == 50 and 'id="audit-more"' in first
    before = first.split('before=')[1].split("&")[0].split('"')[0]
    more = manager_client.get(f"/manager/audit?actor=marta&before={before}",
                              headers={"HX-Request": "true"}).get_data(as_text=True)
    assert rows(more) == 10 and "audit-more" not in more
    assert not more.startswith("<section")


def test_the_audit_exports_as_csv(manager_client, demo_db, clock):
    changes(demo_db, clock, 2)
    r = manager_client.get("/manager/audit.csv?entity=settings")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert [(row["actor"], row["action"]) for row in rows] == [
        ("init --demo", "update"), ("marta", "update"), ("marta", "update")]
    assert '"retention_days":31' in rows[-1]["after"]
    assert r.headers["Cache-Control"] == "no-store"


def test_the_day_close_button_needs_confirmation_and_expires_today(app, manager_client, demo_db,
                                                                   clock):
    ports = make_ports(demo_db, clock)
    try:
        ticket = issue_ticket(ports, service="A").ticket
    finally:
        ports.conn.close()
    page = manager_client.get("/manager").get_data(as_text=True)
    assert 'action="/manager/day-close"' in page and "00:00" in page  # closes at midnight
    token = csrf_from(page)
    assert manager_client.post("/manager/day-close", data={"confirm": "yes"}).status_code == 400
    r = manager_client.post("/manager/day-close", data={"csrf_token": token})
    assert r.status_code == 302
    assert state_of(demo_db, clock, ticket.id) == "waiting"
    r = manager_client.post("/manager/day-close", data={"csrf_token": token, "confirm": "yes"},
                            follow_redirects=True)
    html = r.get_data(as_text=True)
    assert "Day 2026-03-02 closed: 1 ticket expired." in html
    assert "Last close: day 2026-03-02, 1 expired (manual, 2026-03-02 10:00)." in html
    assert state_of(demo_db, clock, ticket.id) == "expired"
    audit = manager_client.get("/manager/audit?entity=day").get_data(as_text=True)
    assert "close · day <strong>2026-03-02</strong>" in audit


def test_a_trusted_proxy_is_seen_through_and_others_are_not(app, client, demo_db, clock):
    app.config["API_TICKET_RATE_LIMIT"] = 1
    limiter = app.extensions["servicepoint"]["api_limiter"]
    limiter.limit = 1
    ports = make_ports(demo_db, clock)
    try:
        setup.update_settings(setup_ports(ports.conn, clock, "manager"),
                              {"trusted_proxies": ["10.0.0.5"]})
    finally:
        ports.conn.close()
    app.extensions["servicepoint"]["proxies"].invalidate()

    def post(peer, forwarded):
        return client.post("/api/v1/tickets", json={"service": "A"},
                           environ_base={"REMOTE_ADDR": peer},
                           headers={"X-Forwarded-For": forwarded})

    # Two customers behind the proxy each get their own limit …
    assert post("10.0.0.5", "203.0.113.1").status_code == 201
    assert post("10.0.0.5", "203.0.113.2").status_code == 201
    assert post("10.0.0.5", "203.0.113.1").status_code == 429
    # … and a guest who is not the proxy cannot dodge its own by naming someone else.
    assert post("192.168.1.9", "203.0.113.3").status_code == 201
    assert post("192.168.1.9", "203.0.113.4").status_code == 429


def test_printer_and_kiosk_changes_on_the_hardware_pages_are_audited(client, demo_db, clock):
    login(client, "tech", "tech-demo")
    token = csrf_from(client.get("/hardware").get_data(as_text=True))
    form = {"csrf_token": token, "name": "Back office", "url": "file:/tmp/sp-back.bin",
            "paper_mm": "58", "mode": "server", "profile": "default"}
    assert client.post("/hardware/printers", data=form).status_code == 302
    ports = make_ports(demo_db, clock)
    try:
        printer_id = ports.conn.execute("SELECT id FROM printers WHERE name = 'Back office'"
                                        ).fetchone()[0]
        client.post("/hardware/kiosks/K2/printer", data={"csrf_token": token,
                                                         "printer_id": str(printer_id)})
        client.post(f"/hardware/printers/{printer_id}", data={**form, "paper_mm": "80"})
        client.post(f"/hardware/printers/{printer_id}/delete", data={"csrf_token": token})
        from servicepoint import setup_queries

        entries = [(e.actor, e.action, e.entity, e.key, e.changes) for e in reversed(
            setup_queries.audit_entries(ports.conn, actor="tech"))]
    finally:
        ports.conn.close()
    assert [e[:4] for e in entries] == [
        ("tech", "create", "printer", "Back office"), ("tech", "update", "device", "K2"),
        ("tech", "update", "printer", "Back office"), ("tech", "delete", "printer", "Back office")]
    assert entries[1][4] == [("printer", "Lobby printer (emulator)", "Back office")]
    assert entries[2][4] == [("paper_mm", 58, 80)]


def test_setup_ports_of_a_request_act_as_the_signed_in_person(app, client):
    from servicepoint.web_db import get_setup_ports
    from tests.support.web import USERS

    proxies = app.extensions["servicepoint"]["proxies"]
    assert proxies.networks() == []  # read and cached for a few seconds
    with app.test_request_context():
        from flask import session

        from servicepoint import sessions
        from servicepoint.web_db import get_db

        staff_id = get_db().execute("SELECT id FROM staff WHERE username = ?",
                                    (USERS["manager"]["username"],)).fetchone()[0]
        session["sid"] = sessions.start(get_db(), staff_id,
                                        now=app.extensions["servicepoint"]["clock"].now())
        p = get_setup_ports()
        assert p.actor == "manager"
        setup.update_settings(p, {"trusted_proxies": ["10.9.9.9"]})
    assert [str(n) for n in proxies.networks()] == ["10.9.9.9/32"]  # read again at once
