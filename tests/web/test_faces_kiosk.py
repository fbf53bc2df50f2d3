"""The kiosk face through the Flask test client: screens, issue flow, idempotency, rate limit."""
from __future__ import annotations

import re

import pytest

from kiosk import texts
from servicepoint.db import connect
from servicepoint.ratelimit import RateLimiter
from tests.support.devices import pair_client
from tests.support.web import CSRF, db, form_key, post


def issue(client, service="A", key=None, kiosk="K1", htmx=True, **extra):
    data = {"service": service, **extra}
    if key is not None:
        data["key"] = key
    return post(client, f"/kiosk/{kiosk}/issue", data, htmx=htmx)


def tickets(app):
    conn = db(app)
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM tickets ORDER BY id")]
    finally:
        conn.close()


def set_printer_status(app, status):
    conn = db(app)
    try:
        conn.execute("UPDATE printers SET status = ?", (status,))
    finally:
        conn.close()


# -- start screen -------------------------------------------------------------

def test_start_screen_lists_services_in_the_kiosk_language(client):
    r = client.get("/kiosk/K1")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert '<html lang="en" dir="ltr">' in html
    for code, name in (("A", "General enquiries"), ("B", "Payments and cash"),
                       ("C", "Accounts and cards"), ("D", "Business customers")):
        assert f'name="service" value="{code}"' in html
        assert name in html
    assert "Nobody waiting" in html
    assert 'name="csrf_token" value="' in html and form_key(html)
    assert 'sse-connect="/api/v1/events"' in html
    assert "I need priority assistance" in html
    assert r.headers["Cache-Control"] == "no-store"


def test_spanish_kiosk_and_language_switch(client):
    html = client.get("/kiosk/K2").get_data(as_text=True)
    assert '<html lang="es" dir="ltr">' in html and "Consultas generales" in html
    html = client.get("/kiosk/K1?lang=es").get_data(as_text=True)
    assert '<html lang="es" dir="ltr">' in html and "Necesito atención prioritaria" in html
    assert 'href="/kiosk/K1?lang=en"' in html and 'lang="en"' in html


def test_each_render_gets_a_new_idempotency_key(client):
    first = form_key(client.get("/kiosk/K1").get_data(as_text=True))
    second = form_key(client.get("/kiosk/K1").get_data(as_text=True))
    assert first != second


def test_kiosk_page_sets_a_session_cookie_for_csrf(app):
    fresh = app.test_client()
    r = fresh.get("/kiosk/K1")
    assert "session=" in r.headers.get("Set-Cookie", "")


@pytest.mark.parametrize("code", ["K9", "D1"])
def test_unknown_kiosk_is_a_friendly_404(client, code):
    r = client.get(f"/kiosk/{code}")
    assert r.status_code == 404
    html = r.get_data(as_text=True)
    assert "This kiosk is not set up" in html and code in html
    assert client.get(f"/kiosk/{code}/services").status_code == 404
    assert issue(client, kiosk=code).status_code == 404


def test_htmx_requests_get_partials_only(client):
    r = client.get("/kiosk/K1", headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.get_data(as_text=True)
    assert 'id="issue-form"' in r.get_data(as_text=True)
    r = client.get("/kiosk/K1/services?lang=es")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in html and "Pagos y caja" in html
    r = client.get("/kiosk/K1/printer")
    assert r.status_code == 200 and r.get_data(as_text=True).strip() == ""


# -- issue flow ---------------------------------------------------------------

def test_issue_creates_a_ticket_and_shows_its_number(app, client):
    key = form_key(client.get("/kiosk/K1").get_data(as_text=True))
    r = issue(client, "A", key)
    assert r.status_code == 201
    html = r.get_data(as_text=True)
    assert "<html" not in html
    assert 'id="ticket-number">A001<' in html
    assert "General enquiries" in html and "You are next" in html
    assert "Please take your printed ticket" in html
    assert 'data-return-after="10"' in html
    [row] = tickets(app)
    assert (row["number"], row["state"], row["device_code"], row["language"], row["priority"]) == \
        ("A001", "waiting", "K1", "en", "normal")
    assert row["idempotency_key"] == f"kiosk:K1:{key}"


def test_plain_form_post_renders_the_whole_ticket_page(client):
    r = issue(client, "B", "plainformkey1", htmx=False)
    assert r.status_code == 201
    html = r.get_data(as_text=True)
    assert html.lstrip().startswith("<!doctype html>") and ">B001<" in html


def test_double_submit_with_the_same_key_gives_one_ticket(app, client):
    first = issue(client, "A", "doubletapkey01")
    second = issue(client, "A", "doubletapkey01")
    assert first.status_code == 201 and second.status_code == 200
    assert ">A001<" in first.get_data(as_text=True) and ">A001<" in second.get_data(as_text=True)
    assert len(tickets(app)) == 1
    third = issue(client, "A", "anotherkey0001")
    assert ">A002<" in third.get_data(as_text=True)


def test_priority_choice_and_spanish_ticket(app, client):
    r = issue(client, "C", "prioritykey001", kiosk="K2", priority="priority")
    html = r.get_data(as_text=True)
    assert r.status_code == 201 and "Su número" in html and "Atención prioritaria" in html
    [row] = tickets(app)
    assert (row["priority"], row["language"], row["device_code"]) == ("priority", "es", "K2")


def test_people_ahead_and_a_range_estimate(client, staff):
    for i in range(5):
        assert issue(client, "A", f"rangekey000{i}").status_code == 201
    html = issue(client, "A", "rangekey0005").get_data(as_text=True)
    assert "5 people ahead of you" in html
    # No counter serves A yet: the ticket says so instead of promising a wait.
    wait = re.search(r'id="ticket-wait">([^<]+)<', html).group(1)
    assert wait == "No counter open"
    start = client.get("/kiosk/K1").get_data(as_text=True)
    assert "6 people waiting" in start
    assert "No counter open" in start
    # One counter opens: 6 ahead × 240 s default, no history, shown as a range.
    assert client.post("/api/v1/counters/1/open", headers=staff).status_code == 200
    html = issue(client, "A", "rangekey0006").get_data(as_text=True)
    wait = re.search(r'id="ticket-wait">([^<]+)<', html).group(1)
    assert re.fullmatch(r"\d+–\d+ min", wait), wait


def test_issue_needs_the_csrf_token(app, client):
    r = client.post("/kiosk/K1/issue", data={"service": "A", "key": "nocsrfkey0001"})
    assert r.status_code == 400
    assert tickets(app) == []


def test_unknown_service_is_a_friendly_message(app, client):
    r = issue(client, "Z", "unknownsvc0001")
    assert r.status_code == 404
    assert "not available at this kiosk" in r.get_data(as_text=True)
    assert tickets(app) == []


def test_kiosk_restricted_to_some_services(app, client):
    conn = db(app)
    try:
        conn.execute("UPDATE devices SET services = '[\"A\", \"B\"]' WHERE code = 'K1'")
    finally:
        conn.close()
    html = client.get("/kiosk/K1").get_data(as_text=True)
    assert 'value="A"' in html and 'value="C"' not in html
    assert issue(client, "C", "restricted0001").status_code == 404


# -- printer ------------------------------------------------------------------

@pytest.mark.parametrize("status", ["paper_out", "cover_open", "offline", "no_reply"])
def test_printer_problem_banner_and_not_printed_message(app, client, status):
    set_printer_status(app, status)
    html = client.get("/kiosk/K1").get_data(as_text=True)
    assert f'data-printer-status="{status}"' in html
    assert client.get("/kiosk/K1/printer").get_data(as_text=True).count("kiosk-banner") == 1
    r = issue(client, "A", "printerkey0001")
    html = r.get_data(as_text=True)
    assert r.status_code == 201
    assert "Your ticket could not be printed — please note your number" in html
    assert 'id="ticket-number">A001<' in html


def test_not_printed_message_in_spanish(app, client):
    set_printer_status(app, "paper_out")
    html = issue(client, "A", "printerkey0002", kiosk="K2").get_data(as_text=True)
    assert "No se ha podido imprimir su ticket — por favor, anote su número" in html


def test_printer_fine_shows_no_banner(app, client):
    set_printer_status(app, "paper_low")
    html = client.get("/kiosk/K1").get_data(as_text=True)
    assert "data-printer-status" not in html


# -- rate limit ---------------------------------------------------------------

def test_rate_limit_refuses_the_twenty_first_ticket_in_a_minute(app, client):
    for i in range(20):
        assert issue(client, "A", f"ratelimitkey{i:02d}").status_code == 201
    r = issue(client, "A", "ratelimitkey20")
    assert r.status_code == 429
    assert "Please wait a moment" in r.get_data(as_text=True)
    assert int(r.headers["Retry-After"]) >= 1
    assert len(tickets(app)) == 20
    # A double tap of a ticket already issued is still answered with that ticket...
    replay = issue(client, "A", "ratelimitkey03")
    assert replay.status_code == 200 and ">A004<" in replay.get_data(as_text=True)
    # ...and another kiosk has its own allowance.
    assert issue(client, "A", "otherkioskkey1", kiosk="K2").status_code == 201


def test_an_opening_time_queue_is_never_refused():
    # A tap every 3 s (as fast as people take tickets) for three minutes, at the default rate.
    now = [0.0]
    limiter = RateLimiter(limit=20, window_s=60, clock=lambda: now[0])
    for _ in range(60):
        assert limiter.allow("K1")
        now[0] += 3.0
    # A burst of 20 at once (a group arriving) passes too; only the 21st waits.
    burst = RateLimiter(limit=20, window_s=60, clock=lambda: 0.0)
    assert all(burst.allow("K1") for _ in range(20)) and not burst.allow("K1")


def test_a_kiosk_has_its_own_configured_rate(app, client):
    conn = connect(app.config["DATABASE"])
    conn.execute("UPDATE devices SET rate_per_min = 2 WHERE code = 'K1'")
    conn.close()
    assert issue(client, "A", "ownrate000001").status_code == 201
    assert issue(client, "A", "ownrate000002").status_code == 201
    assert issue(client, "A", "ownrate000003").status_code == 429
    assert issue(client, "A", "ownrate000004", kiosk="K2").status_code == 201


def test_rate_limit_is_configurable(make_app):
    app = make_app(KIOSK_RATE_LIMIT=2)
    c = app.test_client()
    with c.session_transaction() as sess:
        sess["csrf"] = CSRF
    pair_client(c)
    assert issue(c, "A", "configlimit001").status_code == 201
    assert issue(c, "A", "configlimit002").status_code == 201
    r = issue(c, "A", "configlimit003", kiosk="K2", htmx=False)
    assert r.status_code == 201
    r = issue(c, "A", "configlimit004")
    assert r.status_code == 429


def test_rate_limiter_window_slides():
    now = [0.0]
    limiter = RateLimiter(limit=2, window_s=60, clock=lambda: now[0])
    assert limiter.allow("K1") and limiter.allow("K1")
    assert not limiter.allow("K1")
    assert limiter.retry_after("K1") == 60
    now[0] = 30.0
    assert not limiter.allow("K1") and limiter.retry_after("K1") == 30
    now[0] = 60.0
    assert limiter.allow("K1")
    assert limiter.retry_after("K2") == 0


# -- texts --------------------------------------------------------------------

@pytest.mark.parametrize("point,low,high,lang,expected", [
    (0, 0, 0, "en", "No wait"),
    (300, 240, 300, "en", "about 5 min"),
    (600, 0, 900, "en", "up to 15 min"),
    (900, 840, 900, "es", "unos 15 min"),
    (900, 600, 1200, "es", "10–20 min"),
])
def test_wait_text(point, low, high, lang, expected):
    assert texts.wait_text(point, low, high, lang) == expected


def test_every_kiosk_text_is_translated_in_every_language():
    from servicepoint import catalogs

    for lang in catalogs.LANGUAGES:
        assert [k for k, e in texts.CATALOGUE.items() if not catalogs.has(e, lang)] == [], lang


def test_more_than_six_services_open_by_category_first(app, client):
    conn = db(app)
    with conn:
        for code, name, category in [("E", "Exports", "Business"), ("F", "Foreign cash", "Everyday"),
                                     ("G", "Grants", "Business")]:
            conn.execute("INSERT INTO services (code, names, category, sort) VALUES (?, ?, ?, 9)",
                         (code, f'{{"en": "{name}"}}', category))
    conn.close()
    start = client.get("/kiosk/K1").get_data(as_text=True)
    # Seven services: the first level is their categories, each listing what it holds.
    assert 'id="categories"' in start and 'id="services"' not in start
    assert re.findall(r'class="service-button category-button"', start) and \
        "Payments and cash · Foreign cash" in start
    link = re.search(r'href="(/kiosk/K1\?[^"]*category=Business[^"]*)"', start).group(1)
    second = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert re.findall(r'id="service-([A-Z])"', second) == ["E", "G"]
    assert 'id="category-back"' in second and "All services" in second
    # The live re-fetch keeps to the category too.
    part = client.get("/kiosk/K1/services?lang=en&category=Business").get_data(as_text=True)
    assert re.findall(r'id="service-([A-Z])"', part) == ["E", "G"]
    # A ticket from the second level is an ordinary ticket.
    assert issue(client, "E", "categorykey01").status_code == 201


def _wav(response):
    import io
    import wave

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "audio/wav"
    sound = wave.open(io.BytesIO(response.get_data()))
    assert sound.getnframes() > sound.getframerate() // 4
    return response


def test_the_accessible_mode_speaks_only_what_the_kiosk_knows(app, client):
    from tests.support.require import require_espeak

    require_espeak()
    conn = db(app)
    with conn:
        for code, category in [("E", "Business"), ("F", "Everyday"), ("G", "Business")]:
            conn.execute("INSERT INTO services (code, names, category, sort) VALUES (?, ?, ?, 9)",
                         (code, f'{{"en": "Service {code}"}}', category))
    conn.close()
    base = "/kiosk/K1/speech"
    assert _wav(client.get(f"{base}/menu.wav?lang=es")).headers["Content-Language"] == "es"
    _wav(client.get(f"{base}/category.wav?lang=ar&name=Business"))
    _wav(client.get(f"{base}/service.wav?lang=fr&service=E"))
    _wav(client.get(f"{base}/text.wav?lang=en&key=a11y.repeat"))
    issued = client.post("/api/v1/tickets", json={"service": "A", "language": "ar"}).get_json()
    secret = issued["track_url"].rsplit("/", 1)[1]
    assert _wav(client.get(f"{base}/ticket.wav?lang=ar&ticket={secret}")
                ).headers["Content-Language"] == "ar"
    # Nothing a caller makes up is read out: unknown keys, services, categories, tickets.
    for url in (f"{base}/text.wav?lang=en&key=Hello%20there", f"{base}/service.wav?service=Z",
                f"{base}/category.wav?name=Nope", f"{base}/ticket.wav?ticket=nope",
                f"{base}/shout.wav", "/kiosk/NOPE/speech/menu.wav"):
        r = client.get(url)
        assert r.status_code == 404, url
    assert client.get(f"{base}/menu.wav?lang=xx").headers["Content-Language"] == "en"
