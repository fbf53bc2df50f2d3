"""Each display's own setup (services and counters it covers, languages, orientation, message
line) on the manager's page and on the board; the break reasons the manager edits."""
from __future__ import annotations

import re

import pytest

from servicepoint import branch_file, usecases
from tests.support.web import db, post, sign_in


@pytest.fixture
def boss(client):
    sign_in(client, "manager")
    return client


def calls(app, *pairs):
    """Issue a ticket of each (service, counter) pair and call it there."""
    with app.test_request_context():
        from servicepoint.web_db import get_ports

        ports = get_ports()
        for service, counter in pairs:
            usecases.issue_ticket(ports, service=service, language="es")
            usecases.call_next(ports, counter=counter)


FULL = {"name": "Lobby display", "services": list("ABCD"), "counters": list("123456"),
        "language": "en", "orientation": "landscape", "message": ""}


def save(client, code="D1", **changes):
    return post(client, f"/manager/displays/{code}", {**FULL, **changes})


def test_only_managers_configure_displays(client):
    for role in ("staff", "technician"):
        sign_in(client, role)
        assert client.get("/manager/displays").status_code == 403
        assert save(client).status_code == 403
    sign_in(client, "manager")
    html = client.get("/manager/displays").get_data(as_text=True)
    assert 'href="/manager/displays/D1"' in html
    assert client.get("/manager/displays/K1").status_code == 404  # a kiosk is not a display


def test_the_form_shows_the_display_as_it_is(boss):
    html = boss.get("/manager/displays/D1").get_data(as_text=True)
    for code in "ABCD":
        assert re.search(rf'name="services" value="{code}"\s+checked', html)
    for code in "123456":
        assert re.search(rf'name="counters" value="{code}"\s+checked', html)
    assert '<option value="en" selected>' in html
    assert re.search(r'name="orientation" value="landscape"\s+checked', html)


def test_a_saved_display_shows_only_its_services_and_counters(app, boss):
    calls(app, ("A", "1"), ("C", "5"), ("D", "6"), ("B", "3"))
    r = save(boss, services=["C", "D"], counters=["5", "6"], languages=["es"],
             orientation="portrait", message="Planta primera: mostradores 5 y 6")
    assert r.status_code == 200 and "Display D1 saved" in r.get_data(as_text=True)
    board = boss.get("/display/D1/board").get_data(as_text=True)
    shown = re.findall(r'data-number="(\w+)"', board)
    assert shown == ["D001", "C001"]  # not A001 (counter 1, service A) nor B001 (counter 3)
    assert re.findall(r'<tr data-service="(\w)">', board) == ["C", "D"]
    assert '<p class="board-message" id="board-message">Planta primera: mostradores 5 y 6</p>' in board
    assert '<span lang="en">Now calling</span> · <span lang="es">Llamando</span>' in board
    page = boss.get("/display/D1").get_data(as_text=True)
    assert 'class="display orientation-portrait"' in page
    conn = db(app)
    try:
        audit = conn.execute("SELECT actor, action, entity, entity_key, after FROM audit_log"
                             " WHERE entity = 'device' ORDER BY id DESC LIMIT 1").fetchone()
        stored = conn.execute("SELECT services, counters, languages, orientation, message"
                              " FROM devices WHERE code = 'D1'").fetchone()
    finally:
        conn.close()
    assert tuple(audit)[:4] == ("manager", "update", "device", "D1")
    assert '"message":"Planta primera: mostradores 5 y 6"' in audit["after"]
    assert tuple(stored) == ('["C","D"]', '["5","6"]', '["en","es"]', "portrait",
                             "Planta primera: mostradores 5 y 6")


def test_all_ticked_means_every_one_new_ones_too(app, boss):
    save(boss, services=["A"], counters=["1"])
    save(boss)
    conn = db(app)
    try:
        stored = conn.execute("SELECT services, counters FROM devices WHERE code = 'D1'").fetchone()
    finally:
        conn.close()
    assert tuple(stored) == (None, None)


def test_the_board_language_can_be_spanish_first(app, boss):
    save(boss, language="es", languages=["en"])
    board = boss.get("/display/D1/board").get_data(as_text=True)
    assert '<span lang="es">Llamando</span> · <span lang="en">Now calling</span>' in board
    assert '<html lang="es" dir="ltr">' in boss.get("/display/D1").get_data(as_text=True)
    one = boss.get("/display/D1/board?lang=en").get_data(as_text=True)  # one language asked
    assert '<span lang="en">Now calling</span></h1>' in one


def test_a_bad_submit_keeps_what_was_typed_and_says_why(app, boss):
    long = "Closed on Friday " * 10
    r = save(boss, name="Renamed board", message=long)
    html = r.get_data(as_text=True)
    assert r.status_code == 422
    assert 'id="error-message">This is too long.<' in html
    assert 'value="Renamed board"' in html and long.strip() in html
    conn = db(app)
    try:
        name = conn.execute("SELECT name, message FROM devices WHERE code = 'D1'").fetchone()
    finally:
        conn.close()
    assert tuple(name) == ("Lobby display", None)  # nothing saved


def test_each_call_shows_its_service_and_the_counters_location(app, client):
    calls(app, ("C", "4"))
    board = client.get("/display/D1/board").get_data(as_text=True)
    assert re.search(r'<span class="call-counter">Counter 4</span>\s*<span class="call-where">Accounts and cards · '
                     r'<span class="call-location">Ground floor, right</span>', board)
    spanish = client.get("/display/D1/board?lang=es").get_data(as_text=True)
    assert "Cuentas y tarjetas · " in spanish


def test_the_board_has_a_reconnecting_mark_and_no_personal_data(app, client):
    page = client.get("/display/D1").get_data(as_text=True)
    assert 'id="display-reconnecting" role="status">Reconnecting…<' in page
    # The board arrives on the display's own stream (a setup change reaches it at once:
    # tests/integration/test_live_streams.py).
    assert 'sse-swap="board"' in page and "display=D1" in page
    calls(app, ("A", "1"))
    board = client.get("/display/D1/board").get_data(as_text=True)
    call = re.search(r'<li class="call newest".*?</li>', board, re.S).group(0)
    text = re.sub(r"<[^>]+>", " ", call).split()
    assert text == ["A001", "→", "Counter", "1", "General", "enquiries", "·", "Ground", "floor,",
                    "left"]


def test_the_display_setup_round_trips_through_the_branch_file(app, boss):
    save(boss, services=["C", "D"], counters=["5", "6"], language="es", languages=["en"],
         orientation="portrait", message="Planta primera")
    conn = db(app)
    try:
        text = branch_file.export_text(conn)
    finally:
        conn.close()
    block = text[text.index('code = "D1"'):].split("\n\n")[0]
    for line in ('language = "es"', 'services = ["C", "D"]', 'counters = ["5", "6"]',
                 'languages = ["es", "en"]', 'orientation = "portrait"',
                 'message = "Planta primera"'):
        assert line in block, line


# -- break reasons ---------------------------------------------------------------------

def test_the_manager_edits_the_break_reasons_the_counter_offers(app, boss):
    html = boss.get("/manager/break-reasons").get_data(as_text=True)
    assert ">Lunch\nShort break\nBack-office work\nTraining</textarea>" in html
    r = post(boss, "/manager/break-reasons", {"reasons": "Lunch\nDoctor\n\nTeam meeting\n"})
    assert r.status_code == 200 and "Break reasons saved." in r.get_data(as_text=True)
    sign_in(boss, "staff")
    post(boss, "/counter/1/state/open")
    counter = boss.get("/counter/1").get_data(as_text=True)
    assert re.findall(r'name="reason" value="([^"]+)"', counter) == ["Lunch", "Doctor",
                                                                   "Team meeting"]
    r = post(boss, "/counter/1/state/break", {"reason": "Training"})  # no longer on the list
    assert r.status_code == 409


def test_bad_break_reasons_are_refused_and_kept(app, boss):
    r = post(boss, "/manager/break-reasons", {"reasons": "Lunch\nlunch"})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and "An entry appears twice." in html
    assert ">Lunch\nlunch</textarea>" in html
    r = post(boss, "/manager/break-reasons", {"reasons": "Lunch"}, htmx=False)
    assert r.status_code == 303
    assert "Break reasons saved." in boss.get("/manager/break-reasons").get_data(as_text=True)


def test_an_empty_list_means_a_break_needs_no_reason(app, boss):
    post(boss, "/manager/break-reasons", {"reasons": ""})
    sign_in(boss, "staff")
    post(boss, "/counter/2/state/open")
    html = boss.get("/counter/2").get_data(as_text=True)
    assert 'name="reason"' not in html and 'id="btn-break"' in html
    r = post(boss, "/counter/2/state/break")
    assert r.status_code == 200 and "On a break" in r.get_data(as_text=True)


def test_announcements_follow_the_displays_counters_and_languages(app, boss):
    """The display speaks in each of its setup's languages, in order, and only the calls
    its board shows (its services and counters)."""
    from tests.support.require import require_espeak

    require_espeak()
    start = boss.get("/display/D1/announcements").get_json()["cursor"]
    save(boss, counters=["5"], language="es", languages=["en"])
    calls(app, ("A", "1"), ("A", "5"))
    items = boss.get(f"/display/D1/announcements?after={start}").get_json()["items"]
    assert [(i["number"], i["counter"]) for i in items] == [("A002", "5")]
    assert [a["lang"] for a in items[0]["audio"]] == ["es", "en"]
    for audio in items[0]["audio"]:
        r = boss.get(audio["url"])
        assert r.status_code == 200 and r.mimetype == "audio/wav"
