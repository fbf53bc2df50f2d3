"""KPIs from small hand-built event lists, with expected values worked out by hand."""
from __future__ import annotations

import datetime as dt

import pytest

from servicepoint.domain import kpi, lifecycle
from servicepoint.domain.model import Action, Event

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


class Branch:
    """Plays tickets through the real lifecycle and keeps every event."""

    def __init__(self):
        self.events: list[Event] = []
        self.tickets = {}
        self._seq = {}

    def issue(self, tid: int, service: str, minute: float):
        seq = self._seq[service] = self._seq.get(service, 0) + 1
        t, ev = lifecycle.issue(service=service, prefix=service, day="2026-03-02", seq=seq,
                                at=at(minute), ticket_id=tid)
        self.tickets[tid] = t
        self.events.append(ev)
        return self

    def do(self, tid: int, minute: float, action: str, **kw):
        t, ev = lifecycle.apply(self.tickets[tid], action, at(minute), **kw)
        self.tickets[tid] = t
        self.events.append(ev)
        return self


def scenario() -> Branch:
    """Seven visits, 09:00–09:30; targets A 600 s, B 300 s.

    1 A: issued 0, called 5 (counter 1), recalled 6 and 7, served 8–18, resolved; rated 5 / 10
    2 A: issued 1, called 21, no-show 23
    3 B: issued 2, called 4 (counter 2), served 5–9, transferred to A; called 19 (counter 3),
         served 20–30, resolved; rated nps 9
    4 A: issued 3, cancelled 20 (waited 17 min > target: a miss)
    5 A: issued 10, cancelled 12 (left after 2 min: not counted)
    6 B: issued 10, called 11 (counter 2), served 12–15, follow-up; rated 3 / 6
    7 B: issued 12, still waiting
    """
    b = Branch()
    for tid, svc, minute in [(1, "A", 0), (2, "A", 1), (3, "B", 2), (4, "A", 3), (5, "A", 10),
                             (6, "B", 10), (7, "B", 12)]:
        b.issue(tid, svc, minute)
    b.do(3, 4, "call", counter="2").do(3, 5, "start", counter="2")
    b.do(1, 5, "call", counter="1").do(1, 6, "recall", counter="1")
    b.do(1, 7, "recall", counter="1").do(1, 8, "start", counter="1")
    b.do(3, 9, "transfer", counter="2", service="A")
    b.do(6, 11, "call", counter="2").do(5, 12, "cancel").do(6, 12, "start", counter="2")
    b.do(6, 15, "finish", counter="2", outcome="follow_up")
    b.do(1, 18, "finish", counter="1", outcome="resolved")
    b.do(3, 19, "call", counter="3").do(3, 20, "start", counter="3").do(4, 20, "cancel")
    b.do(2, 21, "call", counter="1").do(2, 23, "no_show", counter="1")
    b.do(3, 30, "finish", counter="3", outcome="resolved")
    b.do(1, 31, "rate", rating={"csat": 5, "nps": 10})
    b.do(6, 32, "rate", rating={"csat": 3, "nps": 6})
    b.do(3, 33, "rate", rating={"nps": 9})
    return b


TARGETS = {"A": 600, "B": 300}
OPEN = {"1": [(at(0), at(60))], "2": [(at(0), at(30))], "3": [(at(25), at(35))],
        "4": [(at(0), at(60))]}


@pytest.fixture
def report():
    return kpi.compute(scenario().events, period_start=at(0), period_end=at(120),
                       targets=TARGETS, open_periods=OPEN)


def test_wait_segments():
    segs = kpi.wait_segments(scenario().events)
    got = sorted((s.ticket_id, s.service, s.wait_s, s.called) for s in segs)
    assert got == [
        (1, "A", 300.0, True),  # recalls do not extend the wait: it ends at the first call
        (2, "A", 1200.0, True),
        (3, "A", 600.0, True),  # the transfer started a new segment in A at minute 9
        (3, "B", 120.0, True),
        (4, "A", 1020.0, False),
        (5, "A", 120.0, False),
        (6, "B", 60.0, True),
        (7, "B", None, False),  # still open
    ]


def test_requeue_starts_a_new_segment_and_park_does_not():
    b = Branch().issue(1, "A", 0)
    b.do(1, 5, "call", counter="1").do(1, 6, "requeue", counter="1")
    b.do(1, 10, "call", counter="2").do(1, 11, "start", counter="2")
    b.do(1, 12, "park", counter="2").do(1, 20, "call", counter="2")
    waits = [s.wait_s for s in kpi.wait_segments(b.events)]
    assert waits == [300.0, 240.0]


def test_service_spans():
    spans = sorted((s.ticket_id, s.service, s.counter, s.seconds)
                   for s in kpi.service_spans(scenario().events))
    assert spans == [(1, "A", "1", 600.0), (3, "A", "3", 600.0), (3, "B", "2", 240.0),
                     (6, "B", "2", 180.0)]


def test_overall_wait_and_service_time(report):
    o = report["overall"]
    # waits: 300, 1200, 120, 600, 60
    assert o["wait"] == {"count": 5, "mean_s": 456.0, "median_s": 300.0, "p90_s": 1200.0,
                         "max_s": 1200.0}
    # service: 600, 240, 600, 180
    assert o["service_time"]["count"] == 4 and o["service_time"]["mean_s"] == 405.0
    assert o["issued"] == 7


def test_service_level_counts_long_abandons_as_misses(report):
    # called within target: 1 (300 ≤ 600), 3/B (120 ≤ 300), 3/A (600 ≤ 600), 6 (60 ≤ 300)
    # misses: 2 (1200 > 600), cancelled 4 (1020 > 600) and 7, still waiting at the period's
    # end (108 min > 300 s, #10); cancelled 5 (120 s) is left out
    assert report["overall"]["service_level"] == round(4 / 7, 4)
    assert report["services"]["A"]["service_level"] == 0.5  # 1, 3/A hit; 2, 4 miss
    assert report["services"]["B"]["service_level"] == round(2 / 3, 4)


def test_a_ticket_waiting_within_target_at_the_end_is_left_out():
    r = kpi.compute(scenario().events, period_start=at(0), period_end=at(120),
                    targets=TARGETS, open_periods=OPEN, now=at(16))  # 7 has waited 4 min
    assert r["services"]["B"]["service_level"] == 1.0


def test_service_level_edge_rules():
    seg = kpi.WaitSegment
    segments = [seg(1, "A", at(0), at(10), True),  # exactly on target: a hit
                seg(2, "A", at(0), at(10), False),  # abandoned exactly at target: left out
                seg(3, "A", at(0), None, False)]  # still waiting: left out
    assert kpi.service_level(segments, {"A": 600}) == 1.0
    assert kpi.service_level([seg(1, "Z", at(0), at(11), True)], {}) == 0.0  # default 600 s
    assert kpi.service_level([], {}) is None


def test_no_show_rate(report):
    # called tickets: 1, 2, 3, 6 → one no-show
    assert report["overall"]["no_show_rate"] == 0.25
    # in A the calls were 1, 2 and 3's second call
    assert report["services"]["A"]["no_show_rate"] == round(1 / 3, 4)
    assert report["services"]["B"]["no_show_rate"] == 0.0


def test_throughput(report):
    assert report["overall"]["finished"] == 3
    # 3 in the one hour some counter was open (#10: per open hour, not per hour of the period)
    assert report["overall"]["throughput_per_hour"] == 3.0
    assert report["services"]["A"]["finished"] == 2 and report["services"]["B"]["finished"] == 1


def test_first_contact_resolution_excludes_transfers(report):
    # finished: 1 resolved, 3 resolved after a transfer (excluded), 6 follow-up
    assert report["overall"]["first_contact_resolution"] == round(1 / 3, 4)
    assert report["services"]["A"]["first_contact_resolution"] == 0.5
    assert report["services"]["B"]["first_contact_resolution"] == 0.0


def test_csat_and_nps(report):
    o = report["overall"]
    assert o["csat"] == 0.5  # 5 and 3 → one of two is 4–5
    assert o["nps"] == 33.3  # 10, 6, 9 → (2 promoters − 1 detractor) / 3
    assert o["ratings"] == {"csat": 2, "nps": 3}


def test_counter_utilisation(report):
    assert report["overall"]["counter_utilisation"] == {
        "1": round(600 / 3600, 4),  # ticket 1, 8–18
        "2": round(420 / 1800, 4),  # ticket 3, 5–9 and ticket 6, 12–15
        "3": 0.5,  # ticket 3, 20–30 clipped to its opening at 25 → 300 of 600 s
        "4": 0.0,  # open, idle
    }


def test_per_service_issue_counts_follow_the_origin(report):
    assert report["services"]["A"]["issued"] == 4
    assert report["services"]["B"]["issued"] == 3
    assert report["services"]["A"]["target_wait_s"] == 600
    assert report["services"]["A"]["wait"]["mean_s"] == 700.0  # 300, 1200, 600


def test_empty_period():
    r = kpi.compute([], period_start=at(0), period_end=at(60))
    o = r["overall"]
    assert o["issued"] == 0 and o["wait"]["count"] == 0 and o["wait"]["mean_s"] is None
    assert o["service_level"] is None and o["no_show_rate"] is None
    assert o["first_contact_resolution"] is None and o["csat"] is None and o["nps"] is None
    assert o["throughput_per_hour"] == 0.0 and r["services"] == {}


def test_nps_extremes():
    b = Branch()
    for tid in (1, 2):
        b.issue(tid, "A", 0).do(tid, 1, "call", counter="1").do(tid, 2, "start", counter="1")
        b.do(tid, 3, "finish", counter="1")
    b.do(1, 4, "rate", rating={"nps": 0}).do(2, 4, "rate", rating={"nps": 6})
    r = kpi.compute(b.events, period_start=at(0), period_end=at(60))
    assert r["overall"]["nps"] == -100.0 and r["overall"]["csat"] is None


def test_events_order_does_not_matter():
    events = scenario().events
    shuffled = list(reversed(events))
    a = kpi.compute(events, period_start=at(0), period_end=at(120), targets=TARGETS)
    b = kpi.compute(shuffled, period_start=at(0), period_end=at(120), targets=TARGETS)
    assert a == b
    assert any(e.action == Action.TRANSFER for e in events)
