"""The counter terminal through the Flask test client: access, every action, friendly refusals."""
from __future__ import annotations

import re

import pytest

from counter.views import SHORTCUTS
from tests.support.web import CSRF, db, login, post, sign_in


@pytest.fixture
def clerk(client):
    sign_in(client, "staff")
    return client


def issue(client, service="A", n=1):
    """Issue ``n`` tickets at kiosk K1 (through the kiosk face); return their numbers."""
    numbers = []
    for _ in range(n):
        html = post(client, "/kiosk/K1/issue", {"service": service}).get_data(as_text=True)
        numbers.append(re.search(r'id="ticket-number">(\w+)<', html).group(1))
    return numbers


def ticket(app, number):
    conn = db(app)
    try:
        return dict(conn.execute("SELECT * FROM tickets WHERE number = ?", (number,)).fetchone())
    finally:
        conn.close()


def counter_state(app, code):
    conn = db(app)
    try:
        return conn.execute("SELECT state FROM counters WHERE code = ?", (code,)).fetchone()[0]
    finally:
        conn.close()


def act(client, app, number, action, counter="1", **data):
    tid = ticket(app, number)["id"]
    return post(client, f"/counter/{counter}/tickets/{tid}/{action}", data)


# -- access ---------------------------------------------------------------------

def test_counter_needs_a_sign_in(client):
    r = client.get("/counter")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    r = client.get("/counter/1")
    assert r.status_code == 302 and "next=/counter/1" in r.headers["Location"]
    r = post(client, "/counter/1/next")
    assert r.status_code == 302


def test_technician_is_refused(client):
    sign_in(client, "technician")
    assert client.get("/counter").status_code == 403
    assert post(client, "/counter/1/next").status_code == 403


def test_real_sign_in_as_clerk_reaches_the_counter(client):
    r = login(client, "clerk", next_url="/counter")
    assert r.status_code == 302 and r.headers["Location"].endswith("/counter")
    r = client.get("/counter")
    assert r.status_code == 200 and "Choose your counter" in r.get_data(as_text=True)


def test_choose_lists_every_counter(clerk):
    html = clerk.get("/counter").get_data(as_text=True)
    for code in "123456":
        assert f'href="/counter/{code}"' in html
    assert "Payments and cash" in html and "Closed" in html


def test_unknown_counter_is_404(clerk):
    assert clerk.get("/counter/99").status_code == 404
    assert post(clerk, "/counter/99/next").status_code == 404
    assert clerk.get("/counter/99/queues").status_code == 404


# -- the terminal page ------------------------------------------------------------

def test_terminal_shows_buttons_with_keyboard_shortcuts(clerk):
    r = clerk.get("/counter/1")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert len(SHORTCUTS) == 8
    for action, key in SHORTCUTS.items():
        assert f'data-key="{key.lower()}" aria-keyshortcuts="{key}"' in html, action
        assert f"<kbd aria-hidden=\"true\">{key}</kbd>" in html, action
    # The stream's "changed" refreshes the panel through counter.js (at most once a second).
    assert 'sse-connect="/api/v1/events"' in html and 'hx-trigger="refresh,' in html
    assert "No customer at this counter" in html
    assert re.search(r'id="btn-next"[^>]*>', html).group(0).count("disabled") == 0
    assert "disabled" in re.search(r'id="btn-recall"[^>]*>', html).group(0)
    assert 'name="csrf_token"' in html


def test_partials_alone(clerk):
    issue(clerk, "B", 2)
    r = clerk.get("/counter/1/queues")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in html
    assert re.search(r'id="queue-B".*?data-waiting="2"', html, re.S)
    assert 'id="queue-C"' not in html  # counter 1 serves A and B only
    r = clerk.get("/counter/1/panel")
    assert r.status_code == 200 and "<html" not in r.get_data(as_text=True)


# -- the queue actions through the face ---------------------------------------------

def test_call_start_finish(app, clerk):
    [number] = issue(clerk, "A")
    r = post(clerk, "/counter/1/next")
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and f"Called {number}." in html
    assert f'id="current-number">{number}<' in html
    assert ticket(app, number)["state"] == "called" and ticket(app, number)["counter_id"] == "1"
    assert counter_state(app, "1") == "open"  # calling opens the counter

    r = act(clerk, app, number, "start")
    assert r.status_code == 200 and "Serving" in r.get_data(as_text=True)
    assert ticket(app, number)["state"] == "serving"

    r = act(clerk, app, number, "finish", outcome="resolved")
    assert r.status_code == 200 and f"{number} finished." in r.get_data(as_text=True)
    row = ticket(app, number)
    assert (row["state"], row["outcome"]) == ("done", "resolved")


def test_finish_with_follow_up(app, clerk):
    [number] = issue(clerk, "A")
    post(clerk, "/counter/1/next")
    act(clerk, app, number, "start")
    act(clerk, app, number, "finish", outcome="follow_up")
    assert ticket(app, number)["outcome"] == "follow_up"


def test_recall_no_show(app, clerk):
    [number] = issue(clerk, "B")
    post(clerk, "/counter/2/next")
    html = act(clerk, app, number, "recall", counter="2").get_data(as_text=True)
    assert 'id="current-recalls">1<' in html
    act(clerk, app, number, "recall", counter="2")
    assert ticket(app, number)["recalls"] == 2
    act(clerk, app, number, "no_show", counter="2")
    assert ticket(app, number)["state"] == "no_show"


def test_requeue_park_call_back(app, clerk):
    first, second = issue(clerk, "A", 2)
    post(clerk, "/counter/1/next")
    act(clerk, app, first, "requeue")
    assert ticket(app, first)["state"] == "waiting"
    post(clerk, "/counter/1/next")
    assert ticket(app, first)["state"] == "called"  # back by issue time: first again
    act(clerk, app, first, "start")
    html = act(clerk, app, first, "park").get_data(as_text=True)
    assert ticket(app, first)["state"] == "parked"
    assert "Parked tickets" in html and f"Call back {first}" in html
    post(clerk, "/counter/1/next")
    assert ticket(app, second)["state"] == "called"
    # Calling the parked one back while busy is refused kindly.
    r = act(clerk, app, first, "call")
    assert r.status_code == 409
    assert f"Finish with {second} first: it is still called at this counter." in r.get_data(
        as_text=True)
    act(clerk, app, second, "start")
    act(clerk, app, second, "finish")
    r = act(clerk, app, first, "call")
    assert r.status_code == 200 and f"Called {first}." in r.get_data(as_text=True)
    assert ticket(app, first)["state"] == "called"


def test_transfer_to_a_service_and_to_a_counter(app, clerk):
    first, second = issue(clerk, "A", 2)
    post(clerk, "/counter/1/next")
    act(clerk, app, first, "start")
    r = act(clerk, app, first, "transfer", service="C", to_counter="")
    assert r.status_code == 200 and f"{first} transferred." in r.get_data(as_text=True)
    row = ticket(app, first)
    assert (row["state"], row["service_id"], row["number"]) == ("waiting", "C", first)

    post(clerk, "/counter/1/next")
    act(clerk, app, second, "start")
    act(clerk, app, second, "transfer", service="", to_counter="5")
    row = ticket(app, second)
    assert (row["state"], row["target_counter_id"]) == ("waiting", "5")


def test_transfer_without_a_target_is_a_friendly_message(app, clerk):
    [number] = issue(clerk, "A")
    post(clerk, "/counter/1/next")
    act(clerk, app, number, "start")
    r = act(clerk, app, number, "transfer", service="", to_counter="")
    assert r.status_code == 409
    html = r.get_data(as_text=True)
    assert 'role="alert"' in html and "Choose a service or a counter" in html
    assert ticket(app, number)["state"] == "serving"


def message(response) -> str:
    """The clerk's message in a counter answer (the feedback line)."""
    match = re.search(r'id="counter-message" role="\w+">([^<]*)<', response.get_data(as_text=True))
    assert match, "no message in the answer"
    return match.group(1)


def test_refusals_are_messages_not_errors(app, clerk):
    r = post(clerk, "/counter/1/next")
    assert r.status_code == 200 and message(r) == "Nobody is waiting for this counter."
    first, _ = issue(clerk, "A", 2)
    post(clerk, "/counter/1/next")
    r = post(clerk, "/counter/1/next")
    assert r.status_code == 409
    assert message(r) == f"Finish with {first} first: it is still called at this counter."
    r = act(clerk, app, first, "finish")  # called, not yet serving
    assert r.status_code == 409
    assert message(r) == (f"{first} has been called but not started: press Start when the "
                          "customer arrives.")
    r = act(clerk, app, first, "start", counter="2")  # held by counter 1
    assert r.status_code == 409 and message(r) == f"{first} was already called to Counter 1."
    r = post(clerk, "/counter/1/tickets/9999/start")
    assert r.status_code == 404
    assert message(r) == "That ticket no longer exists. The screen has been refreshed."
    act(clerk, app, first, "start")
    r = act(clerk, app, first, "transfer", service="ZZ")  # serving, but no such service
    html = r.get_data(as_text=True)
    assert r.status_code == 404 and 'role="alert"' in html
    assert "That service does not exist" in html
    assert (ticket(app, first)["state"], ticket(app, first)["service_id"]) == ("serving", "A")
    assert post(clerk, f"/counter/1/tickets/{ticket(app, first)['id']}/explode").status_code == 404


def test_a_stale_screen_is_told_what_happened_in_plain_words(app, clerk):
    """Acting on a ticket another screen already moved on: what happened, where, never
    an internal action name."""
    [number] = issue(clerk, "A")
    post(clerk, "/counter/1/next")
    act(clerk, app, number, "start")
    act(clerk, app, number, "finish")
    for action in ("recall", "start", "finish", "no_show", "transfer", "park", "requeue"):
        r = act(clerk, app, number, action, service="C")
        assert r.status_code == 409, action
        assert message(r) == f"{number} was already finished at Counter 1.", action
        body = r.get_data(as_text=True)
        for internal in ("allowed:", "illegal_transition", "not_holder", "cannot "):
            assert internal not in body, (action, internal)
    [other] = issue(clerk, "B")
    post(clerk, "/counter/2/next")
    act(clerk, app, other, "no_show", counter="2")
    r = act(clerk, app, other, "recall", counter="2")
    assert message(r) == f"{other} was already marked as a no-show at Counter 2."
    r = act(clerk, app, other, "recall", counter="1")
    assert message(r) == f"{other} was already marked as a no-show at Counter 2."


def test_refusals_in_spanish(app, clerk):
    clerk.get("/counter/1?lang=es")
    [number] = issue(clerk, "A")
    post(clerk, "/counter/1/next")
    act(clerk, app, number, "start")
    act(clerk, app, number, "finish")
    r = act(clerk, app, number, "recall")
    assert message(r) == f"{number} ya se terminó en Counter 1."


def test_counter_open_break_resume_close(app, clerk):
    for move, state in (("open", "open"), ("break", "break"), ("resume", "open"),
                        ("close", "closed")):
        r = post(clerk, f"/counter/3/state/{move}")
        assert r.status_code == 200, move
        assert counter_state(app, "3") == state
    assert post(clerk, "/counter/3/state/explode").status_code == 404
    [number] = issue(clerk, "C")
    post(clerk, "/counter/3/next")
    r = post(clerk, "/counter/3/state/close")
    assert r.status_code == 409 and number in r.get_data(as_text=True)
    assert counter_state(app, "3") == "open"


def test_plain_form_posts_redirect_and_flash(app, clerk):
    [number] = issue(clerk, "A")
    r = post(clerk, "/counter/1/next", htmx=False)
    assert r.status_code == 303 and r.headers["Location"].endswith("/counter/1")
    html = clerk.get("/counter/1").get_data(as_text=True)
    assert f"Called {number}." in html and f'id="current-number">{number}<' in html
    r = post(clerk, "/counter/1/next", htmx=False)
    assert r.status_code == 303
    html = clerk.get("/counter/1").get_data(as_text=True)
    assert 'role="alert"' in html and f"Finish with {number} first" in html


def test_state_changes_need_the_csrf_token(app, clerk):
    issue(clerk, "A")
    r = clerk.post("/counter/1/next", data={}, headers={"HX-Request": "true"})
    assert r.status_code == 400
    r = clerk.post("/counter/1/next", headers={"X-CSRF-Token": CSRF, "HX-Request": "true"})
    assert r.status_code == 200 and "Called A001." in r.get_data(as_text=True)


def test_spanish_terminal(clerk):
    html = clerk.get("/counter/1?lang=es").get_data(as_text=True)
    assert "Llamar siguiente" in html and '<html lang="es" dir="ltr">' in html


def test_language_choice_sticks_for_partials_and_actions(clerk):
    clerk.get("/counter/1?lang=es")
    html = clerk.get("/counter/1/queues").get_data(as_text=True)
    assert "Sus colas" in html
    html = post(clerk, "/counter/1/next").get_data(as_text=True)
    assert "Nadie espera en este mostrador." in html


@pytest.mark.parametrize(("position", "called_next"), [("back", 1), ("front", 0), ("time", 0)])
def test_requeue_puts_the_ticket_where_the_clerk_chose(app, clerk, clock, position,
                                                       called_next):
    numbers = issue(clerk, "A", 2)
    clock.advance(60)
    post(clerk, "/counter/1/next")
    act(clerk, app, numbers[0], "requeue", position=position)
    post(clerk, "/counter/1/next")
    assert ticket(app, numbers[called_next])["state"] == "called"
    assert ticket(app, numbers[1 - called_next])["state"] == "waiting"


def test_panel_shows_how_long_the_customer_waited(clerk, clock):
    issue(clerk, "A")
    clock.advance(125)
    post(clerk, "/counter/1/next")
    clock.advance(30)
    html = clerk.get("/counter/1/panel").get_data(as_text=True)
    assert re.search(r"<dt>Waited</dt><dd>2 min 05 s</dd>", html)
    assert re.search(r"<dt>At the counter for</dt><dd><span[^>]*>30 s</span>", html)
