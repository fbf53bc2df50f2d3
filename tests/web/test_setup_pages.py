"""The setup pages under /manager/setup: services and counters, through the Flask test client.

A manager adds and changes them with forms (htmx or plain); a refused form keeps
everything typed and names each bad field in the manager's language; every change
is in the audit log; a service with history is disabled, never deleted.
"""
from __future__ import annotations

import html as html_lib
import json

import pytest

from tests.support.web import CSRF, db, post, sign_in

NEW_SERVICE = {
    "code": "E", "name_en": "Passports", "name_es": "Pasaportes",
    "desc_en": "Apply or renew", "desc_es": "Solicitud o renovación",
    "icon": "passport", "category": "Documents",
    "open_mon": "09:00", "last_mon": "13:30", "close_mon": "14:00",
    "open_sat": "10:00", "close_sat": "12:00",
    "target_wait_min": "15", "sl_goal_pct": "90", "weight": "2", "default_service_min": "6",
    "enabled": "on",
}


@pytest.fixture
def manager(client):
    sign_in(client, "manager")
    return client


def row(app, sql: str, *params):
    conn = db(app)
    try:
        return conn.execute(sql, params).fetchone()
    finally:
        conn.close()


def test_only_managers_and_admins_set_up_the_branch(app):
    clerk, tech = app.test_client(), app.test_client()
    sign_in(clerk, "staff")
    sign_in(tech, "technician")
    for browser in (clerk, tech):
        assert browser.get("/manager/setup/services").status_code == 403
        assert post(browser, "/manager/setup/services", NEW_SERVICE).status_code == 403
    assert row(app, "SELECT count(*) FROM services WHERE code = 'E'")[0] == 0


def test_a_manager_adds_a_service_with_names_and_opening_hours(app, manager):
    page = manager.get("/manager/setup/services").get_data(as_text=True)
    assert 'id="service-editor"' in page and 'name="name_es"' in page  # a name per language
    r = post(manager, "/manager/setup/services", NEW_SERVICE)
    assert r.status_code == 200 and "Service E is saved" in r.get_data(as_text=True)
    assert 'id="service-E"' in r.get_data(as_text=True)  # the list comes back with it
    svc = row(app, "SELECT * FROM services WHERE code = 'E'")
    assert json.loads(svc["names"]) == {"en": "Passports", "es": "Pasaportes"}
    assert json.loads(svc["hours"]) == {
        "mon": {"open": "09:00", "last_ticket": "13:30", "close": "14:00"},
        "sat": {"open": "10:00", "last_ticket": "12:00", "close": "12:00"}}
    assert (svc["target_wait_s"], svc["service_level_goal"], svc["weight"],
            svc["default_service_s"], svc["active"]) == (900, 0.9, 2.0, 360, 1)
    audit = row(app, "SELECT * FROM audit_log WHERE entity = 'service' AND entity_key = 'E'")
    assert audit["actor"] == "manager" and audit["action"] == "create"


def test_a_bad_service_form_keeps_what_was_typed_and_names_each_field(app, manager):
    bad = {**NEW_SERVICE, "code": "E1", "name_en": "", "close_mon": "08:00",
           "target_wait_min": "soon"}
    r = manager.post("/manager/setup/services", data={**bad, "csrf_token": CSRF},
                     headers={"HX-Request": "true", "Accept-Language": "es"})
    page = html_lib.unescape(r.get_data(as_text=True))
    assert r.status_code == 422
    assert 'value="E1"' in page and 'value="Pasaportes"' in page and 'value="soon"' in page
    assert 'id="error-code"' in page and 'id="error-hours"' in page
    assert 'id="error-target_wait_s"' in page and "Escriba un número entero." in page
    assert row(app, "SELECT count(*) FROM services WHERE code LIKE 'E%'")[0] == 0


def test_changing_a_service_keeps_its_code_and_a_used_one_is_only_disabled(app, manager, client):
    form = manager.get("/manager/setup/services/A").get_data(as_text=True)
    assert 'value="A"' in form and "readonly" in form
    r = post(manager, "/manager/setup/services/A",
             {**NEW_SERVICE, "code": "Z", "name_en": "Payments", "target_wait_min": "12"})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert row(app, "SELECT target_wait_s FROM services WHERE code = 'A'")[0] == 720
    assert row(app, "SELECT count(*) FROM services WHERE code = 'Z'")[0] == 0
    post(client, "/kiosk/K1/issue", {"service": "A", "key": "historykey0001"})  # history
    r = post(manager, "/manager/setup/services/A/remove", htmx=False)
    assert r.status_code == 303
    assert row(app, "SELECT active FROM services WHERE code = 'A'")[0] == 0
    page = manager.get(r.headers["Location"]).get_data(as_text=True)
    assert "Service A is disabled; its history stays." in page


def test_a_manager_adds_and_changes_a_counter(app, manager):
    r = post(manager, "/manager/setup/counters",
             {"code": "7", "name": "Counter 7", "location": "First floor", "services": "B A",
              "enabled": "on"})
    assert r.status_code == 200 and "Counter 7 is saved" in r.get_data(as_text=True)
    assert [x[0] for x in db(app).execute(
        "SELECT service_code FROM counter_services WHERE counter_code = '7'"
        " ORDER BY position")] == ["B", "A"]
    bad = post(manager, "/manager/setup/counters/7", {"name": "", "services": "B Q"})
    page = html_lib.unescape(bad.get_data(as_text=True))
    assert bad.status_code == 422 and 'id="error-name"' in page and 'id="error-services"' in page
    assert 'value="B Q"' in page
    ok = post(manager, "/manager/setup/counters/7", {"name": "Counter 7", "services": "A",
                                                     "location": "Ground floor"})
    assert ok.status_code == 200
    assert row(app, "SELECT location, enabled FROM counters WHERE code = '7'")[:] == (
        "Ground floor", 0)  # the box was not ticked: disabled
    assert row(app, "SELECT count(*) FROM audit_log WHERE entity = 'counter'"
                    " AND entity_key = '7'")[0] == 2


def test_the_setup_index_links_every_page(manager):
    page = manager.get("/manager/setup").get_data(as_text=True)
    for url in ("/manager/setup/services", "/manager/setup/counters", "/hardware/devices"):
        assert f'href="{url}"' in page


def test_a_counter_gets_a_spoken_name_per_language(app, manager):
    r = post(manager, "/manager/setup/counters/3",
             {"name": "Counter 3", "services": "B C", "enabled": "on",
              "spoken_en": "the cashier's desk", "spoken_es": "a la caja"})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert json.loads(row(app, "SELECT spoken FROM counters WHERE code = '3'")[0]) == {
        "en": "the cashier's desk", "es": "a la caja"}
    page = html_lib.unescape(manager.get("/manager/setup/counters/3").get_data(as_text=True))
    assert 'name="spoken_es" value="a la caja"' in page
    # Emptying one language's field drops it; the display then reads the code out.
    post(manager, "/manager/setup/counters/3", {"name": "Counter 3", "services": "B C",
                                                "enabled": "on", "spoken_en": "",
                                                "spoken_es": "a la caja"})
    assert json.loads(row(app, "SELECT spoken FROM counters WHERE code = '3'")[0]) == {
        "es": "a la caja"}
    bad = post(manager, "/manager/setup/counters/3",
               {"name": "Counter 3", "services": "B C", "spoken_es": "x" * 61})
    assert bad.status_code == 422 and 'id="error-spoken"' in bad.get_data(as_text=True)


def test_a_manager_adds_staff_and_a_deactivated_account_is_signed_out_at_once(app, manager):
    r = post(manager, "/manager/setup/staff",
             {"username": "nina", "display_name": "Nina New", "role": "staff",
              "password": "short"})
    page = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="error-password"' in page and 'value="nina"' in page
    assert "short" not in page  # a password is never sent back
    r = post(manager, "/manager/setup/staff",
             {"username": "nina", "display_name": "Nina New", "role": "staff",
              "password": "long-enough-1"})
    assert r.status_code == 200 and 'id="staff-nina"' in r.get_data(as_text=True)

    clerk = app.test_client()
    sign_in(clerk, "staff")
    assert clerk.get("/counter").status_code == 200
    r = post(manager, "/manager/setup/staff/clerk", {"active": "no"})
    assert r.status_code == 200 and "signed out everywhere" in r.get_data(as_text=True)
    assert clerk.get("/counter").status_code == 302  # back to the sign-in page
    assert row(app, "SELECT action FROM audit_log WHERE entity = 'staff' AND entity_key = 'clerk'"
                    " ORDER BY id DESC")[0] == "deactivate"
    # The last manager cannot demote herself; the page says so.
    r = post(manager, "/manager/setup/staff/manager", {"role": "staff"})
    assert r.status_code == 422 and 'id="problem"' in r.get_data(as_text=True)


def test_a_password_reset_ends_the_accounts_sessions(app, manager):
    tech = app.test_client()
    sign_in(tech, "technician")
    r = post(manager, "/manager/setup/staff/tech/password", {"password": "new-password-2"})
    assert r.status_code == 200 and "new password" in r.get_data(as_text=True)
    assert tech.get("/hardware").status_code == 302


def test_signing_out_pauses_the_counter_as_a_counter_event(app):
    clerk = app.test_client()
    sign_in(clerk, "staff")
    # The clerk holds counter 2, open (as the counter screen leaves it).
    conn = db(app)
    conn.execute("UPDATE counters SET state = 'open', staff_username = 'clerk' WHERE code = '2'")
    conn.close()
    assert post(clerk, "/logout", htmx=False).status_code == 302
    assert row(app, "SELECT state FROM counters WHERE code = '2'")[0] == "break"
    event = row(app, "SELECT action, staff_username FROM counter_events WHERE counter_code = '2'"
                     " ORDER BY id DESC")
    assert tuple(event) == ("break", "clerk")


def test_the_branch_settings_page(app, manager):
    page = manager.get("/manager/setup/branch").get_data(as_text=True)
    assert 'name="kiosk_languages" value="fr"' in page
    bad = post(manager, "/manager/setup/branch",
               {"name": "Centro", "timezone": "Mars/Olympus", "kiosk_languages": ["es", "en"],
                "auto_no_show_recalls": "2", "closing_time": "25:00", "retention_days": "30",
                "trusted_proxies": "10.0.0.5\nnot-an-address", "speech_numbers": "digits"})
    page = html_lib.unescape(bad.get_data(as_text=True))
    assert bad.status_code == 422
    for field in ("timezone", "closing_time", "trusted_proxies"):
        assert f'id="error-{field}"' in page
    assert 'value="Mars/Olympus"' in page and "not-an-address" in page
    ok = post(manager, "/manager/setup/branch",
              {"name": "Centro", "timezone": "Europe/Madrid", "kiosk_languages": ["es", "en"],
               "auto_no_show_recalls": "2", "closing_time": "19:30", "retention_days": "30",
               "trusted_proxies": "10.0.0.5", "speech_numbers": "whole",
               "priority_question": "on"})
    assert ok.status_code == 200 and "saved" in ok.get_data(as_text=True)
    conn = db(app)
    try:
        settings = {k: json.loads(v) for k, v in conn.execute("SELECT key, value FROM settings")}
    finally:
        conn.close()
    assert settings["kiosk_languages"] == ["es", "en"] and settings["closing_time"] == "19:30"
    assert settings["trusted_proxies"] == ["10.0.0.5/32"] and settings["branch_name"] == "Centro"
