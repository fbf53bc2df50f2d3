"""POST /api/v1/tickets and friends: happy path, idempotency, and bad input never a 5xx."""
from __future__ import annotations

import json

import pytest

from servicepoint.db import connect
from tests.support.web import assert_error

ISSUED_FIELDS = {"id", "number", "service", "state", "position", "estimated_wait_s", "issued_at",
                 "track_url"}


def test_issue_two_tickets(client, clock):
    first = client.post("/api/v1/tickets", json={"service": "A", "language": "es"})
    assert first.status_code == 201
    a1 = first.get_json()
    assert ISSUED_FIELDS <= set(a1)
    assert (a1["number"], a1["service"], a1["state"], a1["position"], a1["language"],
            a1["priority"]) == ("A001", "A", "waiting", 0, "es", "normal")
    assert a1["issued_at"] == clock.now().isoformat()
    # Nobody ahead, but no counter serves A yet: no wait is promised.
    assert (a1["estimated_wait_s"], a1["no_counter_open"]) == (None, True)
    assert a1["track_url"].startswith("http://localhost/t/")
    assert first.headers["Location"] == f"/api/v1/tickets/{a1['id']}"
    assert "Idempotent-Replayed" not in first.headers

    clock.advance(30)
    a2 = client.post("/api/v1/tickets", json={"service": "A"}).get_json()
    assert (a2["number"], a2["position"]) == ("A002", 1)
    # One person ahead, no counter open: still no wait promised, however short the queue.
    assert (a2["estimated_wait_s"], a2["estimated_wait_low_s"], a2["estimated_wait_high_s"],
            a2["estimate_uncertain"], a2["no_counter_open"]) == (None, None, None, True, True)
    assert a2["id"] != a1["id"] and a2["track_url"] != a1["track_url"]
    b1 = client.post("/api/v1/tickets", json={"service": "b"}).get_json()
    assert b1["number"] == "B001"  # per-service numbering, code case-insensitive

    # Its holder reads it with the secret from its tracking link; the id alone is not enough.
    assert_error(client.get(f"/api/v1/tickets/{a2['id']}"), 401)
    secret = a2["track_url"].rsplit("/", 1)[1]
    got = client.get(f"/api/v1/tickets/{a2['id']}", headers={"X-Ticket-Secret": secret})
    assert got.status_code == 200
    body = got.get_json()
    assert (body["number"], body["state"], body["position"], body["estimated_wait_s"],
            body["no_counter_open"]) == ("A002", "waiting", 1, None, True)


def test_issue_from_a_kiosk_queues_a_print_job_in_the_same_transaction(client, demo_db,
                                                                       kiosk_bearer):
    r = client.post("/api/v1/tickets", json={"service": "C", "kiosk": "K1"},
                    headers=kiosk_bearer("K1"))
    assert r.status_code == 201
    body = r.get_json()
    assert body["print"]["state"] == "queued" and body["print"]["job_id"]
    conn = connect(demo_db)
    try:
        job = conn.execute("SELECT * FROM print_jobs WHERE id=?",
                           (body["print"]["job_id"],)).fetchone()
        assert job["ticket_id"] == body["id"] and job["state"] == "pending"
        assert json.loads(job["payload"])["number"] == "C001"
    finally:
        conn.close()


def test_idempotency_key_replays_the_same_ticket(client, demo_db):
    key = {"Idempotency-Key": "tap-7f3a"}
    first = client.post("/api/v1/tickets", json={"service": "B"}, headers=key)
    again = client.post("/api/v1/tickets", json={"service": "B"}, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("Idempotent-Replayed") == "true"
    a, b = first.get_json(), again.get_json()
    for k in ("id", "number", "track_url", "issued_at", "state"):
        assert a[k] == b[k]
    other = client.post("/api/v1/tickets", json={"service": "B"},
                        headers={"Idempotency-Key": "tap-other"}).get_json()
    assert other["number"] == "B002"
    conn = connect(demo_db)
    try:
        assert conn.execute("SELECT count(*) FROM tickets").fetchone()[0] == 2
    finally:
        conn.close()


@pytest.mark.parametrize("key", ["", "x" * 129])
def test_bad_idempotency_key(client, key):
    r = client.post("/api/v1/tickets", json={"service": "A"}, headers={"Idempotency-Key": key})
    assert_error(r, 400, "bad_header")


BAD_BODIES = [
    pytest.param(b"{not json", "application/json", 400, "bad_json", id="malformed"),
    pytest.param(b"\xff\xfe\x00", "application/json", 400, "bad_json", id="not-utf8"),
    pytest.param(b"[1, 2]", "application/json", 400, "bad_json", id="array"),
    pytest.param(b'"A"', "application/json", 400, "bad_json", id="string"),
    pytest.param(b"null", "application/json", 400, "bad_json", id="null"),
    pytest.param(b"{}", "application/json", 400, "missing_field", id="empty-object"),
    pytest.param(b"", "application/json", 400, "missing_field", id="empty-body"),
    pytest.param(b'{"service": 5}', "application/json", 400, "bad_field", id="service-int"),
    pytest.param(b'{"service": ["A"]}', "application/json", 400, "bad_field", id="service-list"),
    pytest.param(b'{"service": "  "}', "application/json", 400, "bad_field", id="service-blank"),
    pytest.param(b'{"service": "ABCD"}', "application/json", 400, "bad_field", id="service-long"),
    pytest.param(b'{"service": "A", "priority": true}', "application/json", 400, "bad_field",
                 id="priority-bool"),
    pytest.param(b'{"service": "A", "priority": "vip"}', "application/json", 400, "bad_field",
                 id="priority-unknown"),
    pytest.param(b'{"service": "A", "language": 5}', "application/json", 400, "bad_field",
                 id="language-int"),
    pytest.param(b'{"service": "Z"}', "application/json", 404, "unknown_service",
                 id="unknown-service"),
    # Naming a kiosk takes that kiosk's credential: no anonymous ticket prints on its paper.
    pytest.param(b'{"service": "A", "kiosk": "K1"}', "application/json", 403, "kiosk_not_paired",
                 id="anonymous-kiosk"),
    pytest.param(b'{"service": "A", "kiosk": "K99"}', "application/json", 403, "kiosk_not_paired",
                 id="anonymous-unknown-kiosk"),
    pytest.param(b'{"service": "A", "priority": "priority"}', "application/json", 403,
                 "priority_not_allowed", id="anonymous-priority"),
    pytest.param(b"service=A", "application/x-www-form-urlencoded", 400, "bad_json", id="form"),
]


@pytest.mark.parametrize(("body", "ctype", "status", "code"), BAD_BODIES)
def test_bad_input_is_a_json_4xx(client, demo_db, body, ctype, status, code):
    r = client.post("/api/v1/tickets", data=body, content_type=ctype)
    assert_error(r, status, code)
    conn = connect(demo_db)
    try:
        assert conn.execute("SELECT count(*) FROM tickets").fetchone()[0] == 0
    finally:
        conn.close()


def test_an_unknown_kiosk_is_404_for_staff(client, staff):
    r = client.post("/api/v1/tickets", json={"service": "A", "kiosk": "K99"}, headers=staff)
    assert_error(r, 404, "unknown_kiosk")


def test_a_kiosk_token_issues_only_at_its_own_kiosk_under_its_own_rate(client, demo_db,
                                                                       kiosk_bearer):
    k1 = kiosk_bearer("K1")
    assert_error(client.post("/api/v1/tickets", json={"service": "A", "kiosk": "K2"},
                             headers=k1), 403, "wrong_kiosk")
    conn = connect(demo_db)
    conn.execute("UPDATE devices SET rate_per_min = 2 WHERE code = 'K1'")
    conn.close()
    # Without naming it, the token issues at its own kiosk (and prints there).
    first = client.post("/api/v1/tickets", json={"service": "A"}, headers=k1)
    assert first.status_code == 201 and first.get_json()["print"]["state"] == "queued"
    assert client.post("/api/v1/tickets", json={"service": "A"}, headers=k1).status_code == 201
    limited = client.post("/api/v1/tickets", json={"service": "A"}, headers=k1)
    assert_error(limited, 429, "rate_limited")
    assert int(limited.headers["Retry-After"]) >= 1
    # The kiosk's limit is its own: another kiosk and the anonymous API carry on.
    assert client.post("/api/v1/tickets", json={"service": "A"},
                       headers=kiosk_bearer("K2")).status_code == 201
    assert client.post("/api/v1/tickets", json={"service": "A"}).status_code == 201


def test_a_revoked_kiosk_token_is_refused_at_once(client, demo_db, kiosk_bearer):
    from tests.support.devices import revoke

    k1 = kiosk_bearer("K1")
    assert client.post("/api/v1/tickets", json={"service": "A"}, headers=k1).status_code == 201
    revoke(demo_db, "K1")
    # The token now names nobody: it may not issue at the kiosk, and what it gets prints nowhere.
    assert_error(client.post("/api/v1/tickets", json={"service": "A", "kiosk": "K1"},
                             headers=k1), 403, "kiosk_not_paired")
    r = client.post("/api/v1/tickets", json={"service": "A"}, headers=k1)
    assert r.status_code == 201 and r.get_json()["print"]["state"] == "none"


def test_oversized_body_is_413_json(client, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = json.dumps({"service": "A", "pad": "x" * limit}).encode()
    r = client.post("/api/v1/tickets", data=body, content_type="application/json")
    body = assert_error(r, 413)
    assert str(limit) in body["message"]


def test_inactive_service_is_a_conflict(client, demo_db):
    conn = connect(demo_db)
    conn.execute("UPDATE services SET active = 0 WHERE code = 'D'")
    conn.close()
    assert_error(client.post("/api/v1/tickets", json={"service": "D"}), 409, "service_inactive")


def test_priority_ticket_from_a_kiosk(client, kiosk_bearer):
    r = client.post("/api/v1/tickets", json={"service": "A", "priority": "priority"},
                    headers={"X-Kiosk": "K2", **kiosk_bearer("K2")})
    assert r.status_code == 201 and r.get_json()["priority"] == "priority"


def test_unknown_ticket_is_404(client, staff):
    assert_error(client.get("/api/v1/tickets/4242", headers=staff), 404, "unknown_ticket")


def test_huge_ticket_id_is_404_not_500(client):
    assert_error(client.get("/api/v1/tickets/99999999999999999999"), 404)


def test_unknown_api_path_and_wrong_method_are_json(client):
    assert_error(client.get("/api/v1/nothing-here"), 404)
    assert_error(client.get("/api/v1/tickets"), 405)


def test_queue_overview(client, clock, staff):
    for svc in ("A", "A", "B"):
        client.post("/api/v1/tickets", json={"service": svc})
    clock.advance(90)
    assert client.post("/api/v1/counters/3/open", headers=staff).status_code == 200
    body = client.get("/api/v1/queue").get_json()
    by = {s["service"]: s for s in body["services"]}
    assert list(by) == ["A", "B", "C", "D"]
    assert (by["A"]["waiting"], by["A"]["open_counters"], by["A"]["longest_wait_s"]) == (2, 0, 90)
    assert (by["B"]["waiting"], by["B"]["open_counters"]) == (1, 1)  # counter 3 serves B and C
    # No counter serves A: "no counter open", not a wait.
    assert (by["A"]["estimated_wait_s"], by["A"]["no_counter_open"]) == (None, True)
    assert by["A"]["estimate_uncertain"] is True and by["A"]["target_wait_s"] == 600
    # Counter 3 is open and idle with B001 waiting: a new B arrival waits about B001's
    # visit (B's default 150 s with no history), shown uncertain and as a range.
    b = by["B"]
    assert b["no_counter_open"] is False and b["estimate_uncertain"] is True
    assert 60 <= b["estimated_wait_s"] <= 180
    assert b["estimated_wait_low_s"] <= b["estimated_wait_s"] <= b["estimated_wait_high_s"]
    assert by["B"]["name"] == "Payments and cash"
    es = client.get("/api/v1/queue?lang=es").get_json()
    assert es["services"][1]["name"] == "Pagos y caja"
    assert isinstance(body["version"], int) and body["version"] >= 4


# -- who may have which ticket (decided by issue_ticket from the caller and the kiosk) -------

def limit_kiosk(demo_db, kiosk: str, services: str | None) -> None:
    conn = connect(demo_db)
    try:
        conn.execute("UPDATE devices SET services = ? WHERE code = ?",
                     (json.dumps(list(services)) if services else None, kiosk))
    finally:
        conn.close()


def count(demo_db, sql: str) -> int:
    conn = connect(demo_db)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def test_a_kiosk_issues_only_the_services_it_offers(client, demo_db, staff, kiosk_bearer):
    limit_kiosk(demo_db, "K1", "AB")
    k1, k2 = kiosk_bearer("K1"), kiosk_bearer("K2")
    r = client.post("/api/v1/tickets", json={"service": "C", "kiosk": "K1"}, headers=k1)
    body = assert_error(r, 403, "service_not_offered")
    assert "K1" in body["message"] and "C" in body["message"]
    # Nothing issued, nothing printed; a token holder naming the kiosk is refused the same.
    assert_error(client.post("/api/v1/tickets", json={"service": "C"},
                             headers={"X-Kiosk": "K1", **staff}), 403, "service_not_offered")
    assert count(demo_db, "SELECT count(*) FROM tickets") == 0
    assert count(demo_db, "SELECT count(*) FROM print_jobs") == 0
    ok = client.post("/api/v1/tickets", json={"service": "B", "kiosk": "K1"}, headers=k1)
    assert ok.status_code == 201 and ok.get_json()["print"]["state"] == "queued"
    # Without a kiosk, or at a kiosk offering everything, C is fine.
    assert client.post("/api/v1/tickets", json={"service": "C"}).status_code == 201
    assert client.post("/api/v1/tickets", json={"service": "C", "kiosk": "K2"},
                       headers=k2).status_code == 201


@pytest.mark.parametrize(("priority", "via", "status"), [
    ("appointment", {"kiosk": "K2"}, 403),  # naming a kiosk grants no appointment
    ("appointment", {}, 403),
    ("priority", {}, 403),
    ("priority", {"kiosk": "K2"}, 201),     # what the kiosk's own question offers anyone
    ("normal", {"kiosk": "K2"}, 201),
])
def test_anonymous_priority_is_what_the_kiosk_offers(client, demo_db, kiosk_bearer, priority,
                                                     via, status):
    # A kiosk's customer: the kiosk's own device credential, no staff sign-in.
    headers = kiosk_bearer(via["kiosk"]) if via else {}
    r = client.post("/api/v1/tickets", json={"service": "A", "priority": priority, **via},
                    headers=headers)
    if status == 201:
        assert r.status_code == 201 and r.get_json()["priority"] == priority
    else:
        assert_error(r, status, "priority_not_allowed")
        assert count(demo_db, "SELECT count(*) FROM tickets") == 0


def test_staff_may_issue_appointments(client, bearer):
    for headers in (bearer("staff"), bearer("device")):
        r = client.post("/api/v1/tickets", json={"service": "A", "priority": "appointment",
                                                 "kiosk": "K1"}, headers=headers)
        assert r.status_code == 201 and r.get_json()["priority"] == "appointment"


def test_replay_of_a_ticket_whose_print_failed_reports_not_printed(client, demo_db,
                                                                  kiosk_bearer):
    conn = connect(demo_db)
    conn.execute("UPDATE printers SET status = 'paper_out'")
    conn.close()
    key = {"Idempotency-Key": "tap-paper-out", **kiosk_bearer("K1")}
    first = client.post("/api/v1/tickets", json={"service": "A", "kiosk": "K1"}, headers=key)
    assert first.get_json()["print"]["state"] == "not_printed"
    conn = connect(demo_db)
    conn.execute("UPDATE printers SET status = 'ok'")  # paper refilled; the first print failed
    conn.close()
    again = client.post("/api/v1/tickets", json={"service": "A", "kiosk": "K1"}, headers=key)
    assert again.headers.get("Idempotent-Replayed") == "true"
    replayed = again.get_json()["print"]
    assert replayed == {**first.get_json()["print"], "reason": "printer paper_out at issue"}
    assert (replayed["state"], replayed["printed"]) == ("not_printed", False)
