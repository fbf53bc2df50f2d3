"""The lobby display through the Flask test client: board page, board fragment, announcements."""
from __future__ import annotations

import json
import re

import pytest

from display import texts
from servicepoint import usecases
from tests.support.web import db, post, sign_in


def issue_and_call(app, service="A", counter="1", language="en"):
    with app.test_request_context():
        from servicepoint.web_db import get_ports

        ports = get_ports()
        usecases.issue_ticket(ports, service=service, language=language)
        return usecases.call_next(ports, counter=counter)


def test_display_page(client):
    r = client.get("/display/D1")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in html
    # The stream carries this display's board (pushed, not fetched on every change).
    assert 'sse-connect="/api/v1/events?display=D1&amp;lang=en"' in html
    assert re.search(r'id="board" sse-swap="board"', html)
    assert 'data-tz="Europe/Madrid"' in html and re.search(r'id="clock"[^>]*>\d\d:\d\d<', html)
    assert "No tickets called yet today." in html
    assert "General enquiries" in html and "Business customers" in html
    assert "display.js" in html and r.headers["Cache-Control"] == "no-store"
    assert "announce.js" in html and 'data-announce-url="/display/D1/announcements"' in html


@pytest.mark.parametrize("code", ["K1", "X9"])
def test_unknown_display_is_a_friendly_404(client, code):
    r = client.get(f"/display/{code}")
    assert r.status_code == 404 and "This display is not set up" in r.get_data(as_text=True)
    assert client.get(f"/display/{code}/board").status_code == 404


def test_board_shows_the_called_ticket(app, client):
    ticket = issue_and_call(app, "B", "3")
    r = client.get("/display/D1/board")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in html
    assert re.search(r'class="call newest"\s+data-call-key="\d+" data-number="B001"', html)
    # The counter by its name, then the service and where the counter is.
    assert re.search(r'<span class="call-number">B001</span>.*?<span class="call-counter">Counter 3</span>\s*'
                     r'<span class="call-where">Payments and cash · '
                     r'<span class="call-location">Ground floor, centre</span>', html, re.S)
    assert "data-latest-say" not in html  # the server speaks now (display/announce.py)
    assert ticket.number == "B001"


def test_newest_call_first_and_recall_is_a_new_announcement(app, client):
    issue_and_call(app, "A", "1")
    second = issue_and_call(app, "B", "2", language="es")
    html = client.get("/display/D1/board").get_data(as_text=True)
    calls = html[html.index('<section class="calls"'):]
    assert calls.index("B001") < calls.index("A001")
    # What to announce travels with the board: both calls, oldest first.
    announce = json.loads(re.search(r"data-announce='([^']*)'", html).group(1))
    assert [i["number"] for i in announce["items"]] == ["A001", "B001"]
    key = re.search(r'data-latest-key="(\d+)"', html).group(1)
    with app.test_request_context():
        from servicepoint.web_db import get_ports

        usecases.act(get_ports(), ticket_id=second.id, action="recall", counter="2")
    html = client.get("/display/D1/board").get_data(as_text=True)
    assert re.search(r'data-latest-key="(\d+)"', html).group(1) != key


def test_board_counts_waiting_people(app, client):
    for key in ("waitkey00001", "waitkey00002"):
        post(client, "/kiosk/K1/issue", {"service": "C", "key": key})
    html = client.get("/display/D1/board").get_data(as_text=True)
    row = re.search(r'<tr data-service="C">.*?</tr>', html, re.S).group(0)
    assert 'q-waiting">2<' in row and "No counter open" in row


def test_spanish_board(client):
    html = client.get("/display/D1?lang=es").get_data(as_text=True)
    assert '<html lang="es" dir="ltr">' in html and "Llamando" in html and "Consultas generales" in html


def test_htmx_request_on_the_page_gets_the_fragment(client):
    r = client.get("/display/D1", headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.get_data(as_text=True)


def test_no_personal_data_on_the_board(app, client):
    """Calls made by a named clerk for customers who said something about themselves
    (a priority need, an appointment) show on the board as numbers and counters only."""
    with app.test_request_context():
        from servicepoint.web_db import get_ports

        # An appointment is issued by staff (a customer cannot declare one).
        usecases.issue_ticket(get_ports(), service="A", language="es", priority="appointment",
                              staff="clerk")
    post(client, "/kiosk/K2/issue", {"service": "A", "key": "privatekey0001",
                                     "priority": "priority"})
    sign_in(client, "staff")  # Ana Clerk, username clerk
    assert "Called A001." in post(client, "/counter/1/next").get_data(as_text=True)
    with app.test_request_context():  # the same name at a second counter, as a script's token
        from servicepoint.web_db import get_ports

        assert usecases.call_next(get_ports(), counter="2", staff="clerk").number == "A002"
    conn = db(app)
    try:
        tickets = [dict(r) for r in conn.execute("SELECT * FROM tickets ORDER BY id")]
        staff = {r[0] for r in conn.execute("SELECT staff_username FROM ticket_events"
                                            " WHERE action = 'call'")}
    finally:
        conn.close()
    assert [t["priority"] for t in tickets] == ["appointment", "priority"]
    assert staff == {"clerk"}  # the calls are on the clerk's name
    for url in ("/display/D1/board", "/display/D1", "/display/D1?lang=es"):
        html = client.get(url).get_data(as_text=True)
        assert "A001" in html and "A002" in html, url  # the calls are on the board
        assert "Ana Clerk" not in html and "clerk" not in html.lower(), url
        assert "privatekey0001" not in html and "/t/" not in html, url
        # The counter's words for the two needs, in both languages (counter/texts.py).
        for need in ("Appointment", "Cita previa", "Priority assistance", "Atención prioritaria",
                     "appointment", "priority"):
            assert need not in html, (url, need)
        for t in tickets:
            assert t["public_id"] not in html, url


def test_every_display_text_is_translated_in_every_language():
    from servicepoint import catalogs

    for lang in catalogs.LANGUAGES:
        assert [k for k, e in texts.CATALOGUE.items() if not catalogs.has(e, lang)] == [], lang


def test_a_call_fades_once_the_customer_is_gone(app, client):
    first = issue_and_call(app, "A", "1")
    second = issue_and_call(app, "B", "3")
    board = client.get("/display/D1/board").get_data(as_text=True)
    assert re.search(r'class="call newest"\s+data-call-key="\d+" data-number="B001"', board)
    assert re.search(r'class="call"\s+data-call-key="\d+" data-number="A001"', board)
    with app.test_request_context():
        from servicepoint.web_db import get_ports

        ports = get_ports()
        usecases.act(ports, ticket_id=second.id, action="start", counter="3")  # still there
        usecases.act(ports, ticket_id=first.id, action="no_show", counter="1")  # gone
    board = client.get("/display/D1/board").get_data(as_text=True)
    assert re.search(r'class="call newest"\s+data-call-key="\d+" data-number="B001"', board)
    assert re.search(r'class="call past"\s+data-call-key="\d+" data-number="A001"', board)


def test_live_screens_vary_on_hx_request(client):
    """A cache must never hand a fragment to a browser or a whole page to htmx."""
    for url in ("/display/D1", "/display/D1/board", "/kiosk/K1", "/kiosk/K1/services",
                "/kiosk/K1/printer", "/display/X9"):
        for headers in ({}, {"HX-Request": "true"}):
            r = client.get(url, headers=headers)
            assert "HX-Request" in r.headers.get("Vary", ""), (url, headers)
            assert r.headers["Cache-Control"] == "no-store"
