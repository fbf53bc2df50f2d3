"""The counter screen for a working day, through the Flask test client: one truth for queue
counts everywhere, the waiting list and call by number, transfer from Called, breaks with a
reason, the recall countdown and the counter's own figures."""
from __future__ import annotations

import re

import pytest

from tests.support.web import CSRF, db, post, sign_in


@pytest.fixture
def clerk(client):
    sign_in(client, "staff")
    return client


def issue(client, service="A", n=1, **data):
    numbers = []
    for _ in range(n):
        html = post(client, "/kiosk/K1/issue", {"service": service, **data}).get_data(as_text=True)
        numbers.append(re.search(r'id="ticket-number">(\w+)<', html).group(1))
    return numbers


def tid(app, number):
    conn = db(app)
    try:
        return conn.execute("SELECT id FROM tickets WHERE number = ?", (number,)).fetchone()[0]
    finally:
        conn.close()


def row(app, number):
    conn = db(app)
    try:
        return dict(conn.execute("SELECT * FROM tickets WHERE number = ?", (number,)).fetchone())
    finally:
        conn.close()


def act(client, app, number, action, counter="1", **data):
    return post(client, f"/counter/{counter}/tickets/{tid(app, number)}/{action}", data)


def message(response) -> str:
    match = re.search(r'id="counter-message" role="\w+">([^<]*)<', response.get_data(as_text=True))
    assert match, "no message in the answer"
    return match.group(1)


# -- one truth for counts ------------------------------------------------------------

def test_tickets_sent_to_a_named_counter_are_counted_apart_everywhere(app, clerk, manager):
    """Two A tickets wait in the open queue; a third was sent to counter 5 by name. Every
    screen and the API count 2 in A's queue, as routing does; the one sent to counter 5
    shows only apart (manager, API) and on counter 5's own list."""
    first, _, _ = issue(clerk, "A", 3)
    post(clerk, "/counter/1/next")
    act(clerk, app, first, "transfer", to_counter="5")  # from Called: no start needed
    assert row(app, first)["target_counter_id"] == "5"

    api = {q["service"]: q for q in clerk.get("/api/v1/queue").get_json()["services"]}
    assert (api["A"]["waiting"], api["A"]["reserved"]) == (2, 1)

    kiosk = clerk.get("/kiosk/K1").get_data(as_text=True)
    assert re.search(r'id="service-A".*?2 people waiting', kiosk, re.S)

    board = clerk.get("/display/D1/board").get_data(as_text=True)
    assert 'q-waiting">2<' in re.search(r'<tr data-service="A">.*?</tr>', board, re.S).group(0)

    sign_in(clerk, "manager")
    dash = clerk.get("/manager/dashboard").get_data(as_text=True)
    a_row = re.search(r'<tr id="queue-A".*?</tr>', dash, re.S).group(0)
    assert re.search(r'class="num">2 <span class="small reserved">\+1 sent to a counter', a_row)

    sign_in(clerk, "staff")
    one = clerk.get("/counter/1/live").get_data(as_text=True)
    assert 'id="waiting-total" data-waiting="2"' in one  # what counter 1's call-next can take
    assert first not in re.search(r'<ol class="waiting-list">.*?</ol>', one, re.S).group(0)
    assert "1 of your services sent to another counter" in one
    five = clerk.get("/counter/5/live").get_data(as_text=True)
    assert 'id="waiting-total" data-waiting="3"' in five  # A's queue, and the one sent to it
    assert re.search(rf'id="waiting-{first}".*?Sent to you', five, re.S)

    # The count and call-next agree: counter 1 calls the two, then nobody is waiting for it.
    for _ in range(2):
        act(clerk, app, re.search(r'id="current-number">(\w+)<', post(
            clerk, "/counter/1/next").get_data(as_text=True)).group(1), "no_show")
    r = post(clerk, "/counter/1/next")
    assert message(r) == "Nobody is waiting for this counter."
    assert 'data-waiting="0"' in r.get_data(as_text=True)
    assert clerk.get("/api/v1/queue").get_json()["services"][0]["waiting"] == 0


def test_metrics_count_the_open_queue_and_the_reserved_apart(app, clerk):
    first, _ = issue(clerk, "B", 2)
    post(clerk, "/counter/3/next")
    act(clerk, app, first, "transfer", counter="3", to_counter="1")
    text = clerk.get("/metrics").get_data(as_text=True)
    assert 'servicepoint_tickets_waiting{service="B"} 1' in text
    assert 'servicepoint_tickets_reserved{service="B"} 1' in text


# -- the waiting list and call by number ------------------------------------------------

def test_the_waiting_list_is_in_call_next_order_with_marks(app, clerk, clock):
    issue(clerk, "A", 2)
    clock.advance(60)
    issue(clerk, "A", 1, priority="priority")
    html = clerk.get("/counter/1/live").get_data(as_text=True)
    listed = re.findall(r'<li class="w-row[^"]*" id="waiting-(\w+)"', html)
    assert listed == ["A003", "A001", "A002"]  # priority first, then the longest wait
    assert re.search(r'id="waiting-A003".*?mark-priority">Priority<', html, re.S)
    html = post(clerk, "/counter/1/next").get_data(as_text=True)
    assert 'id="current-number">A003<' in html
    assert 'disabled' in re.search(r'id="call-A001"[^>]*>', html).group(0)  # busy: no calls


def test_call_by_number(app, clerk):
    issue(clerk, "A", 3)
    r = post(clerk, "/counter/2/call-number", {"number": "a003"})
    assert r.status_code == 200 and message(r) == "Called A003."
    assert 'id="current-number">A003<' in r.get_data(as_text=True)
    assert (row(app, "A003")["state"], row(app, "A003")["counter_id"]) == ("called", "2")
    assert row(app, "A001")["state"] == "waiting"
    r = post(clerk, "/counter/1/call-number", {"number": "A003"})
    assert r.status_code == 409 and message(r) == "A003 was already called to Counter 2."
    r = post(clerk, "/counter/1/call-number", {"number": "A099"})
    assert r.status_code == 409 and message(r) == "There is no ticket A099 today."
    issue(clerk, "D")
    r = post(clerk, "/counter/1/call-number", {"number": "D001"})
    assert message(r) == "D001 is for Business customers, which this counter does not serve."
    r = post(clerk, "/counter/2/call-number", {"number": "A001"})
    assert message(r) == "Finish with A003 first: it is still called at this counter."
    assert row(app, "A001")["state"] == "waiting"


def test_call_by_number_without_htmx_redirects_with_the_outcome(app, clerk):
    issue(clerk, "B")
    r = post(clerk, "/counter/3/call-number", {"number": "B001"}, htmx=False)
    assert r.status_code == 303
    html = clerk.get("/counter/3").get_data(as_text=True)
    assert "Called B001." in html and 'id="current-number">B001<' in html


# -- transfer from Called ------------------------------------------------------------------

def test_transfer_from_called(app, clerk):
    [number] = issue(clerk, "A")
    html = post(clerk, "/counter/1/next").get_data(as_text=True)
    assert "disabled" not in re.search(r'<fieldset[^>]*>', html).group(0)  # transfer offered
    r = act(clerk, app, number, "transfer", service="C", to_counter="")
    assert r.status_code == 200 and message(r) == f"{number} transferred."
    assert (row(app, number)["state"], row(app, number)["service_id"]) == ("waiting", "C")
    conn = db(app)
    try:
        ev = conn.execute("SELECT from_state, to_state FROM ticket_events WHERE action = 'transfer'"
                          ).fetchone()
    finally:
        conn.close()
    assert tuple(ev) == ("called", "waiting")


# -- the counter: break with a reason, close, figures ----------------------------------------

def test_break_with_a_reason_from_the_managers_list(app, clerk):
    post(clerk, "/counter/2/state/open")
    html = clerk.get("/counter/2").get_data(as_text=True)
    for reason in ("Lunch", "Short break", "Back-office work", "Training"):
        assert f'name="reason" value="{reason}"' in html
    assert 'data-key="b"' in html and 'data-key="c"' in html
    r = post(clerk, "/counter/2/state/break", {"reason": "Lunch"})
    assert r.status_code == 200 and message(r) == "On a break: Lunch."
    html = r.get_data(as_text=True)
    assert 'id="counter-state">On a break<' in html and 'id="break-reason" class="break-reason">Lunch<' in html
    assert 'data-key="o"' in html  # resume
    conn = db(app)
    try:
        last = conn.execute("SELECT action, reason, staff_username FROM counter_events"
                            " WHERE counter_code = '2' ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    assert tuple(last) == ("break", "Lunch", "clerk")
    r = post(clerk, "/counter/2/state/break", {"reason": "Siesta"})
    assert r.status_code == 409
    assert message(r) == "Choose one of the reasons on the list for your break."


def test_closing_with_a_customer_is_refused_in_plain_words(app, clerk):
    [number] = issue(clerk, "C")
    post(clerk, "/counter/3/next")
    r = post(clerk, "/counter/3/state/close")
    assert r.status_code == 409
    assert message(r) == f"Finish with {number} first: it is still called at this counter."
    r = post(clerk, "/counter/3/state/break", {"reason": "Lunch"})
    assert message(r) == f"Finish with {number} first: it is still called at this counter."


def test_auto_no_show_countdown(app, clerk):
    conn = db(app)
    with conn:
        conn.execute("INSERT INTO settings (key, value) VALUES ('auto_no_show_recalls', '2')"
                     " ON CONFLICT (key) DO UPDATE SET value = excluded.value")
    conn.close()
    [number] = issue(clerk, "A")
    html = post(clerk, "/counter/1/next").get_data(as_text=True)
    assert 'data-recalls-left="2"' in html and "No-show after 2 more recalls" in html
    html = act(clerk, app, number, "recall").get_data(as_text=True)
    assert "No-show after 1 more recall" in html
    html = act(clerk, app, number, "recall").get_data(as_text=True)
    assert "The next recall marks it a no-show" in html
    assert re.search(r'id="btn-recall"[^>]*>\s*<span>Recall → no-show</span>', html)
    r = act(clerk, app, number, "recall")
    assert message(r) == f"{number} was recalled 3 times and is now a no-show."
    assert row(app, number)["state"] == "no_show"
    assert "no-show-countdown" not in r.get_data(as_text=True)


def test_no_countdown_when_the_branch_has_no_limit(app, clerk):
    issue(clerk, "A")
    html = post(clerk, "/counter/1/next").get_data(as_text=True)
    assert "no-show-countdown" not in html


def test_the_counters_own_figures_for_today(app, clerk, clock):
    first, second, third = issue(clerk, "A", 3)
    clock.advance(120)
    post(clerk, "/counter/1/next")
    act(clerk, app, first, "start")
    clock.advance(300)
    act(clerk, app, first, "finish")
    post(clerk, "/counter/1/next")
    act(clerk, app, second, "no_show")
    post(clerk, "/counter/1/next")
    html = act(clerk, app, third, "transfer", service="B").get_data(as_text=True)
    figures = {k: v for k, v in re.findall(r'<dd id="fig-([\w-]+)">([^<]*)<', html)}
    assert figures == {"called": "3", "served": "1", "no-shows": "1", "transferred": "1",
                       "wait": "5 min 20 s", "service": "5 min"}  # (2 + 7 + 7) / 3 min
    other = clerk.get("/counter/2/live").get_data(as_text=True)
    assert '<dd id="fig-called">0<' in other


def test_the_live_partial_swaps_the_other_parts_out_of_band(clerk):
    html = clerk.get("/counter/1/live").get_data(as_text=True)
    assert "<html" not in html and 'id="current"' in html
    for part in ("waiting", "side", "counter-bar"):
        assert f'<div id="{part}" hx-swap-oob="innerHTML">' in html
    assert 'id="counter-feedback"' not in html  # a refresh keeps the last message
    page = clerk.get("/counter/1").get_data(as_text=True)
    assert re.search(r'id="panel"[^>]*\s+hx-get="/counter/1/live"\s+hx-trigger="refresh,', page)


def test_the_api_calls_by_number_and_takes_a_break_reason(app, client, staff):
    for _ in range(2):
        assert client.post("/api/v1/tickets", json={"service": "B"}).status_code == 201
    r = client.post("/api/v1/counters/3/call-number", json={"number": "b002"}, headers=staff)
    assert r.status_code == 200 and r.get_json()["ticket"]["number"] == "B002"
    r = client.post("/api/v1/counters/2/call-number", json={"number": "B002"}, headers=staff)
    assert r.status_code == 409 and r.get_json()["error"] == "illegal_transition"
    r = client.post("/api/v1/counters/2/call-number", json={"number": "B404"}, headers=staff)
    assert r.status_code == 404 and r.get_json()["error"] == "no_such_number"
    r = client.post("/api/v1/counters/2/call-number", json={}, headers=staff)
    assert r.status_code == 400 and r.get_json()["error"] == "missing_field"
    r = client.post("/api/v1/counters/2/call-number", json={"number": "B001"})
    assert r.status_code == 401
    r = client.post("/api/v1/counters/2/break", json={"reason": "Training"}, headers=staff)
    assert r.status_code == 200 and r.get_json()["state"] == "break"
    r = client.post("/api/v1/counters/2/break", json={"reason": "Siesta"}, headers=staff)
    assert r.status_code == 400 and r.get_json()["error"] == "break_reason"
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/counters/{counter}/call-number" in paths


# -- one person, one counter -------------------------------------------------------------

def counter_rows(app, *codes):
    conn = db(app)
    try:
        return {code: (conn.execute("SELECT state FROM counters WHERE code = ?", (code,)).fetchone()[0],
                       tuple(conn.execute("SELECT action, staff_username FROM counter_events"
                                          " WHERE counter_code = ? ORDER BY id DESC LIMIT 1",
                                          (code,)).fetchone() or ()))
                for code in codes}
    finally:
        conn.close()


def test_opening_a_second_counter_puts_the_first_on_a_break(app, clerk):
    assert post(clerk, "/counter/2/state/open").status_code == 200
    assert post(clerk, "/counter/3/state/open").status_code == 200
    assert counter_rows(app, "2", "3") == {"2": ("break", ("break", "clerk")),
                                           "3": ("open", ("open", "clerk"))}


def test_a_customer_at_one_counter_keeps_the_clerk_there_in_their_language(app, clerk):
    [number] = issue(clerk, "A")
    post(clerk, "/counter/2/state/open")
    post(clerk, "/counter/2/next")
    r = post(clerk, "/counter/3/state/open")
    assert r.status_code == 409
    assert message(r) == f"Finish with {number} at Counter 2 first: you hold one counter at a time."
    assert counter_rows(app, "2", "3")["2"][0] == "open"
    assert counter_rows(app, "2", "3")["3"][0] == "closed"
    r = post(clerk, "/counter/3/state/open?lang=es")
    assert message(r).startswith(f"Termine primero con {number} en Counter 2")


def test_an_api_token_still_drives_several_counters(app, client, make_token):
    staff = {"Authorization": f"Bearer {make_token('staff', 'script')}"}
    for code in ("2", "3"):
        assert client.post(f"/api/v1/counters/{code}/open", headers=staff).status_code == 200
    assert [s for s, _ in counter_rows(app, "2", "3").values()] == ["open", "open"]


def test_a_personal_session_on_the_api_holds_one_counter(app, clerk):
    headers = {"X-CSRF-Token": CSRF}
    assert clerk.post("/api/v1/counters/2/open", headers=headers).status_code == 200
    assert clerk.post("/api/v1/counters/3/open", headers=headers).status_code == 200
    assert [s for s, _ in counter_rows(app, "2", "3").values()] == ["break", "open"]


def test_calling_at_a_second_counter_is_opening_it(app, clerk):
    """Call next or call by number at a closed counter opens it: the same rule applies."""
    numbers = issue(clerk, "A") + issue(clerk, "B") + issue(clerk, "B")
    # Counter 2 opens by the call and holds a customer.
    assert post(clerk, "/counter/2/call-number", {"number": numbers[0]}).status_code == 200
    r = post(clerk, "/counter/3/next")
    assert r.status_code == 409 and message(r).startswith(f"Finish with {numbers[0]} at Counter 2")
    r = post(clerk, "/counter/3/call-number", {"number": numbers[2]})
    assert r.status_code == 409 and "you hold one counter at a time" in message(r)
    assert counter_rows(app, "2", "3")["3"][0] == "closed"
    act(clerk, app, numbers[0], "start", counter="2")
    act(clerk, app, numbers[0], "finish", counter="2")
    assert post(clerk, "/counter/3/call-number", {"number": numbers[2]}).status_code == 200
    assert counter_rows(app, "2", "3") == {"2": ("break", ("break", "clerk")),
                                           "3": ("open", ("open", "clerk"))}


def test_an_api_token_calls_at_several_counters(app, client, make_token):
    staff = {"Authorization": f"Bearer {make_token('staff', 'script')}"}
    for service in ("A", "B"):
        assert client.post("/api/v1/tickets", json={"service": service},
                           headers=staff).status_code == 201
    for code in ("2", "3"):
        r = client.post(f"/api/v1/counters/{code}/call-next", json={}, headers=staff)
        assert r.status_code == 200 and r.get_json()["ticket"] is not None
    assert [s for s, _ in counter_rows(app, "2", "3").values()] == ["open", "open"]
