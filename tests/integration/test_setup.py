"""Setup use cases on a real SQLite file: changes, their audit, and the rules around history."""
from __future__ import annotations

import sqlite3

import pytest

from servicepoint import auth, setup, setup_queries
from servicepoint.domain.branch import InvalidSetup
from servicepoint.domain.model import DomainError
from servicepoint.setup_store import setup_ports
from servicepoint.uow import NotFound
from servicepoint.usecases import act, call_next, issue_ticket, set_counter


@pytest.fixture
def sp(ports, clock):
    """Setup ports on the test's connection, acting as the demo manager."""
    ended: list[str] = []
    notified: list[str] = []
    p = setup_ports(ports.conn, clock, "manager", end_sessions=ended.append,
                     notify=notified.append)
    p.ended, p.notified = ended, notified  # type: ignore[attr-defined]
    return p


def audit(conn) -> list[tuple]:
    return [(e.actor, e.action, e.entity, e.key) for e in
            reversed(setup_queries.audit_entries(conn, limit=1000))]


def audit_since(conn, n: int) -> list[tuple]:
    return audit(conn)[n:]


def test_a_new_service_is_stored_audited_and_offered(sp, ports):
    before = len(audit(ports.conn))
    spec = setup.create_service(sp, {
        "code": "E", "names": {"en": "Exports", "es": "Exportaciones"},
        "descriptions": {"en": "Customs papers"}, "icon": "box", "category": "Business",
        "hours": {"mon": {"open": "08:00", "last_ticket": "13:30", "close": "14:00"}},
        "target_wait_s": 900, "service_level_goal": 0.9, "weight": 2, "default_service_s": 420})
    assert setup_queries.services(ports.conn)[-1] == spec
    assert audit_since(ports.conn, before) == [("manager", "create", "service", "E")]
    entry = setup_queries.audit_entries(ports.conn, limit=1)[0]
    assert entry.before is None and entry.after["names"] == {"en": "Exports", "es": "Exportaciones"}
    assert sp.notified == ["setup"]
    # The queue knows it at once: a counter serving it can call its tickets.
    setup.update_counter(sp, "6", {"services": ["D", "E"]})
    ticket = issue_ticket(ports, service="E").ticket  # Monday 10:00 in Madrid: open
    assert ticket.number == "E001"
    assert call_next(ports, counter="6").number == "E001"


def test_a_refused_change_changes_nothing_and_leaves_no_audit(sp, ports):
    before = len(audit(ports.conn))
    with pytest.raises(InvalidSetup) as exc:
        setup.create_service(sp, {"code": "A", "names": {"en": "Again"}})
    assert [e.key for e in exc.value.errors] == ["setup.exists"]
    with pytest.raises(InvalidSetup):
        setup.create_service(sp, {"code": "F", "names": {"es": "Sin inglés"}})  # en comes first
    assert len(audit(ports.conn)) == before
    assert [s.code for s in setup_queries.services(ports.conn)] == ["A", "B", "C", "D"]


def test_changing_a_service_keeps_its_waiting_tickets_and_their_numbers(sp, ports, clock):
    issued = [issue_ticket(ports, service="A").ticket for _ in range(3)]
    with pytest.raises(InvalidSetup) as exc:
        setup.update_service(sp, "A", {"code": "Z"})
    assert exc.value.errors[0].key == "setup.code_fixed"
    spec = setup.update_service(sp, "A", {"names": {"en": "Enquiries", "es": "Consultas"},
                                          "weight": 3, "target_wait_s": 120})
    assert spec.weight == 3.0
    rows = ports.conn.execute("SELECT id, number, state FROM tickets WHERE service_id='A'"
                              " ORDER BY id").fetchall()
    assert [(r["id"], r["number"], r["state"]) for r in rows] == [
        (t.id, t.number, "waiting") for t in issued]
    assert issue_ticket(ports, service="A").ticket.number == "A004"
    entry = setup_queries.audit_entries(ports.conn, entity="service", limit=1)[0]
    assert {c[0] for c in entry.changes} == {"names", "target_wait_s", "weight"}


def test_an_unchanged_save_writes_no_audit(sp, ports):
    before = len(audit(ports.conn))
    current = setup_queries.services(ports.conn)[0]
    setup.update_service(sp, "A", {"weight": current.weight})
    assert len(audit(ports.conn)) == before


def test_a_service_with_history_is_disabled_never_deleted(sp, ports):
    issue_ticket(ports, service="B")
    assert setup.remove_service(sp, "B") == "disabled"
    assert ports.conn.execute("SELECT active FROM services WHERE code='B'").fetchone()[0] == 0
    with pytest.raises(DomainError) as exc:
        issue_ticket(ports, service="B")
    assert exc.value.code == "service_inactive"
    setup.create_service(sp, {"code": "X", "names": {"en": "Never used"}})
    setup.update_counter(sp, "1", {"services": ["A", "X", "B"]})
    assert setup.remove_service(sp, "X") == "deleted"
    assert setup_queries.counters(ports.conn)[0].services == ("A", "B")
    assert ("manager", "disable", "service", "B") in audit(ports.conn)
    assert ("manager", "delete", "service", "X") in audit(ports.conn)


def test_service_hours_stop_new_tickets_after_the_last_ticket_time(sp, ports, clock):
    # T0 is Monday 10:00 in Madrid.
    setup.update_service(sp, "C", {"hours": {"mon": {"open": "08:00", "last_ticket": "10:30",
                                                     "close": "11:00"}}})
    assert issue_ticket(ports, service="C").ticket.number == "C001"
    clock.advance(minutes=30)
    with pytest.raises(DomainError) as exc:
        issue_ticket(ports, service="C")
    assert exc.value.code == "service_closed"
    assert issue_ticket(ports, service="A").ticket.number == "A001"  # no hours: always open


def test_counters_serve_their_services_in_the_order_given(sp, ports):
    spec = setup.create_counter(sp, {"code": "7", "name": "Counter 7",
                                     "location": "Counter 7, first floor", "services": ["C", "A"]})
    assert setup_queries.counters(ports.conn)[-1] == spec
    assert spec.services == ("C", "A")
    with pytest.raises(InvalidSetup) as exc:
        setup.create_counter(sp, {"code": "8", "name": "Eight", "services": ["Q"]})
    assert exc.value.errors[0].field == "services[0]"


def test_a_disabled_counter_cannot_open_or_call(sp, ports):
    set_counter(ports, counter="1", move="open", staff="clerk")
    setup.update_counter(sp, "1", {"enabled": False})
    row = ports.conn.execute("SELECT state, enabled FROM counters WHERE code='1'").fetchone()
    assert (row["state"], row["enabled"]) == ("closed", 0)
    issue_ticket(ports, service="A")
    for attempt in (lambda: call_next(ports, counter="1"),
                    lambda: set_counter(ports, counter="1", move="open")):
        with pytest.raises(DomainError) as exc:
            attempt()
        assert exc.value.code == "counter_disabled"


def test_a_counter_with_a_customer_cannot_be_disabled(sp, ports):
    issue_ticket(ports, service="A")
    call_next(ports, counter="1")
    with pytest.raises(DomainError) as exc:
        setup.update_counter(sp, "1", {"enabled": False})
    assert exc.value.code == "counter_busy"
    assert setup_queries.counters(ports.conn)[0].enabled


def test_a_counter_without_history_is_deleted(sp, ports):
    setup.create_counter(sp, {"code": "9", "name": "Pop-up desk", "services": ["A"]})
    assert setup.remove_counter(sp, "9") == "deleted"
    set_counter(ports, counter="2", move="open")
    assert setup.remove_counter(sp, "2") == "disabled"
    with pytest.raises(NotFound):
        setup.remove_counter(sp, "9")


def test_staff_are_added_with_a_role_and_sign_in(sp, ports):
    setup.add_staff(sp, {"username": "bea", "display_name": "Bea Ruiz", "role": "technician",
                         "password": "a long secret"})
    row = auth.check_password(ports.conn, "bea", "a long secret")
    assert row is not None and row["role"] == "technician"
    assert "a long secret" not in str(audit(ports.conn))
    entry = setup_queries.audit_entries(ports.conn, entity="staff", limit=1)[0]
    assert entry.after == {"username": "bea", "display_name": "Bea Ruiz", "role": "technician",
                           "active": True}
    with pytest.raises(InvalidSetup) as exc:
        setup.add_staff(sp, {"username": "bea", "password": "another secret"})
    assert exc.value.errors[0].key == "setup.exists"


def test_deactivating_someone_pauses_their_counter_and_ends_their_sessions(sp, ports):
    set_counter(ports, counter="3", move="open", staff="clerk")
    setup.deactivate_staff(sp, "clerk")
    assert sp.ended == ["clerk"]
    assert auth.check_password(ports.conn, "clerk", "clerk-demo") is None
    row = ports.conn.execute("SELECT state FROM counters WHERE code='3'").fetchone()
    assert row["state"] == "break"
    last = ports.conn.execute("SELECT action, staff_username FROM counter_events"
                              " ORDER BY id DESC LIMIT 1").fetchone()
    assert tuple(last) == ("break", "clerk")
    assert ("manager", "deactivate", "staff", "clerk") in audit(ports.conn)


def test_a_role_change_and_a_password_reset_end_sessions(sp, ports):
    setup.update_staff(sp, "clerk", {"role": "manager"})
    setup.reset_password(sp, "tech", "brand new secret")
    assert sp.ended == ["clerk", "tech"]
    assert auth.check_password(ports.conn, "tech", "tech-demo") is None
    assert auth.check_password(ports.conn, "tech", "brand new secret") is not None
    entry = setup_queries.audit_entries(ports.conn, entity="staff", limit=1)[0]
    assert (entry.action, entry.before, entry.after) == ("reset_password", None, None)


def test_the_last_manager_cannot_lock_everyone_out(sp, ports):
    with pytest.raises(InvalidSetup) as exc:
        setup.deactivate_staff(sp, "manager")
    assert exc.value.errors[0].key == "setup.last_admin"
    with pytest.raises(InvalidSetup):
        setup.update_staff(sp, "manager", {"role": "staff"})
    setup.add_staff(sp, {"username": "boss", "role": "admin", "password": "0123456789"})
    setup.update_staff(sp, "manager", {"role": "staff"})  # another admin remains


def test_branch_settings_are_validated_and_audited(sp, ports):
    settings = setup.update_settings(sp, {"closing_time": "19:30", "retention_days": 30,
                                          "kiosk_languages": ["es", "en"]})
    assert setup_queries.settings(ports.conn) == settings
    entry = setup_queries.audit_entries(ports.conn, entity="settings", limit=1)[0]
    assert {c[0] for c in entry.changes} == {"closing_time", "retention_days", "kiosk_languages"}
    with pytest.raises(InvalidSetup) as exc:
        setup.update_settings(sp, {"timezone": "Mars/Olympus"})
    assert exc.value.errors[0].field == "timezone"


def test_auto_no_show_after_the_configured_recalls(sp, ports):
    setup.update_settings(sp, {"auto_no_show_recalls": 1})
    issue_ticket(ports, service="A")
    ticket = call_next(ports, counter="1")
    assert act(ports, ticket_id=ticket.id, action="recall").state.value == "called"
    assert act(ports, ticket_id=ticket.id, action="recall").state.value == "no_show"


def test_the_audit_log_is_append_only(sp, ports):
    setup.update_settings(sp, {"retention_days": 45})
    for sql in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            ports.conn.execute(sql)
