"""Technician pages at /hardware, through the Flask test client on a demo database.

The access test signs in through the real /login form (argon2, CSRF token from
the page); the others write the session a sign-in leaves (tests/support/web.py).
Every form post carries the session's CSRF token like a browser would.
"""

from __future__ import annotations

import html
import re

import pytest

from servicepoint.db import connect
from tests.support.devices import pair
from tests.support.web import CSRF, USERS, csrf_from, login, sign_in

DEMO_PRINTER = "Lobby printer (emulator)"
ROLES = {user["username"]: role for role, user in USERS.items()}  # clerk -> staff, ...


@pytest.fixture
def db(demo_db):
    conn = connect(demo_db)
    yield conn
    conn.close()


class Browser:
    """A test client that signs in through the form and posts forms with the CSRF token."""

    def __init__(self, app):
        self.client = app.test_client()
        self.csrf = ""

    def login(self, username: str) -> "Browser":
        """Sign in as a demo account through the real /login form."""
        r = login(self.client, username)
        assert r.status_code == 302, r.get_data(as_text=True)[:500]
        self.csrf = csrf_from(self.client.get("/login").get_data(as_text=True))
        return self

    def session_for(self, username: str) -> "Browser":
        """The session a successful sign-in leaves (argon2 is slow; the form is tested once)."""
        sign_in(self.client, ROLES[username])
        self.csrf = CSRF
        return self

    def get(self, path: str, **kw):
        return self.client.get(path, **kw)

    def post(self, path: str, data: dict | None = None, **kw):
        return self.client.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kw)

    def follow(self, path: str, data: dict | None = None) -> str:
        """POST a form, expect the redirect back, return the page it leads to (with flashes)."""
        r = self.post(path, data)
        assert r.status_code == 302, (r.status_code, r.get_data(as_text=True)[:500])
        return html.unescape(self.get(r.headers["Location"]).get_data(as_text=True))


@pytest.fixture
def tech(app):
    return Browser(app).session_for("tech")


def _issue(app, kiosk: str = "K1", service: str = "A") -> dict:
    """A ticket issued at ``kiosk`` with that kiosk's own credential (so it prints)."""
    token = pair(app.config["DATABASE"], kiosk, transport="bearer")
    r = app.test_client().post("/api/v1/tickets", json={"service": service, "kiosk": kiosk},
                               headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.get_json()


def _jobs(db, **where) -> list:
    clause = " AND ".join(f"{k} = ?" for k in where) or "1"
    return db.execute(f"SELECT * FROM print_jobs WHERE {clause} ORDER BY id", tuple(where.values())).fetchall()


# --------------------------------------------------------------------------- access


def test_hardware_needs_a_technician(app):
    anonymous = app.test_client().get("/hardware")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login?next=/hardware")
    for path in ("/hardware/printers", "/hardware/jobs", "/hardware/preview"):
        assert app.test_client().get(path).status_code == 302, path

    clerk = Browser(app).login("clerk")
    assert clerk.get("/hardware").status_code == 403
    assert clerk.get("/hardware/printers").status_code == 403
    assert clerk.post("/hardware/printers", {"name": "X", "url": "emulator:"}).status_code == 403

    page = Browser(app).login("tech").get("/hardware")
    assert page.status_code == 200
    text = html.unescape(page.get_data(as_text=True))
    assert DEMO_PRINTER in text and "emulator:" in text
    assert "K1" in text and "K2" in text  # the kiosks with their printer


def test_forms_without_csrf_token_are_refused(app, tech, db):
    r = tech.client.post("/hardware/printers", data={"name": "Sneaky", "url": "emulator:"})
    assert r.status_code == 400
    assert db.execute("SELECT count(*) FROM printers WHERE name = 'Sneaky'").fetchone()[0] == 0


# --------------------------------------------------------------------------- printers


@pytest.mark.parametrize("url, message", [
    ("bogus://10.0.0.1", "is not supported"),
    ("tcp://", "missing host"),
    ("serial:/dev/ttyUSB0?baudrate=12345", "baudrate 12345 is not supported"),
    ("", "printer URL is empty"),
])
def test_add_printer_with_bad_url_shows_a_friendly_error(tech, db, url, message):
    page = tech.follow("/hardware/printers", {"name": "Broken", "url": url, "paper_mm": "80",
                                              "mode": "server"})
    assert message in page
    assert 'role="alert"' in page
    assert db.execute("SELECT count(*) FROM printers WHERE name = 'Broken'").fetchone()[0] == 0


def test_add_printer_and_assign_it_to_a_kiosk(tech, db):
    page = tech.follow("/hardware/printers", {"name": "Entrance TM-T20", "url": "tcp://192.0.2.10:9100",
                                              "paper_mm": "58", "mode": "server", "profile": "default"})
    assert "Added printer Entrance TM-T20." in page
    assert "Entrance TM-T20" in page and "tcp://192.0.2.10:9100" in page
    row = db.execute("SELECT * FROM printers WHERE name = 'Entrance TM-T20'").fetchone()
    assert (row["url"], row["paper_mm"], row["mode"], row["status"]) == (
        "tcp://192.0.2.10:9100", 58, "server", "unknown")

    # The same name again is refused in words, not with a stack trace.
    page = tech.follow("/hardware/printers", {"name": "Entrance TM-T20", "url": "emulator:"})
    assert "a printer with that name already exists" in page

    page = tech.follow("/hardware/kiosks/K2/printer", {"printer_id": str(row["id"])})
    assert "Kiosk K2 updated." in page
    assert db.execute("SELECT printer_id FROM devices WHERE code = 'K2'").fetchone()[0] == row["id"]
    assert re.search(rf'<option value="{row["id"]}" selected>Entrance TM-T20</option>', page)

    tech.follow("/hardware/kiosks/K2/printer", {"printer_id": ""})  # none: numbers on screen only
    assert db.execute("SELECT printer_id FROM devices WHERE code = 'K2'").fetchone()[0] is None


def test_test_print_queues_a_test_job(tech, db):
    printer_id = db.execute("SELECT id FROM printers WHERE name = ?", (DEMO_PRINTER,)).fetchone()[0]
    page = tech.follow(f"/hardware/printers/{printer_id}/test")
    assert "Test page queued" in page
    jobs = _jobs(db, kind="test")
    assert len(jobs) == 1
    assert (jobs[0]["printer_id"], jobs[0]["state"], jobs[0]["ticket_id"]) == (printer_id, "pending", None)
    assert f'id="job-{jobs[0]["id"]}"' in page  # listed under recent jobs

    assert "No such printer." in tech.follow("/hardware/printers/99999/test")
    assert len(_jobs(db, kind="test")) == 1


def test_deleting_a_printer_fails_its_unprinted_jobs(app, tech, db):
    printer_id = db.execute("SELECT id FROM printers WHERE name = ?", (DEMO_PRINTER,)).fetchone()[0]
    pending = _issue(app)["print"]["job_id"]
    sent = _issue(app)["print"]["job_id"]
    db.execute("UPDATE print_jobs SET state = 'sent' WHERE id = ?", (sent,))
    db.commit()

    page = tech.follow(f"/hardware/printers/{printer_id}/delete")
    assert "Printer removed." in page
    jobs = {j["id"]: j for j in _jobs(db, printer_id=printer_id)}
    assert [(jobs[i]["state"], jobs[i]["error"]) for i in (pending, sent)] == [
        ("failed", "printer removed"), ("failed", "printer removed")]
    # Its past jobs keep the printer row, disabled: no worker or agent claims for it again.
    assert db.execute("SELECT enabled FROM printers WHERE id = ?", (printer_id,)).fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM devices WHERE printer_id = ?", (printer_id,)).fetchone()[0] == 0
    after = _issue(app)["print"]  # the kiosk shows numbers on screen only now
    assert (after["state"], after["job_id"]) == ("none", None)


# --------------------------------------------------------------------------- preview and reprint


def test_preview_renders_ticket_html(app, tech):
    sample = tech.get("/hardware/preview")
    assert sample.status_code == 200
    text = html.unescape(sample.get_data(as_text=True))
    assert "A042" in text and "General enquiries" in text

    ticket = _issue(app, service="C")
    real = tech.get(f"/hardware/preview?ticket={ticket['id']}")
    assert real.status_code == 200
    text = html.unescape(real.get_data(as_text=True))
    assert ticket["number"] in text and "Accounts and cards" in text
    assert 'class="paper"' in text


@pytest.mark.parametrize("who", ["clerk", "tech"])
def test_reprint_creates_a_new_job(app, db, who):
    ticket = _issue(app)
    first = _jobs(db, ticket_id=ticket["id"])
    assert [j["kind"] for j in first] == ["ticket"]
    page = Browser(app).session_for(who).follow(f"/hardware/tickets/{ticket['id']}/reprint")
    assert "Reprint queued." in page
    jobs = _jobs(db, ticket_id=ticket["id"])
    assert [(j["kind"], j["state"]) for j in jobs] == [("ticket", "pending"), ("reprint", "pending")]
    assert jobs[1]["payload"] == jobs[0]["payload"]


def test_reprint_of_a_ticket_without_a_job_explains_why(app, db, tech):
    r = app.test_client().post("/api/v1/tickets", json={"service": "A"})  # no kiosk: no printer
    ticket = r.get_json()
    page = tech.follow(f"/hardware/tickets/{ticket['id']}/reprint")
    assert "was never printed; nothing to reprint" in page
    assert _jobs(db, ticket_id=ticket["id"]) == []


# --------------------------------------------------------------------------- emulator and partials


def test_emulator_state_switch(tech, emulator):
    """``emulator`` (tests/hardware/conftest.py) is registered as emulator:default."""
    page = html.unescape(tech.get("/hardware").get_data(as_text=True))
    assert "emulator:default" in page and 'id="emulator-default-state">ok<' in page

    page = tech.follow("/hardware/emulators/default/state", {"state": "paper_out"})
    assert emulator.state == "paper_out"
    assert "Emulator default is now paper_out." in page

    # htmx posts get the printers fragment back.
    r = tech.post("/hardware/emulators/default/state", {"state": "cover_open"},
                  headers={"HX-Request": "true"})
    assert r.status_code == 200
    fragment = r.get_data(as_text=True)
    assert "<html" not in fragment and 'id="emulator-default-state">cover_open<' in fragment
    assert emulator.state == "cover_open"

    assert "unknown emulator state" in tech.follow("/hardware/emulators/default/state", {"state": "melting"})
    assert emulator.state == "cover_open"
    assert "No emulator 'nobody' is running." in tech.follow("/hardware/emulators/nobody/state",
                                                               {"state": "ok"})


def test_partials_are_fragments(app, tech, db):
    _issue(app)
    printers = tech.get("/hardware/printers")
    assert printers.status_code == 200
    body = printers.get_data(as_text=True)
    assert "<html" not in body.lower() and "<body" not in body.lower()
    assert body.lstrip().startswith("<table") and DEMO_PRINTER in html.unescape(body)
    printer_id = db.execute("SELECT id FROM printers").fetchone()[0]
    assert f'id="printer-{printer_id}" data-status="unknown"' in body

    jobs = tech.get("/hardware/jobs")
    assert jobs.status_code == 200
    body = jobs.get_data(as_text=True)
    assert "<html" not in body.lower() and body.lstrip().startswith("<table")
    job = _jobs(db)[-1]
    assert f'id="job-{job["id"]}"' in body and "pending" in body
