"""Stored report summaries agree with a direct computation from ``ticket_events``.

Random branch days are played through the real use cases on a real SQLite file
(the summaries are written by the transactions that end tickets); the report
read from the summaries is then compared with ``kpi.compute`` over every event,
and ``reports rebuild`` must reproduce the incremental summaries exactly.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicepoint import report_store, reports
from servicepoint.db import connect, immediate
from servicepoint.domain import kpi
from servicepoint.domain import report as rep
from servicepoint.domain.model import DomainError
from servicepoint.ports import NotFound
from servicepoint.report_queries import counter_events
from servicepoint.timeutil import FixedClock, day_bounds
from servicepoint.uow import row_to_event
from servicepoint.usecases import act, call_next, expire_day, issue_ticket, set_counter
from tests.fixtures import DAY0, T0, TIMEZONE, copy_demo_db, make_ports

pytestmark = pytest.mark.timeout(420)

STAFF = ("clerk", "manager")
ops = st.one_of(
    st.tuples(st.just("issue"), st.sampled_from("ABCD")),
    st.tuples(st.just("call"), st.sampled_from("123456"), st.sampled_from(STAFF)),
    st.tuples(st.just("act"), st.integers(0, 30),
              st.sampled_from(["start", "finish", "follow_up", "no_show", "recall", "requeue",
                               "transfer", "park", "cancel", "rate"]),
              st.sampled_from("ABCD")),
    st.tuples(st.just("close"), st.sampled_from("123456")),
    st.tuples(st.just("wait"), st.integers(1, 900)),
)


def play(ports, clock, steps, end_day: bool) -> None:
    """Apply ``steps`` through the use cases; refused ones change nothing and are skipped."""
    issued: list[int] = []
    for step in steps:
        clock.set(clock.now() + dt.timedelta(seconds=37))
        try:
            if step[0] == "issue":
                issued.append(issue_ticket(ports, service=step[1]).ticket.id)
            elif step[0] == "call":
                call_next(ports, counter=step[1], staff=step[2])
            elif step[0] == "act" and issued:
                tid = issued[step[1] % len(issued)]
                action, extra = step[2], {}
                if action == "follow_up":
                    action, extra = "finish", {"outcome": "follow_up"}
                elif action == "transfer":
                    extra = {"service": step[3]}
                elif action == "rate":
                    extra = {"rating": {"csat": 1 + step[1] % 5, "nps": step[1] % 11}}
                act(ports, ticket_id=tid, action=action, **extra)
            elif step[0] == "close":
                set_counter(ports, counter=step[1], move="close")
            elif step[0] == "wait":
                clock.set(clock.now() + dt.timedelta(seconds=step[1]))
        except (DomainError, NotFound):
            pass
    if end_day:
        expire_day(ports, before_day="2026-03-03")


def direct(conn, start, end, now) -> dict:
    """KPIs from every event of the tickets issued in [start, end), computed directly."""
    rows = conn.execute("SELECT e.* FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id"
                        " WHERE t.issued_at >= ? AND t.issued_at < ? ORDER BY e.id",
                        (start.isoformat(timespec="microseconds"),
                         end.isoformat(timespec="microseconds"))).fetchall()
    targets = {r[0]: r[1] for r in conn.execute("SELECT code, target_wait_s FROM services")}
    periods: dict = {}
    for span in rep.open_spans(counter_events(conn, end), start, end, now):
        periods.setdefault(span.counter, []).append((span.start, span.end))
    return kpi.compute([row_to_event(r) for r in rows], period_start=start, period_end=end,
                       targets=targets, open_periods=periods, now=now)


def close(a, b, rel=0.01, abs_=0.1) -> bool:
    if a is None or b is None:
        return a is b
    return abs(a - b) <= max(abs_, rel * abs(b))


def assert_agree(got: dict, want: dict) -> None:
    for name in ("issued", "finished"):
        assert got[name] == want[name], name
    for name in ("service_level", "no_show_rate", "first_contact_resolution",
                 "throughput_per_hour"):
        assert close(got[name], want[name], 0, 0.0001 if name != "throughput_per_hour" else 0.01), name
    for part in ("wait", "service_time"):
        g, w = got[part], want[part]
        assert g["count"] == w["count"], part
        assert close(g["mean_s"], w["mean_s"]), part
        assert close(g["max_s"], w["max_s"]), part
        # p90 and median from 1 %-wide buckets: within 1 % (0.6 s below one second)
        assert close(g["p90_s"], w["p90_s"], 0.01, 0.6), (part, g, w)
        assert close(g["median_s"], w["median_s"], 0.01, 0.6), (part, g, w)


def summary_rows(conn) -> tuple[list, list]:
    hours = [tuple(round(v, 6) if isinstance(v, float) else v for v in r)
             for r in conn.execute("SELECT * FROM report_hours ORDER BY 1, 2, 3, 4, 5")]
    hist = [(*r[:7], round(r[7], 6)) for r in conn.execute(
        "SELECT * FROM report_hist ORDER BY 1, 2, 3, 4, 5, 6")]
    return hours, hist


@settings(max_examples=40, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(steps=st.lists(ops, min_size=1, max_size=60), end_day=st.booleans(),
       cut=st.integers(1, 120))
def test_summaries_agree_with_the_events(steps, end_day, cut):
    folder = tempfile.mkdtemp(prefix="reports-")
    try:
        clock = FixedClock(T0)
        ports = make_ports(copy_demo_db(os.path.join(folder, "sp.db")), clock)
        conn = ports.conn
        try:
            play(ports, clock, steps, end_day)
            now = clock.now()
            start, end = day_bounds(DAY0, TIMEZONE)
            got = reports.kpis(conn, start, end, now, tz=TIMEZONE)
            want = direct(conn, start, end, now)
            assert_agree(got["overall"], want["overall"])
            assert set(got["services"]) == set(want["services"])
            for svc, block in want["services"].items():
                assert_agree(got["services"][svc], block)
            assert got["overall"]["csat"] == want["overall"]["csat"]
            assert got["overall"]["nps"] == want["overall"]["nps"]
            # A period that starts and ends inside the day is read from the events
            # at its edges; it must agree just as well.
            lo = T0 + dt.timedelta(minutes=cut)
            got = reports.kpis(conn, lo, end, now, tz=TIMEZONE)
            assert_agree(got["overall"], direct(conn, lo, end, now)["overall"])
            before = summary_rows(conn)
            with immediate(conn):
                report_store.rebuild(conn)
            assert summary_rows(conn) == before
        finally:
            conn.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_reports_rebuild_command_says_how_many_tickets_it_read(tmp_path):
    from click.testing import CliRunner

    from servicepoint.cli import cli

    clock = FixedClock(T0)
    db = copy_demo_db(tmp_path / "sp.db")
    ports = make_ports(db, clock)
    try:
        play(ports, clock, [("issue", "A"), ("issue", "B"), ("call", "1", "clerk"),
                            ("act", 0, "start", "A"), ("act", 0, "finish", "A"),
                            ("act", 1, "cancel", "A"), ("issue", "C")], end_day=False)
        before = summary_rows(ports.conn)
        ports.conn.execute("DELETE FROM report_hours")
    finally:
        ports.conn.close()
    result = CliRunner().invoke(cli, ["--db", db, "reports", "rebuild"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "from 2 ended tickets" in result.output  # C001 is still waiting
    ports = make_ports(db, clock)
    try:
        assert summary_rows(ports.conn) == before
    finally:
        ports.conn.close()


def test_a_wait_exactly_on_target_is_a_hit_in_both_ways(tmp_path):
    clock = FixedClock(T0)
    ports = make_ports(copy_demo_db(tmp_path / "sp.db"), clock)
    try:
        tid = issue_ticket(ports, service="A").ticket.id  # A's target: 600 s
        clock.set(T0 + dt.timedelta(seconds=600))
        call_next(ports, counter="1", staff="clerk")
        act(ports, ticket_id=tid, action="start")
        act(ports, ticket_id=tid, action="finish")
        hit = "SELECT sum(sl_hit), sum(sl_n) FROM report_hours"
        assert tuple(ports.conn.execute(hit).fetchone()) == (1, 1)
        before = summary_rows(ports.conn)
        with immediate(ports.conn):
            report_store.rebuild(ports.conn)
        assert summary_rows(ports.conn) == before
    finally:
        ports.conn.close()


def test_a_transferred_ticket_called_twice_rebuilds_the_same(tmp_path):
    """A second call after a transfer is not a second called ticket, and a visit moved on
    is not resolved at its first counter: the rebuild must count both as the server did."""
    clock = FixedClock(T0)
    db = copy_demo_db(tmp_path / "sp.db")
    ports = make_ports(db, clock)
    try:
        play(ports, clock, [("issue", "A"), ("call", "1", "clerk"), ("act", 0, "start", "A"),
                            ("act", 0, "transfer", "B"), ("call", "2", "manager"),
                            ("act", 0, "start", "B"), ("act", 0, "finish", "B")], end_day=False)
        conn = ports.conn
        row = conn.execute("SELECT sum(called_tickets), sum(called), sum(finished), sum(resolved),"
                           " sum(transfers) FROM report_hours").fetchone()
        assert tuple(row) == (1, 2, 1, 0, 1)
        before = summary_rows(conn)
        conn.execute("DELETE FROM report_hours")
        conn.execute("DELETE FROM report_hist")
        with immediate(conn):
            report_store.rebuild(conn)
        assert summary_rows(conn) == before
    finally:
        ports.conn.close()


def test_the_rebuild_across_processes_matches_the_one_in_process(tmp_path):
    """``reports rebuild`` computes months in worker processes: the rows must be those of
    the single-process rebuild, on history spanning three months."""
    from tests.support.history import write_days

    db = copy_demo_db(tmp_path / "sp.db")
    conn = connect(db)
    try:
        written = write_days(conn, dt.date(2026, 1, 20), 50, 40, tz=TIMEZONE)
        assert written > 1000
        with immediate(conn):
            read = report_store.rebuild(conn)
        alone = summary_rows(conn)
        with immediate(conn):
            assert report_store.rebuild(conn, database=db, workers=2) == read
        assert summary_rows(conn) == alone
        months = {r[0][:7] for r in conn.execute("SELECT DISTINCT day FROM report_hours")}
        assert months == {"2026-01", "2026-02", "2026-03"}
    finally:
        conn.close()
