"""A hypothesis state machine drives the real use cases over a real SQLite file.

Each example starts from a fresh demo branch (services A–D, counters 1–6) and
a fixed clock that moves a few seconds per step. The run is derandomized: every
run tries the same examples, so a failure seen once is seen again, and the
report carries the ``@reproduce_failure`` blob and the path of the failing
example's database (kept in the test's tmp_path). Rules issue tickets, call the
next one at random counters, act on random tickets (legal or not), call parked
tickets back, open/close counters, and end the day. Each outcome is predicted
from the lifecycle table (docs/architecture.md, *The ticket lifecycle*) and checked; refused actions must change
nothing. After every step the invariants (numbers unique and gap-free, queue
counts, one ticket per counter) are checked against the database, including a
full replay of ``ticket_events``.
"""
from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import tempfile
from collections import defaultdict

import pytest
from hypothesis import HealthCheck, event, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
)

from servicepoint.domain import lifecycle, routing
from servicepoint.domain.model import HELD_STATES, DomainError, Priority, State
from servicepoint.timeutil import FixedClock, branch_day
from servicepoint.uow import row_to_event, row_to_ticket
from servicepoint.usecases import (
    act,
    call_next,
    call_ticket,
    expire_day,
    issue_ticket,
    set_counter,
)
from tests.fixtures import T0, TIMEZONE, copy_demo_db, make_ports

# A failing run shrinks for up to Hypothesis's 300 s; leave it room to report the example.
pytestmark = pytest.mark.timeout(420)

SERVICES = ("A", "B", "C", "D")
COUNTERS = ("1", "2", "3", "4", "5", "6")
W, C, S, P = State.WAITING, State.CALLED, State.SERVING, State.PARKED
# The table of docs/architecture.md, *The ticket lifecycle*, independent of the code's (the unit tests compare the two).
TABLE = {
    (W, "call"): C, (P, "call"): C, (C, "recall"): C, (C, "start"): S, (C, "no_show"): State.NO_SHOW,
    (C, "requeue"): W, (S, "requeue"): W, (C, "transfer"): W, (S, "transfer"): W, (S, "park"): P,
    (S, "finish"): State.DONE, (W, "cancel"): State.CANCELLED, (W, "expire"): State.EXPIRED,
    (C, "expire"): State.EXPIRED, (P, "expire"): State.EXPIRED, (State.DONE, "rate"): State.DONE,
}
HOLDER_ACTIONS = {"recall", "start", "no_show", "requeue", "transfer", "park", "finish"}
ACTIONS = sorted(HOLDER_ACTIONS | {"cancel", "rate"})

seconds = st.integers(0, 40)
counters = st.sampled_from(COUNTERS)


class QueueMachine(RuleBasedStateMachine):
    tickets = Bundle("tickets")
    # Where the examples' databases go (the test's tmp_path, set by a fixture), and the
    # folder of the last example that ended. Each example removes its predecessor's
    # folder and keeps its own: when Hypothesis reports a failure, the last example it
    # ran is the (shrunk) failing one, and its report notes that example's database.
    workdir: str | None = None
    kept: str | None = None

    def __init__(self):
        super().__init__()
        self.folder = tempfile.mkdtemp(prefix="example-", dir=self.workdir)
        self.path = copy_demo_db(os.path.join(self.folder, "servicepoint.db"))
        note(f"This example's database (kept after a failure): {self.path}")
        self.clock = FixedClock(T0)
        self.notified: list[str] = []
        self.ports = make_ports(self.path, self.clock, notify=self.notified.append)
        self.conn = self.ports.conn
        self.counter_services = {
            c: [r[0] for r in self.conn.execute(
                "SELECT service_code FROM counter_services WHERE counter_code=?"
                " ORDER BY service_code", (c,))] for c in COUNTERS}
        self.weights = {r[0]: r[1] for r in self.conn.execute("SELECT code, weight FROM services")}
        self.steps = 0  # busy steps since the last end of day (keeps days from being too short)
        self._replayed: dict = {}

    def teardown(self):
        self.conn.close()
        previous, QueueMachine.kept = QueueMachine.kept, self.folder
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)

    # -- helpers ---------------------------------------------------------------
    def tick(self, secs: int) -> None:
        self.clock.advance(secs)
        self.steps += 1

    def today(self) -> str:
        return branch_day(self.clock.now(), TIMEZONE)

    def ticket(self, tid: int):
        return row_to_ticket(self.conn.execute("SELECT * FROM tickets WHERE id=?",
                                               (tid,)).fetchone())

    def snapshot(self):
        return (self.conn.execute("SELECT * FROM tickets ORDER BY id").fetchall(),
                self.conn.execute("SELECT count(*) FROM ticket_events").fetchone()[0],
                self.conn.execute("SELECT * FROM counters ORDER BY code").fetchall(),
                self.conn.execute("SELECT count(*) FROM counter_events").fetchone()[0],
                self.conn.execute("SELECT * FROM day_counters ORDER BY 1, 2").fetchall())

    def held(self, counter: str, states=(C, S)):
        return [t for t in map(row_to_ticket, self.conn.execute(
            "SELECT * FROM tickets WHERE counter_id=?", (counter,))) if t.state in states]

    def expect_refusal(self, fn, **kw) -> None:
        before = [list(map(tuple, x)) if isinstance(x, list) else x for x in self.snapshot()]
        with pytest.raises(DomainError):
            fn(self.ports, **kw)
        after = [list(map(tuple, x)) if isinstance(x, list) else x for x in self.snapshot()]
        assert after == before, "a refused action changed the database"
        assert not self.conn.in_transaction

    def events_of(self, tid: int) -> int:
        return self.conn.execute("SELECT count(*) FROM ticket_events WHERE ticket_id=?",
                                 (tid,)).fetchone()[0]

    # -- rules -----------------------------------------------------------------
    @rule(target=tickets, service=st.sampled_from(SERVICES), priority=st.sampled_from(Priority),
          secs=seconds)
    def issue(self, service, priority, secs):
        self.tick(secs)
        day = self.today()
        before = self.conn.execute(
            "SELECT count(*) FROM tickets WHERE origin_service_id=? AND day=?",
            (service, day)).fetchone()[0]
        # Staff may issue every priority class (an anonymous caller only normal).
        result = issue_ticket(self.ports, service=service, priority=priority.value, staff="clerk")
        t = result.ticket
        assert (t.state, t.service, t.day, t.priority) == (W, service, day, priority)
        assert t.seq == before + 1 and t.number == f"{service}{before + 1:03d}"
        assert not result.replayed and result.people_ahead >= 0
        assert self.notified[-1] == "queue"
        return t.id

    @rule(counter=counters, finish_current=st.booleans(), secs=seconds)
    def call_next(self, counter, finish_current, secs):
        self.tick(secs)
        held = self.held(counter)
        busy = any(t.state == C or not finish_current for t in held)
        event(f"call_next: {'busy' if busy else 'free'}")
        if busy:
            self.expect_refusal(call_next, counter=counter, finish_current=finish_current)
            return
        waiting = [row_to_ticket(r) for r in self.conn.execute(
            "SELECT * FROM tickets WHERE state='waiting'")]
        expected = routing.pick_next(waiting, counter, self.counter_services[counter],
                                     self.clock.now(), self.weights)
        got = call_next(self.ports, counter=counter, finish_current=finish_current)
        for t in held:  # a serving ticket was finished first
            assert self.ticket(t.id).state == State.DONE
        assert (got.id if got else None) == (expected.id if expected else None)
        if got is not None:
            row = self.ticket(got.id)
            assert (row.state, row.counter, row.called_at) == (C, counter, self.clock.now())
        assert self.conn.execute("SELECT state FROM counters WHERE code=?",
                                 (counter,)).fetchone()[0] == "open"

    @rule(tid=tickets, counter=counters, secs=seconds)
    def call_specific(self, tid, counter, secs):
        self.tick(secs)
        t = self.ticket(tid)
        busy = any(h.id != tid for h in self.held(counter))
        legal = not busy and (
            (t.state == W and routing.callable_by(t, counter, self.counter_services[counter]))
            or (t.state == P and t.counter == counter))
        event(f"call ticket {t.state.value}: {'legal' if legal else 'refused'}")
        if not legal:
            self.expect_refusal(call_ticket, ticket_id=tid, counter=counter)
            return
        n = self.events_of(tid)
        got = call_ticket(self.ports, ticket_id=tid, counter=counter)
        assert (got.state, got.counter) == (C, counter) and got.number == t.number
        assert self.events_of(tid) == n + 1

    @rule(data=st.data(), secs=seconds)
    def act_on_held(self, data, secs):
        """Act on a ticket some counter holds, mostly with a move its state allows."""
        held = [(r[0], r[1], r[2]) for r in self.conn.execute(
            "SELECT id, state, counter_id FROM tickets WHERE counter_id IS NOT NULL ORDER BY id")]
        if not held:
            return
        tid, state, holder = data.draw(st.sampled_from(held), label="held")
        allowed = [a for (s, a) in TABLE if s == state and a in ACTIONS] or ACTIONS
        action = data.draw(st.sampled_from(allowed) | st.sampled_from(ACTIONS), label="action")
        counter = data.draw(st.sampled_from([None, holder]) | counters, label="counter")
        self._act(tid, counter, action, data, secs)

    @rule(data=st.data(), secs=seconds)
    def serve(self, data, secs):
        """Move a held ticket on with a legal move by its own counter (keeps the day flowing)."""
        held = [(r[0], r[1], r[2]) for r in self.conn.execute(
            "SELECT id, state, counter_id FROM tickets WHERE counter_id IS NOT NULL ORDER BY id")]
        if not held:
            return
        tid, state, holder = data.draw(st.sampled_from(held), label="held")
        if state == "parked":
            self.call_specific(tid, holder, secs)
            return
        action = data.draw(st.sampled_from([a for (s, a) in TABLE if s == state and a in ACTIONS]),
                           label="action")
        self._act(tid, data.draw(st.sampled_from([None, holder]), label="counter"), action, data,
                  secs, legal_transfer=True)

    @rule(data=st.data(), tid=tickets, counter=st.none() | counters,
          action=st.sampled_from(ACTIONS), secs=seconds)
    def act_on_any(self, data, tid, counter, action, secs):
        """Act on any ticket (mostly illegal moves)."""
        self._act(tid, counter, action, data, secs)

    def _act(self, tid, counter, action, data, secs, legal_transfer=False):
        self.tick(secs)
        t = self.ticket(tid)
        params = {}
        if action == "transfer" and legal_transfer:
            if data.draw(st.booleans(), label="to a service"):
                params["service"] = data.draw(st.sampled_from(SERVICES), label="to")
                params["target_counter"] = None
            else:
                params["service"] = None
                params["target_counter"] = data.draw(
                    st.sampled_from([c for c in COUNTERS if c != t.counter]), label="to_counter")
            params["position"] = data.draw(st.sampled_from(["front", "time", "back"]))
        elif action == "transfer":
            params["service"] = data.draw(st.none() | st.sampled_from(SERVICES), label="to")
            params["target_counter"] = data.draw(st.none() | counters, label="to_counter")
            params["position"] = data.draw(st.sampled_from(["front", "time", "back"]))
        elif action == "requeue":
            params["position"] = data.draw(st.sampled_from(["front", "time", "back"]))
        elif action == "finish":
            params["outcome"] = data.draw(st.sampled_from(["resolved", "follow_up"]))
        elif action == "rate":
            params["rating"] = data.draw(st.fixed_dictionaries(
                {}, optional={"csat": st.integers(1, 5), "nps": st.integers(0, 10)}).filter(bool))
        acting = counter if counter is not None else (
            t.counter if action not in ("cancel", "rate") else None)
        legal = (t.state, action) in TABLE
        if action in HOLDER_ACTIONS:
            legal = legal and acting is not None and acting == t.counter
        if action == "transfer":
            if params["service"] is None and params["target_counter"] is None:
                legal = False
            if params["service"] is None and params["target_counter"] == acting:
                legal = False
        event(f"act {action}: {'legal' if legal else 'refused'}")
        if not legal:
            self.expect_refusal(act, ticket_id=tid, action=action, counter=counter, **params)
            return
        n = self.events_of(tid)
        got = act(self.ports, ticket_id=tid, action=action, counter=counter, **params)
        row = self.ticket(tid)
        assert row == got
        assert row.state == TABLE[(t.state, action)]
        assert row.number == t.number and row.seq == t.seq and row.day == t.day
        assert self.events_of(tid) == n + 1
        last = self.conn.execute("SELECT * FROM ticket_events WHERE ticket_id=? ORDER BY id DESC"
                                 " LIMIT 1", (tid,)).fetchone()
        assert (last["action"], last["from_state"], last["to_state"]) == (
            action, t.state.value, row.state.value)
        if action == "transfer":
            assert row.service == (params["service"] or t.service)
            assert row.target_counter == params["target_counter"]
            assert row.queued_at == self.clock.now()

    @rule(counter=counters, move=st.sampled_from(["open", "close", "break", "resume"]),
          secs=seconds)
    def counter_move(self, counter, move, secs):
        self.tick(secs)
        if move in ("close", "break") and self.held(counter):
            self.expect_refusal(set_counter, counter=counter, move=move)
            return
        state = set_counter(self.ports, counter=counter, move=move)
        assert state == {"open": "open", "resume": "open", "close": "closed",
                         "break": "break"}[move]
        assert self.conn.execute("SELECT state FROM counters WHERE code=?",
                                 (counter,)).fetchone()[0] == state

    @precondition(lambda self: self.steps >= 15)
    @rule()
    def end_of_day(self):
        """Expire today's open tickets (waiting, called, parked) at closing time."""
        today = self.today()
        tomorrow = (dt.date.fromisoformat(today) + dt.timedelta(days=1)).isoformat()
        open_ids = {r[0] for r in self.conn.execute(
            "SELECT id FROM tickets WHERE state IN ('waiting','called','parked')")}
        assert expire_day(self.ports, before_day=tomorrow) == len(open_ids)
        for tid in open_ids:
            assert self.ticket(tid).state == State.EXPIRED
        self.steps = 0

    @precondition(lambda self: self.steps >= 15 and self.clock.now() - T0 < dt.timedelta(days=3))
    @rule()
    def next_morning(self):
        """The clock jumps to 08:00 next day; yesterday's leftovers expire by default."""
        now = self.clock.now().astimezone(dt.timezone(dt.timedelta(hours=1)))
        tomorrow_8 = (now + dt.timedelta(days=1)).replace(hour=8, minute=0, second=0,
                                                         microsecond=0)
        self.clock.set(tomorrow_8.astimezone(dt.timezone.utc))
        leftovers = self.conn.execute(
            "SELECT count(*) FROM tickets WHERE state IN ('waiting','called','parked')"
            " AND day < ?", (self.today(),)).fetchone()[0]
        assert expire_day(self.ports) == leftovers
        self.steps = 0

    @precondition(lambda self: self.steps % 10 == 9)
    @rule(data=st.data())
    def tamper_with_history(self, data):
        """ticket_events is append-only: UPDATE and DELETE are refused by the database."""
        ids = [r[0] for r in self.conn.execute("SELECT id FROM ticket_events")]
        if not ids:
            return
        eid = data.draw(st.sampled_from(ids))
        before = self.conn.execute("SELECT * FROM ticket_events WHERE id=?", (eid,)).fetchone()
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            # A real change (an update that writes the same value changes nothing).
            self.conn.execute("UPDATE ticket_events SET to_state = CASE to_state WHEN 'done'"
                              " THEN 'waiting' ELSE 'done' END WHERE id=?", (eid,))
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            self.conn.execute("DELETE FROM ticket_events WHERE id=?", (eid,))
        assert tuple(self.conn.execute("SELECT * FROM ticket_events WHERE id=?",
                                       (eid,)).fetchone()) == tuple(before)
        assert self.conn.execute("SELECT count(*) FROM ticket_events").fetchone()[0] == len(ids)

    # -- invariants --------------------------------------------------------------
    @invariant()
    def numbers_are_unique_and_gap_free(self):
        seqs = defaultdict(list)
        numbers = defaultdict(set)
        for row in self.conn.execute("SELECT origin_service_id, day, seq, number FROM tickets"):
            seqs[(row[0], row[1])].append(row[2])
            assert row[3] == f"{row[0]}{row[2]:03d}"
            assert row[3] not in numbers[row[1]], f"number {row[3]} twice on {row[1]}"
            numbers[row[1]].add(row[3])
        last = {(r[0], r[1]): r[2] for r in self.conn.execute("SELECT * FROM day_counters")}
        for key, values in seqs.items():
            assert sorted(values) == list(range(1, len(values) + 1)), key
            assert last[key] == len(values)
        assert set(last) == set(seqs)

    @invariant()
    def queue_counts_match_the_rows(self):
        """The trigger-maintained queue sizes equal a fresh count of the waiting tickets."""
        counted = dict(self.conn.execute(
            "SELECT s.code, (SELECT count(*) FROM tickets t WHERE t.state='waiting'"
            " AND t.target_counter_id IS NULL AND t.service_id=s.code) FROM services s").fetchall())
        kept = dict(self.conn.execute("SELECT service_id, waiting FROM queue_counts").fetchall())
        assert kept == counted

    @invariant()
    def tickets_match_their_history(self):
        """One valid state each, one holder at most, and the events rebuild every row."""
        events = defaultdict(list)
        for row in self.conn.execute("SELECT * FROM ticket_events ORDER BY id"):
            events[row["ticket_id"]].append(row)
        tickets = [row_to_ticket(r) for r in self.conn.execute("SELECT * FROM tickets")]
        assert set(events) == {t.id for t in tickets}
        holding = defaultdict(list)
        for t in tickets:
            assert isinstance(t.state, State)
            if t.state in HELD_STATES:
                assert t.counter in COUNTERS and t.called_at is not None, t
                if t.state in (C, S):
                    holding[t.counter].append(t.number)
            else:
                assert t.counter is None, t
            if t.state == W:
                assert t.called_at is None, t
            if t.target_counter is not None:  # kept as history once the ticket left the queue
                assert t.state in (W, State.CANCELLED, State.EXPIRED), t
            # Replay the ticket's events (cached while it has no new ones) and compare it all:
            # state, service, counter, target, recalls, outcome, rank and wait-segment times.
            history = events[t.id]
            key = (t.id, len(history))
            if key not in self._replayed:
                self._replayed[key] = lifecycle.replay([row_to_event(r) for r in history])
                assert history[-1]["to_state"] == t.state.value
            assert self._replayed[key] == t
        for counter, numbers in holding.items():
            assert len(numbers) <= 1, f"counter {counter} holds {numbers}"


# derandomize: every run tries the same examples, so a failure seen once under load
# is seen again; print_blob: the report prints the @reproduce_failure(...) decorator
# that replays the exact example when put on QueueMachine.
QueueMachine.TestCase.settings = settings(
    max_examples=60, stateful_step_count=50, deadline=None, database=None,
    derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
test_queue_state_machine = QueueMachine.TestCase


@pytest.fixture(autouse=True)
def examples_in_tmp_path(tmp_path):
    """Put the examples' databases in the test's tmp_path (pytest keeps the last runs')."""
    QueueMachine.workdir, QueueMachine.kept = str(tmp_path), None
    yield
    QueueMachine.workdir = QueueMachine.kept = None
