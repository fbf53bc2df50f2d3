"""The setup API (/api/v1/services, counters, staff, settings, devices, pairing) through the
Flask test client: manager and admin tokens only, the same rules as the pages, 4xx JSON
naming each bad field, every change audited as the token."""
from __future__ import annotations

import pytest

from tests.support.web import CSRF, assert_error, db, sign_in


@pytest.fixture
def boss(bearer):
    return bearer("manager")


def one(app, sql: str, *params):
    conn = db(app)
    try:
        return conn.execute(sql, params).fetchone()
    finally:
        conn.close()


ROUTES = [("get", "/api/v1/services"), ("post", "/api/v1/services"),
          ("patch", "/api/v1/services/A"), ("delete", "/api/v1/services/A"),
          ("post", "/api/v1/counters"), ("patch", "/api/v1/counters/1"),
          ("get", "/api/v1/staff"), ("post", "/api/v1/staff"),
          ("patch", "/api/v1/staff/clerk"), ("post", "/api/v1/staff/clerk/password"),
          ("get", "/api/v1/settings"), ("patch", "/api/v1/settings"),
          ("get", "/api/v1/devices"), ("post", "/api/v1/devices/K1/revoke")]


@pytest.mark.parametrize(("method", "url"), ROUTES)
def test_only_managers_and_admins(client, bearer, method, url):
    assert_error(getattr(client, method)(url, json={}), 401)
    for role in ("staff", "device"):
        assert_error(getattr(client, method)(url, json={}, headers=bearer(role)), 403)


def test_a_session_needs_its_csrf_token(app):
    c = app.test_client()
    sign_in(c, "manager")
    assert_error(c.patch("/api/v1/settings", json={"retention_days": 30}), 403)
    r = c.patch("/api/v1/settings", json={"retention_days": 30}, headers={"X-CSRF-Token": CSRF})
    assert r.status_code == 200 and r.get_json()["retention_days"] == 30


def test_services(app, client, boss):
    body = {"code": "E", "names": {"en": "Passports", "es": "Pasaportes"},
            "hours": {"mon": {"open": "09:00", "last_ticket": "13:30", "close": "14:00"}},
            "target_wait_s": 900}
    r = client.post("/api/v1/services", json=body, headers=boss)
    assert r.status_code == 201 and r.get_json()["names"]["es"] == "Pasaportes"
    assert one(app, "SELECT actor FROM audit_log WHERE entity = 'service'"
                    " AND entity_key = 'E'")[0] == "token:test-manager"
    listed = client.get("/api/v1/services", headers=boss).get_json()["services"]
    assert "E" in {s["code"] for s in listed}
    bad = assert_error(client.post("/api/v1/services", json={
        "code": "E9", "names": {"xx yy": 5}, "hours": {"funday": {}}, "weight": -1},
        headers=boss), 400, "invalid_setup")
    for name in ("code", "names.xx yy", "hours.funday", "weight"):
        assert name in bad["message"]
    assert_error(client.patch("/api/v1/services/E", json={"code": "F"}, headers=boss), 400)
    assert_error(client.patch("/api/v1/services/Q", json={}, headers=boss), 404)
    changed = client.patch("/api/v1/services/E", json={"target_wait_s": 600}, headers=boss)
    assert changed.get_json()["target_wait_s"] == 600
    assert client.delete("/api/v1/services/E", headers=boss).get_json()["outcome"] == "deleted"
    client.post("/api/v1/tickets", json={"service": "D"})  # D now has history
    assert client.delete("/api/v1/services/D", headers=boss).get_json()["outcome"] == "disabled"


def test_counters(app, client, boss, staff):
    r = client.post("/api/v1/counters", json={"code": "7", "name": "Counter 7",
                                              "services": ["B", "A"]}, headers=boss)
    assert r.status_code == 201 and r.get_json()["services"] == ["B", "A"]
    assert client.get("/api/v1/counters/7", headers=boss).get_json()["name"] == "Counter 7"
    bad = assert_error(client.patch("/api/v1/counters/7", json={"services": ["Q"]},
                                    headers=boss), 400, "invalid_setup")
    assert "services[0]" in bad["message"]
    # A counter holding a customer cannot be disabled.
    client.post("/api/v1/tickets", json={"service": "A"})
    client.post("/api/v1/counters/7/open", headers=staff)
    assert client.post("/api/v1/counters/7/call-next", headers=staff).status_code == 200
    assert_error(client.patch("/api/v1/counters/7", json={"enabled": False}, headers=boss),
                 409, "counter_busy")


def test_staff(app, client, boss):
    r = client.post("/api/v1/staff", json={"username": "nina", "role": "staff",
                                           "password": "long-enough-1"}, headers=boss)
    assert r.status_code == 201 and "password" not in r.get_json()
    assert_error(client.post("/api/v1/staff", json={"username": "nina", "password": "x"},
                             headers=boss), 400, "invalid_setup")
    clerk = app.test_client()
    sign_in(clerk, "staff")
    assert client.patch("/api/v1/staff/clerk", json={"active": False},
                        headers=boss).get_json()["active"] is False
    assert clerk.get("/counter").status_code == 302  # signed out at once
    assert client.post("/api/v1/staff/tech/password", json={"password": "another-one-2"},
                       headers=boss).status_code == 200
    assert_error(client.post("/api/v1/staff/ghost/password", json={"password": "another-one-2"},
                             headers=boss), 404)
    names = {s["username"] for s in client.get("/api/v1/staff", headers=boss).get_json()["staff"]}
    assert {"nina", "clerk", "manager"} <= names


def test_settings(client, boss):
    bad = assert_error(client.patch("/api/v1/settings", json={
        "timezone": "Mars/Olympus", "trusted_proxies": ["nope"]}, headers=boss),
        400, "invalid_setup")
    assert "timezone" in bad["message"] and "trusted_proxies[0]" in bad["message"]
    ok = client.patch("/api/v1/settings", json={"closing_time": "19:30",
                                                "kiosk_languages": ["es", "en"]}, headers=boss)
    assert ok.get_json()["closing_time"] == "19:30"
    assert client.get("/api/v1/settings", headers=boss).get_json()["kiosk_languages"] == [
        "es", "en"]


def test_a_print_agent_pairs_itself_and_is_revoked(app, client, boss, bearer):
    agent = app.test_client()
    started = agent.post("/api/v1/pairing", json={"device": "K1"})
    assert started.status_code == 201
    code, claim = started.get_json()["code"], started.get_json()["claim"]
    assert agent.post("/api/v1/pairing/claim", json={"claim": claim}).status_code == 202
    tech = bearer("technician")
    assert_error(client.post("/api/v1/devices/pair", json={"code": "000000", "device": "K1"},
                             headers=tech), 400, "invalid_setup")
    assert client.post("/api/v1/devices/pair", json={"code": code, "device": "K1"},
                       headers=tech).status_code == 200
    got = agent.post("/api/v1/pairing/claim", json={"claim": claim}).get_json()
    assert (got["state"], got["device"]) == ("paired", "K1") and got["token"]
    assert_error(agent.post("/api/v1/pairing/claim", json={"claim": claim}), 410,
                 "pairing_expired")
    headers = {"Authorization": f"Bearer {got['token']}"}
    issued = agent.post("/api/v1/tickets", json={"service": "A"}, headers=headers)
    assert issued.status_code == 201 and issued.get_json()["print"]["state"] == "queued"
    listed = {d["code"]: d for d in client.get("/api/v1/devices", headers=boss).get_json()[
        "devices"]}
    assert listed["K1"]["paired"] >= 1 and "token" not in str(listed["K1"])
    assert client.post("/api/v1/devices/K1/revoke", headers=boss).get_json()["revoked"] >= 1
    assert_error(agent.post("/api/v1/tickets", json={"service": "A", "kiosk": "K1"},
                            headers=headers), 403, "kiosk_not_paired")


def test_devices_are_saved_through_the_rules(client, boss):
    r = client.post("/api/v1/devices", json={"code": "K3", "kind": "kiosk", "name": "Back",
                                             "rate_per_min": 30}, headers=boss)
    assert r.status_code == 200 and r.get_json()["rate_per_min"] == 30
    bad = assert_error(client.post("/api/v1/devices", json={
        "code": "D1", "kind": "kiosk", "name": "x"}, headers=boss), 400, "invalid_setup")
    assert "kind" in bad["message"]


def test_asking_for_pairing_codes_is_limited_per_address(make_app):
    app = make_app(API_TICKET_RATE_LIMIT=2)
    c = app.test_client()
    assert c.post("/api/v1/pairing", json={}).status_code == 201
    assert c.post("/api/v1/pairing", json={}).status_code == 201
    assert_error(c.post("/api/v1/pairing", json={}), 429, "rate_limited")
