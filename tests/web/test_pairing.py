"""Pairing kiosks and displays: the code on an unpaired screen, entering it, revoking it.

An outsider's browser (``stranger``) opens the branch's kiosk and display pages
and gets only the pairing screen; a manager or technician enters its code on
``/hardware/devices`` (or with ``servicepoint device pair``), and only then does
that browser issue printed tickets or show the board.
"""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from servicepoint.cli import cli
from servicepoint.timeutil import SystemClock
from tests.support.devices import cookie_name, shown_code
from tests.support.web import CSRF, db, post, sign_in


def start_pairing(browser, device: str = "") -> str:
    """What the pairing screen does on load: ask for a code; returns the code shown."""
    r = post(browser, "/pair/start", {"device": device})
    assert r.status_code == 200
    return shown_code(r.get_data(as_text=True))


def claim(browser):
    return post(browser, "/pair/claim")


def count(app, sql: str, *params) -> int:
    conn = db(app)
    try:
        return conn.execute(sql, params).fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def manager_browser(app):
    c = app.test_client()
    sign_in(c, "manager")
    return c


def test_an_unpaired_browser_sees_the_pairing_screen_and_issues_nothing(app, stranger):
    r = stranger.get("/kiosk/K1")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "not paired" in html
    assert 'name="service"' not in html and "/kiosk/K1/issue" not in html
    assert r.headers["Cache-Control"] == "no-store"
    forged = post(stranger, "/kiosk/K1/issue", {"service": "A", "key": "forgedkey00001"},
                  htmx=False)
    assert forged.status_code == 403
    # A live part asked for by a page that was paired reloads into the pairing screen.
    part = stranger.get("/kiosk/K1/services", headers={"HX-Request": "true"})
    assert part.headers.get("HX-Refresh") == "true" and part.get_data() == b""
    assert count(app, "SELECT count(*) FROM tickets") == 0
    assert count(app, "SELECT count(*) FROM print_jobs") == 0


def test_an_unpaired_display_shows_no_board(stranger):
    r = stranger.get("/display/D1")
    assert r.status_code == 200 and "not paired" in r.get_data(as_text=True)
    assert 'id="board"' not in r.get_data(as_text=True)
    assert stranger.get("/display/D1/announcements").status_code == 403


def test_pairing_a_kiosk_by_its_code_then_revoking_it(app, stranger, manager_browser):
    code = start_pairing(stranger, "K1")
    assert claim(stranger).status_code == 204  # nobody has entered the code yet
    listed = manager_browser.get("/hardware/devices").get_data(as_text=True)
    assert "Screens waiting to be paired" in listed and "<td>K1</td>" in listed
    r = post(manager_browser, "/hardware/devices/pair",
             {"code": f"{code[:3]} {code[3:]}", "device": "K1"})
    assert r.status_code == 200 and "K1 is paired" in r.get_data(as_text=True)

    done = claim(stranger)
    assert done.status_code == 200 and done.headers["HX-Redirect"] == "/kiosk/K1"
    cookie = next(h for h in done.headers.getlist("Set-Cookie")
                  if h.startswith(cookie_name("K1") + "="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    token = cookie.split(";", 1)[0].split("=", 1)[1]
    # Only a hash is stored; the claim works once.
    assert count(app, "SELECT count(*) FROM api_tokens WHERE token_hash = ?", token) == 0
    assert claim(stranger).headers.get("HX-Refresh") == "true"

    page = stranger.get("/kiosk/K1").get_data(as_text=True)
    assert "/kiosk/K1/issue" in page
    issued = post(stranger, "/kiosk/K1/issue", {"service": "A", "key": "pairedkey00001"})
    assert issued.status_code == 201
    assert count(app, "SELECT count(*) FROM print_jobs") == 1
    assert count(app, "SELECT count(*) FROM audit_log WHERE action = 'pair' AND entity_key = 'K1'"
                      " AND actor = 'manager'") == 1

    r = post(manager_browser, "/hardware/devices/K1/revoke")
    assert r.status_code == 200 and "revoked" in r.get_data(as_text=True)
    assert "not paired" in stranger.get("/kiosk/K1").get_data(as_text=True)
    again = post(stranger, "/kiosk/K1/issue", {"service": "A", "key": "pairedkey00002"})
    assert again.status_code == 403 and again.headers.get("HX-Refresh") == "true"
    assert count(app, "SELECT count(*) FROM tickets") == 1
    assert count(app, "SELECT count(*) FROM audit_log WHERE action = 'revoke'") == 1


def test_a_screen_opened_anywhere_can_become_a_display(stranger, manager_browser):
    code = start_pairing(stranger)  # /pair: the screen does not know what it will be
    post(manager_browser, "/hardware/devices/pair", {"code": code, "device": "D1"})
    done = claim(stranger)
    assert done.headers["HX-Redirect"] == "/display/D1"
    assert 'id="board"' in stranger.get("/display/D1").get_data(as_text=True)
    # Paired as D1 is not paired as K1.
    assert "not paired" in stranger.get("/kiosk/K1").get_data(as_text=True)


def test_a_wrong_code_is_refused_in_the_users_language(manager_browser):
    r = manager_browser.post("/hardware/devices/pair",
                             data={"code": "12", "device": "K9", "csrf_token": CSRF},
                             headers={"HX-Request": "true", "Accept-Language": "es"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert "Escriba las 6 cifras" in html and "Elija un quiosco" in html
    assert 'value="12"' in html  # nothing typed is lost
    r = post(manager_browser, "/hardware/devices/pair", {"code": "000 000", "device": "K1"})
    assert r.status_code == 422 and "No screen shows this code" in r.get_data(as_text=True)


def test_a_code_expires(app, clock, stranger, manager_browser):
    code = start_pairing(stranger, "K2")
    clock.advance(minutes=16)
    r = post(manager_browser, "/hardware/devices/pair", {"code": code, "device": "K2"})
    assert r.status_code == 422
    assert claim(stranger).headers.get("HX-Refresh") == "true"  # the screen asks for a new one
    fresh = start_pairing(stranger, "K2")
    assert post(manager_browser, "/hardware/devices/pair",
                {"code": fresh, "device": "K2"}).status_code == 200
    assert claim(stranger).headers["HX-Redirect"] == "/kiosk/K2"


def test_who_may_pair(app):
    clerk, tech = app.test_client(), app.test_client()
    sign_in(clerk, "staff")
    sign_in(tech, "technician")
    assert clerk.get("/hardware/devices").status_code == 403
    assert post(clerk, "/hardware/devices/K1/revoke").status_code == 403
    assert tech.get("/hardware/devices").status_code == 200


def test_adding_a_kiosk_on_the_devices_page(app, manager_browser):
    r = post(manager_browser, "/hardware/devices/add",
             {"kind": "kiosk", "code": "K3", "name": "Back door", "language": "es",
              "printer": "Lobby printer (emulator)", "rate_per_min": "30"})
    assert r.status_code == 200 and "K3 is saved" in r.get_data(as_text=True)
    assert count(app, "SELECT rate_per_min FROM devices WHERE code = 'K3'") == 30
    bad = post(manager_browser, "/hardware/devices/add",
               {"kind": "kiosk", "code": "K 4!", "name": "", "rate_per_min": "lots"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and 'value="K 4!"' in html and "whole number" in html


def test_device_pair_command(make_app):
    app = make_app(clock=SystemClock())  # the command runs on the system clock too
    stranger = app.test_client()
    with stranger.session_transaction() as sess:
        sess["csrf"] = CSRF
    code = start_pairing(stranger, "K1")
    runner = CliRunner()
    bad = runner.invoke(cli, ["--db", app.config["DATABASE"], "device", "pair", "999999",
                              "--as", "K1"])
    assert bad.exit_code != 0 and "no screen shows this code" in bad.output
    ok = runner.invoke(cli, ["--db", app.config["DATABASE"], "device", "pair", code, "--as", "K1"])
    assert ok.exit_code == 0, ok.output
    assert claim(stranger).headers["HX-Redirect"] == "/kiosk/K1"
    listed = runner.invoke(cli, ["--db", app.config["DATABASE"], "device", "list"])
    assert "K1\tkiosk\tEntrance kiosk\t1 credential(s)" in listed.output
    revoked = runner.invoke(cli, ["--db", app.config["DATABASE"], "device", "revoke", "K1"])
    assert revoked.exit_code == 0 and "Revoked 1" in revoked.output
    assert "not paired" in stranger.get("/kiosk/K1").get_data(as_text=True)


def test_the_pairing_screen_speaks_the_kiosks_language(stranger):
    html = stranger.get("/kiosk/K2").get_data(as_text=True)  # K2 is a Spanish kiosk
    assert "Esta pantalla aún no está vinculada" in html and 'lang="es"' in html
    assert CSRF in html
