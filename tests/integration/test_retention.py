"""Retention: after the period no personal field remains, column by column; reports are unchanged."""
from __future__ import annotations

import datetime as dt
import json
import sqlite3

import pytest

from servicepoint import queries, reports
from servicepoint.dayclose import close_day
from servicepoint.db import set_setting
from servicepoint.domain.upkeep import KEPT_EVENT_KEYS, KEPT_PAYLOAD_KEYS
from servicepoint.retention import run_retention
from servicepoint.timeutil import day_bounds
from servicepoint.upkeep_store import TICKET_COLUMNS
from servicepoint.usecases import act, call_next, issue_ticket
from tests.fixtures import DAY0, T0, TIMEZONE


def a_day_of_visits(ports, clock) -> None:
    """Kiosk tickets in Spanish with keys, served, transferred, rated, no-show, left waiting."""
    for i, service in enumerate("AABCA"):
        issue_ticket(ports, service=service, language="es", device="K2",
                     idempotency_key=f"tap-{i}", track_base="https://branch.example")
        clock.advance(seconds=40)
    first = call_next(ports, counter="1")
    clock.advance(seconds=30)
    act(ports, ticket_id=first.id, action="start")
    clock.advance(minutes=4)
    act(ports, ticket_id=first.id, action="finish")
    act(ports, ticket_id=first.id, action="rate", rating={"csat": 5, "nps": 9})
    second = call_next(ports, counter="3")
    act(ports, ticket_id=second.id, action="start")
    clock.advance(minutes=2)
    act(ports, ticket_id=second.id, action="transfer", service="C")
    third = call_next(ports, counter="2")
    clock.advance(minutes=1)
    act(ports, ticket_id=third.id, action="no_show")
    clock.advance(hours=9)
    close_day(ports, trigger="schedule")  # the rest expires


def snapshot(conn, table: str) -> dict[int, dict]:
    return {r["id"]: dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY id")}


def kpis(conn):
    """The day's report as it stands at the day's end (counters left open count until then)."""
    start, end = day_bounds(DAY0, TIMEZONE)
    return reports.kpis(conn, start, end, end)


def test_after_the_period_no_personal_field_remains_and_reports_are_unchanged(ports, clock):
    a_day_of_visits(ports, clock)
    conn = ports.conn
    tickets_before = snapshot(conn, "tickets")
    events_before = snapshot(conn, "ticket_events")
    jobs_before = snapshot(conn, "print_jobs")
    report_before = kpis(conn)
    assert any("language" in json.loads(e["data"]) for e in events_before.values())
    assert any("track_url" in json.loads(j["payload"]) for j in jobs_before.values())

    # 89 days later nothing is due; 91 days later every visit of that day is.
    clock.set(T0 + dt.timedelta(days=89))
    assert run_retention(ports, days=90).tickets == 0
    clock.set(T0 + dt.timedelta(days=91))
    newer = issue_ticket(ports, service="A", language="es", device="K1").ticket
    result = run_retention(ports, days=90)
    assert (result.tickets, result.print_jobs) == (len(tickets_before), len(jobs_before))

    columns = [r[1] for r in conn.execute("PRAGMA table_info(tickets)")]
    assert sorted(columns) == sorted(TICKET_COLUMNS), "decide what retention does with new columns"
    after = snapshot(conn, "tickets")
    for ticket_id, old in tickets_before.items():
        new = after[ticket_id]
        for column in columns:
            rule = TICKET_COLUMNS[column]
            if column == "anonymised_at":
                assert old[column] is None and new[column] is not None
            elif rule == "keep":
                assert new[column] == old[column], column
            elif rule == "clear":
                assert new[column] is None, column
            else:
                assert new[column] != old[column], column
        assert new["language"] == "und"
        assert queries.ticket_by_public_id(conn, old["public_id"]) is None
    assert after[newer.id]["language"] == "es" and after[newer.id]["device_code"] == "K1"

    events_after = snapshot(conn, "ticket_events")
    for event_id, old in events_before.items():
        new = events_after[event_id]
        assert {k: v for k, v in new.items() if k != "data"} == {
            k: v for k, v in old.items() if k != "data"}
        assert set(json.loads(new["data"])) <= KEPT_EVENT_KEYS
        assert "language" not in new["data"]
    jobs_after = snapshot(conn, "print_jobs")
    for job_id in jobs_before:
        new = jobs_after[job_id]
        payload = json.loads(new["payload"])
        assert set(payload) <= KEPT_PAYLOAD_KEYS and "https://" not in new["payload"]
        assert payload["number"] == json.loads(jobs_before[job_id]["payload"])["number"]

    assert kpis(conn) == report_before
    assert report_before["overall"]["issued"] == 5 and report_before["overall"]["csat"] == 1.0
    assert run_retention(ports, days=90).tickets == 0  # once is enough


def test_open_visits_are_never_anonymised(ports, clock):
    issue_ticket(ports, service="A", language="es", device="K2")
    clock.set(T0 + dt.timedelta(days=200))
    assert run_retention(ports, days=90).tickets == 0


def test_history_still_refuses_every_change_but_losing_personal_data(ports, clock):
    issue_ticket(ports, service="A", language="es")
    conn = ports.conn
    for sql in ("UPDATE ticket_events SET at = '2020-01-01'",
                "UPDATE ticket_events SET staff_username = 'someone'",
                "UPDATE ticket_events SET data = data || ' '",
                "UPDATE ticket_events SET data = 'not json'",
                "DELETE FROM ticket_events"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql)


def test_retention_days_come_from_the_branch_setting(ports, clock):
    a_day_of_visits(ports, clock)
    conn = ports.conn
    set_setting(conn, "retention_days", 10)
    clock.set(T0 + dt.timedelta(days=11))
    result = run_retention(ports)
    assert result.days == 10 and result.tickets == 5


def test_small_batches_anonymise_every_due_visit_once(ports, clock):
    """Batches follow each other by id: two at a time still reaches every due visit, and
    the next run finds nothing left."""
    a_day_of_visits(ports, clock)
    due = ports.conn.execute("SELECT count(*) FROM tickets").fetchone()[0]
    assert due >= 5
    clock.set(T0 + dt.timedelta(days=91))
    assert run_retention(ports, days=90, batch=2).tickets == due
    assert ports.conn.execute(
        "SELECT count(*) FROM tickets WHERE anonymised_at IS NULL").fetchone()[0] == 0
    assert run_retention(ports, days=90, batch=2).tickets == 0
