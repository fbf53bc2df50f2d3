"""Report KPIs from ticket summaries, on hand-made event logs with answers worked out by hand.

The scenario is test_kpi's seven visits (transfers, recalls, a no-show, long and
short abandons, one ticket still waiting past its target at the period's end);
the report is built the way the server builds it, from per-ticket summaries.
"""
from __future__ import annotations

import datetime as dt
import math
import random

import pytest

from servicepoint.domain import kpi
from servicepoint.domain import report as rep
from servicepoint.domain.summary import RATIO, Hist, bucket_of, summarise_ticket
from tests.unit.test_kpi import OPEN, TARGETS, Branch, at, scenario

SPANS = [rep.OpenSpan(c, "", s, e) for c, periods in OPEN.items() for s, e in periods]


def build(events, now, filters=None, spans=SPANS) -> dict:
    filters = filters or rep.Filters()
    facts = rep.Facts()
    by_ticket: dict = {}
    for ev in events:
        by_ticket.setdefault(ev.ticket_id, []).append(ev)
    for evs in by_ticket.values():
        s = summarise_ticket(evs, TARGETS, now=now)
        for key, t in s.totals.items():
            if filters.matches(key):
                facts.by_key.setdefault(key, rep.Totals()).add(t)
        for kind, values in (("wait", s.waits), ("service", s.services)):
            for key, seconds in values:
                if filters.matches(key):
                    facts.hists.setdefault((kind, key[0]), Hist()).add(seconds)
    return rep.build(facts, spans, filters, {"A": {"target_wait_s": 600}, "B": {"target_wait_s": 300}})


@pytest.fixture
def report():
    return build(scenario().events, now=at(120))


def test_waits_and_service_times(report):
    o = report["overall"]
    # waits 300 (recalls do not extend it), 1200, 120, 600 (after the transfer), 60
    assert o["wait"] == {"count": 5, "mean_s": 456.0, "median_s": 300.0, "p90_s": 1200.0,
                         "max_s": 1200.0}
    assert o["service_time"]["count"] == 4 and o["service_time"]["mean_s"] == 405.0
    assert o["issued"] == 7 and o["finished"] == 3 and o["cancelled"] == 2
    assert o["transfers"] == 1 and o["recalls"] == 2 and o["no_shows"] == 1


def test_service_level_counts_a_ticket_still_waiting_past_target(report):
    # hits 1, 3/B, 3/A, 6; misses 2, cancelled 4, and 7 still waiting (108 min > 300 s)
    assert report["overall"]["service_level"] == round(4 / 7, 4)
    assert report["services"]["A"]["service_level"] == 0.5
    assert report["services"]["B"]["service_level"] == round(2 / 3, 4)
    early = build(scenario().events, now=at(16))  # 7 has waited 4 min: not yet a miss
    assert early["services"]["B"]["service_level"] == 1.0


def test_no_shows_throughput_resolution_ratings(report):
    o = report["overall"]
    assert o["no_show_rate"] == 0.25  # tickets 1, 2, 3, 6 called; 2 did not come
    assert report["services"]["A"]["no_show_rate"] == round(1 / 3, 4)
    assert o["throughput_per_hour"] == 3.0 and o["open_hours"] == 1.0
    assert o["first_contact_resolution"] == round(1 / 3, 4)  # 3 was transferred
    assert o["csat"] == 0.5 and o["nps"] == 33.3 and o["ratings"] == {"csat": 2, "nps": 3}


def test_utilisation_per_counter(report):
    assert report["overall"]["counter_utilisation"] == {
        "1": round(600 / 3600, 4), "2": round(420 / 1800, 4),
        "3": 1.0,  # served 20–30 but opened at 25: never more than the open time
        "4": 0.0}


def test_agrees_with_the_direct_computation(report):
    direct = kpi.compute(scenario().events, period_start=at(0), period_end=at(120),
                         targets=TARGETS, open_periods=OPEN)
    for name in ("wait", "service_level", "no_show_rate", "first_contact_resolution", "csat",
                 "nps", "issued", "finished", "throughput_per_hour"):
        assert report["overall"][name] == direct["overall"][name], name
    for svc in ("A", "B"):
        for name in ("wait", "service_level", "no_show_rate", "issued", "finished"):
            assert report["services"][svc][name] == direct["services"][svc][name], (svc, name)


def test_park_and_requeue_with_staff_and_counter_filters():
    b = Branch().issue(1, "A", 0)
    b.do(1, 5, "call", counter="1", staff="ana").do(1, 6, "requeue", counter="1", staff="ana")
    b.do(1, 10, "call", counter="2", staff="ben").do(1, 11, "start", counter="2", staff="ben")
    b.do(1, 12, "park", counter="2", staff="ben").do(1, 20, "call", counter="2", staff="ben")
    b.do(1, 21, "start", counter="2", staff="ben").do(1, 25, "finish", counter="2", staff="ben")
    spans = [rep.OpenSpan("1", "ana", at(0), at(30)), rep.OpenSpan("2", "ben", at(0), at(30))]
    r = build(b.events, now=at(30), spans=spans)
    # segments: 0→5 (called by ana at 1), 6→10 (ben at 2); the park's call starts none
    assert r["overall"]["wait"]["count"] == 2 and r["overall"]["wait"]["mean_s"] == 270.0
    assert r["overall"]["service_time"]["count"] == 2  # 11–12 and 21–25
    assert r["staff"]["ben"]["service_mean_s"] == 150.0
    assert r["overall"]["staff_utilisation"] == {"ana": 0.0, "ben": round(300 / 1800, 4)}
    ana = build(b.events, now=at(30), filters=rep.Filters(staff="ana"), spans=spans)
    assert ana["overall"]["wait"] == {"count": 1, "mean_s": 300.0, "median_s": 300.0,
                                      "p90_s": 300.0, "max_s": 300.0}
    assert ana["overall"]["finished"] == 0 and ana["overall"]["throughput_per_hour"] == 0.0
    two = build(b.events, now=at(30), filters=rep.Filters(counter="2"), spans=spans)
    assert two["overall"]["finished"] == 1 and two["overall"]["throughput_per_hour"] == 2.0


def test_a_no_show_after_recalls():
    b = Branch().issue(1, "B", 0)
    b.do(1, 2, "call", counter="1").do(1, 3, "recall", counter="1").do(1, 4, "no_show", counter="1")
    r = build(b.events, now=at(10))
    o = r["overall"]
    assert (o["no_show_rate"], o["recalls"], o["wait"]["mean_s"], o["service_level"]) == (
        1.0, 1, 120.0, 1.0)


def test_histogram_percentiles_are_within_one_percent():
    rng = random.Random(7)
    values = [rng.expovariate(1 / 400) for _ in range(5000)]
    h = Hist()
    for v in values:
        h.add(v)
    ordered = sorted(values)
    for q in (0.5, 0.9, 0.95):
        exact = ordered[int(round(q * (len(values) - 1)))]
        assert abs(h.quantile(q) - exact) <= 0.01 * exact + 0.5
    merged = Hist().merge(h).merge(h)
    assert merged.count == 10000 and merged.quantile(0.9) == h.quantile(0.9)


def test_buckets_are_one_percent_wide():
    assert bucket_of(0.2) == 0 and bucket_of(1.0) == 1
    for v in (1.5, 60.0, 3599.0, 86400.0):
        b = bucket_of(v)
        lo, hi = math.exp((b - 1) * math.log(RATIO)), math.exp(b * math.log(RATIO))
        assert lo <= v * (1 + 1e-12) and v < hi * (1 + 1e-12)


def test_open_spans_from_counter_events():
    t = dt.datetime(2026, 3, 2, 9, tzinfo=dt.timezone.utc)
    rows = [("1", "open", t, "ana"), ("1", "break", t + dt.timedelta(minutes=30), "ana"),
            ("1", "resume", t + dt.timedelta(minutes=40), "ana"), ("2", "open", t, "ben")]
    spans = rep.open_spans(rows, t, t + dt.timedelta(hours=8), now=t + dt.timedelta(hours=1))
    assert [(s.counter, s.staff, s.seconds) for s in spans] == [
        ("1", "ana", 1800.0), ("1", "ana", 1200.0), ("2", "ben", 3600.0)]
    assert rep.union_seconds(spans) == 3600.0


def test_totals_add_every_field():
    from servicepoint.domain.summary import COUNTS, FIELDS, MAXIMA, Totals

    one = Totals.from_values([1] * len(FIELDS))
    two = Totals.from_values([1] * len(FIELDS)).add(one)
    assert all(getattr(two, f) == 2 for f in COUNTS)
    assert all(getattr(two, f) == 1 for f in MAXIMA)  # maxima keep the larger, not the sum
