"""Staff endpoints: authentication, roles, CSRF for sessions, and the counter workflow."""
from __future__ import annotations

import pytest

from servicepoint.db import connect
from tests.support.web import assert_error, csrf_from, login

STAFF_ENDPOINTS = [
    ("get", "/api/v1/counters"),
    ("post", "/api/v1/counters/1/call-next"),
    ("post", "/api/v1/counters/1/open"),
    ("post", "/api/v1/tickets/1/start"),
]


def issue(client, service="A", **extra) -> dict:
    r = client.post("/api/v1/tickets", json={"service": service, **extra})
    assert r.status_code == 201
    return r.get_json()


@pytest.mark.parametrize(("method", "path"), STAFF_ENDPOINTS)
def test_anonymous_is_401_json(client, method, path):
    r = getattr(client, method)(path)
    assert_error(r, 401, "unauthorized")
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("method", "path"), STAFF_ENDPOINTS)
def test_wrong_or_revoked_token_is_401(client, make_token, demo_db, method, path):
    assert_error(getattr(client, method)(path, headers={"Authorization": "Bearer sp_nope"}), 401)
    token = make_token("staff", "revoked")
    conn = connect(demo_db)
    conn.execute("UPDATE api_tokens SET revoked_at = '2026-03-01' WHERE name = 'revoked'")
    conn.close()
    assert_error(getattr(client, method)(path, headers={"Authorization": f"Bearer {token}"}), 401)


@pytest.mark.parametrize("role", ["technician", "device"])
def test_wrong_role_is_403(client, bearer, role):
    headers = bearer(role)
    for method, path in STAFF_ENDPOINTS:
        assert_error(getattr(client, method)(path, headers=headers), 403, "forbidden")


def test_stats_need_a_manager(client, bearer):
    assert_error(client.get("/api/v1/stats", headers=bearer("staff")), 403)
    assert_error(client.get("/api/v1/stats", headers=bearer("technician")), 403)
    assert client.get("/api/v1/stats", headers=bearer("manager")).status_code == 200
    assert client.get("/api/v1/stats", headers=bearer("admin")).status_code == 200
    assert_error(client.get("/api/v1/stats"), 401)


def test_manager_may_do_counter_work(client, bearer):
    issue(client)
    r = client.post("/api/v1/counters/1/call-next", headers=bearer("manager"))
    assert r.status_code == 200 and r.get_json()["ticket"]["number"] == "A001"


def test_session_caller_needs_the_csrf_header(client):
    assert login(client, "clerk", "clerk-demo").status_code == 302
    issue(client)
    # Signed in, but no X-CSRF-Token: a forged cross-site request must not call anyone.
    body = assert_error(client.post("/api/v1/counters/1/call-next"), 403, "forbidden")
    assert "CSRF" in body["message"]
    assert_error(client.post("/api/v1/counters/1/call-next",
                             headers={"X-CSRF-Token": "guessed"}), 403)
    token = csrf_from(client.get("/").get_data(as_text=True))
    r = client.post("/api/v1/counters/1/call-next", headers={"X-CSRF-Token": token})
    assert r.status_code == 200
    assert r.get_json()["ticket"]["number"] == "A001"


def test_session_with_wrong_role_is_403(client):
    assert login(client, "tech", "tech-demo").status_code == 302
    token = csrf_from(client.get("/").get_data(as_text=True))
    assert_error(client.post("/api/v1/counters/1/call-next", headers={"X-CSRF-Token": token}),
                 403)


def test_call_start_finish_flow(client, staff, clock, demo_db):
    a1 = issue(client, "A")
    clock.advance(60)
    b1 = issue(client, "B")
    clock.advance(60)
    r = client.post("/api/v1/counters/1/call-next", headers=staff)
    t = r.get_json()["ticket"]
    # A001 waited 120 s; B001 60 s × weight 1.5 = 90 s effective.
    assert (t["id"], t["number"], t["state"], t["counter"]) == (a1["id"], "A001", "called", "1")
    assert t["called_at"] == clock.now().isoformat() and t["position"] is None

    r = client.post(f"/api/v1/tickets/{a1['id']}/recall", headers=staff)
    assert r.get_json()["ticket"]["recalls"] == 1
    r = client.post(f"/api/v1/tickets/{a1['id']}/start", headers=staff)
    assert r.get_json()["ticket"]["state"] == "serving"
    # The counter is busy until it finishes.
    assert_error(client.post("/api/v1/counters/1/call-next", headers=staff), 409, "counter_busy")
    clock.advance(300)
    r = client.post(f"/api/v1/tickets/{a1['id']}/finish", json={"outcome": "follow_up"},
                    headers=staff)
    assert r.status_code == 200
    assert r.get_json()["ticket"]["state"] == "done" and r.get_json()["ticket"]["counter"] is None

    t = client.post("/api/v1/counters/1/call-next", headers=staff).get_json()["ticket"]
    assert t["id"] == b1["id"]
    assert client.get(f"/api/v1/tickets/{a1['id']}", headers=staff).get_json()["state"] == "done"

    conn = connect(demo_db)
    try:
        actions = [r[0] for r in conn.execute(
            "SELECT action FROM ticket_events WHERE ticket_id=? ORDER BY id", (a1["id"],))]
        assert actions == ["issue", "call", "recall", "start", "finish"]
        staff_names = {r[0] for r in conn.execute(
            "SELECT staff_username FROM ticket_events WHERE ticket_id=? AND action != 'issue'",
            (a1["id"],))}
        assert staff_names == {"token:test-staff"}
        outcome = conn.execute("SELECT outcome FROM tickets WHERE id=?", (a1["id"],)).fetchone()
        assert outcome[0] == "follow_up"
    finally:
        conn.close()


def test_call_next_with_nobody_waiting(client, staff):
    r = client.post("/api/v1/counters/6/call-next", headers=staff)
    assert r.status_code == 200
    assert r.get_json()["ticket"] is None and "6" in r.get_json()["message"]


def test_finish_current_then_call_next(client, staff):
    a1, a2 = issue(client), issue(client)
    client.post("/api/v1/counters/2/call-next", headers=staff)
    client.post(f"/api/v1/tickets/{a1['id']}/start", headers=staff)
    r = client.post("/api/v1/counters/2/call-next", json={"finish_current": True}, headers=staff)
    assert r.get_json()["ticket"]["id"] == a2["id"]
    assert client.get(f"/api/v1/tickets/{a1['id']}", headers=staff).get_json()["state"] == "done"
    assert_error(client.post("/api/v1/counters/2/call-next", json={"finish_current": "yes"},
                             headers=staff), 400, "bad_field")


def test_transfer_keeps_the_number(client, staff, clock):
    a1 = issue(client, "A")
    client.post("/api/v1/counters/1/call-next", headers=staff)
    client.post(f"/api/v1/tickets/{a1['id']}/start", headers=staff)
    clock.advance(120)
    r = client.post(f"/api/v1/tickets/{a1['id']}/transfer", json={"service": "c"}, headers=staff)
    t = r.get_json()["ticket"]
    assert (t["number"], t["service"], t["state"], t["counter"]) == ("A001", "C", "waiting", None)
    # Counter 1 (A, B) cannot see it any more; counter 3 (B, C) calls it.
    assert client.post("/api/v1/counters/1/call-next", headers=staff).get_json()["ticket"] is None
    t = client.post("/api/v1/counters/3/call-next", headers=staff).get_json()["ticket"]
    assert (t["number"], t["service"], t["counter"]) == ("A001", "C", "3")
    # The next A ticket is still A002: the transfer took no number.
    assert issue(client, "A")["number"] == "A002"


def test_transfer_to_a_named_counter(client, staff):
    a1 = issue(client, "A")
    client.post("/api/v1/counters/1/call-next", headers=staff)
    client.post(f"/api/v1/tickets/{a1['id']}/start", headers=staff)
    r = client.post(f"/api/v1/tickets/{a1['id']}/transfer", json={"to_counter": "4"},
                    headers=staff)
    assert r.get_json()["ticket"]["target_counter"] == "4"
    assert client.post("/api/v1/counters/2/call-next", headers=staff).get_json()["ticket"] is None
    t = client.post("/api/v1/counters/4/call-next", headers=staff).get_json()["ticket"]
    assert t["id"] == a1["id"] and t["counter"] == "4"


@pytest.mark.parametrize(("body", "status", "code"), [
    ({}, 400, "transfer_target_required"),
    ({"to_counter": "1"}, 409, "transfer_to_self"),
    ({"service": "Q"}, 404, "unknown_service"),
    ({"to_counter": "99"}, 404, "unknown_counter"),
    ({"service": 3}, 400, "bad_field"),
    ({"service": "B", "position": "middle"}, 400, "bad_field"),
])
def test_bad_transfers(client, staff, body, status, code):
    a1 = issue(client, "A")
    client.post("/api/v1/counters/1/call-next", headers=staff)
    client.post(f"/api/v1/tickets/{a1['id']}/start", headers=staff)
    assert_error(client.post(f"/api/v1/tickets/{a1['id']}/transfer", json=body, headers=staff),
                 status, code)
    assert client.get(f"/api/v1/tickets/{a1['id']}", headers=staff).get_json()["state"] == "serving"


def test_no_show(client, staff):
    a1, a2 = issue(client), issue(client)
    client.post("/api/v1/counters/1/call-next", headers=staff)
    r = client.post(f"/api/v1/tickets/{a1['id']}/no-show", headers=staff)
    assert r.status_code == 200 and r.get_json()["ticket"]["state"] == "no_show"
    t = client.post("/api/v1/counters/1/call-next", headers=staff).get_json()["ticket"]
    assert t["id"] == a2["id"]


def test_requeue_park_and_call_back(client, staff):
    a1, a2 = issue(client), issue(client)
    client.post("/api/v1/counters/1/call-next", headers=staff)
    r = client.post(f"/api/v1/tickets/{a1['id']}/requeue", json={"position": "front"},
                    headers=staff)
    assert r.get_json()["ticket"]["state"] == "waiting"
    t = client.post("/api/v1/counters/2/call-next", headers=staff).get_json()["ticket"]
    assert t["id"] == a1["id"]  # back at the front, ahead of A002
    client.post(f"/api/v1/tickets/{a1['id']}/start", headers=staff)
    r = client.post(f"/api/v1/tickets/{a1['id']}/park", headers=staff)
    assert r.get_json()["ticket"]["state"] == "parked"
    t = client.post("/api/v1/counters/2/call-next", headers=staff).get_json()["ticket"]
    assert t["id"] == a2["id"]  # a parked ticket does not block the counter
    assert_error(client.post(f"/api/v1/tickets/{a1['id']}/call", json={"counter": "2"},
                             headers=staff), 409, "counter_busy")
    client.post(f"/api/v1/tickets/{a2['id']}/start", headers=staff)
    client.post(f"/api/v1/tickets/{a2['id']}/finish", headers=staff)
    assert_error(client.post(f"/api/v1/tickets/{a1['id']}/call", json={"counter": "1"},
                             headers=staff), 409, "not_holder")
    assert_error(client.post(f"/api/v1/tickets/{a1['id']}/call", headers=staff), 400,
                 "missing_field")
    r = client.post(f"/api/v1/tickets/{a1['id']}/call", json={"counter": "2"}, headers=staff)
    assert r.get_json()["ticket"]["state"] == "called"


def test_cancel_and_rate(client, staff):
    a1, a2 = issue(client), issue(client)
    r = client.post(f"/api/v1/tickets/{a2['id']}/cancel", headers=staff)
    assert r.get_json()["ticket"]["state"] == "cancelled"
    client.post("/api/v1/counters/1/call-next", headers=staff)
    client.post(f"/api/v1/tickets/{a1['id']}/start", headers=staff)
    client.post(f"/api/v1/tickets/{a1['id']}/finish", headers=staff)
    r = client.post(f"/api/v1/tickets/{a1['id']}/rate", json={"csat": 5, "nps": 9},
                    headers=staff)
    assert r.status_code == 200
    assert_error(client.post(f"/api/v1/tickets/{a1['id']}/rate", json={"csat": 9},
                             headers=staff), 400, "bad_rating")
    assert_error(client.post(f"/api/v1/tickets/{a1['id']}/rate", json={"csat": "5"},
                             headers=staff), 400, "bad_field")


def test_illegal_transition_is_409(client, staff, demo_db):
    a1 = issue(client)
    body = assert_error(client.post(f"/api/v1/tickets/{a1['id']}/finish", headers=staff), 409,
                        "illegal_transition")
    assert "waiting" in body["message"]
    assert_error(client.post(f"/api/v1/tickets/{a1['id']}/start", headers=staff), 409)
    conn = connect(demo_db)
    try:
        assert conn.execute("SELECT count(*) FROM ticket_events").fetchone()[0] == 1
    finally:
        conn.close()


def test_another_counter_may_not_act_on_my_ticket(client, staff):
    a1 = issue(client)
    client.post("/api/v1/counters/1/call-next", headers=staff)
    assert_error(client.post(f"/api/v1/tickets/{a1['id']}/start", json={"counter": "2"},
                             headers=staff), 409, "not_holder")


def test_unknown_action_ticket_and_counter(client, staff):
    a1 = issue(client)
    assert_error(client.post(f"/api/v1/tickets/{a1['id']}/teleport", headers=staff), 404,
                 "bad_action")
    assert_error(client.post(f"/api/v1/tickets/{a1['id']}/no_show", headers=staff), 404,
                 "bad_action")
    assert_error(client.post("/api/v1/tickets/9999/start", headers=staff), 404, "unknown_ticket")
    assert_error(client.post("/api/v1/counters/99/call-next", headers=staff), 404,
                 "unknown_counter")
    assert_error(client.post("/api/v1/counters/1/dance", headers=staff), 404, "bad_action")
    assert_error(client.post(f"/api/v1/tickets/{a1['id']}/start", data=b"[]",
                             content_type="application/json", headers=staff), 400, "bad_json")


def test_counter_moves(client, staff):
    a1 = issue(client)
    assert client.post("/api/v1/counters/1/open", headers=staff).get_json() == {
        "counter": "1", "state": "open"}
    client.post("/api/v1/counters/1/call-next", headers=staff)
    assert_error(client.post("/api/v1/counters/1/close", headers=staff), 409, "counter_busy")
    assert_error(client.post("/api/v1/counters/1/break", headers=staff), 409, "counter_busy")
    client.post(f"/api/v1/tickets/{a1['id']}/no-show", headers=staff)
    assert client.post("/api/v1/counters/1/break", headers=staff).get_json()["state"] == "break"
    assert client.post("/api/v1/counters/1/resume", headers=staff).get_json()["state"] == "open"
    assert client.post("/api/v1/counters/1/close", headers=staff).get_json()["state"] == "closed"
    counters = client.get("/api/v1/counters", headers=staff).get_json()["counters"]
    assert [c["code"] for c in counters] == ["1", "2", "3", "4", "5", "6"]
    assert counters[0]["state"] == "closed" and counters[0]["services"] == ["A", "B"]
    assert counters[4]["services"] == ["A", "C", "D"]


def test_counters_list_shows_held_tickets(client, staff):
    a1 = issue(client)
    client.post("/api/v1/counters/5/call-next", headers=staff)
    counters = {c["code"]: c for c in client.get("/api/v1/counters",
                                                 headers=staff).get_json()["counters"]}
    assert [t["number"] for t in counters["5"]["tickets"]] == ["A001"]
    assert counters["5"]["state"] == "open" and counters["5"]["staff"] == "token:test-staff"
    assert counters["1"]["tickets"] == [] and a1["id"] == counters["5"]["tickets"][0]["id"]


def test_transfer_to_an_inactive_service_is_refused(client, staff, demo_db):
    a1 = issue(client)
    client.post("/api/v1/counters/1/call-next", headers=staff)
    client.post(f"/api/v1/tickets/{a1['id']}/start", headers=staff)
    conn = connect(demo_db)
    conn.execute("UPDATE services SET active = 0 WHERE code = 'C'")
    conn.close()
    assert_error(client.post(f"/api/v1/tickets/{a1['id']}/transfer", json={"service": "C"},
                             headers=staff), 409, "service_inactive")
    after = client.get(f"/api/v1/tickets/{a1['id']}", headers=staff).get_json()
    assert (after["state"], after["service"], after["counter"]) == ("serving", "A", "1")
    r = client.post(f"/api/v1/tickets/{a1['id']}/transfer", json={"service": "B"}, headers=staff)
    assert r.status_code == 200 and r.get_json()["ticket"]["service"] == "B"
