"""The wait shown to customers: the branch's queue played forward (servicepoint.domain.waits)."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from servicepoint.domain import estimate, waits
from servicepoint.domain.model import Priority, State, Ticket

T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone.utc)
DEFAULTS = {"A": 300.0, "B": 300.0}


def ticket(tid: int, service: str, minutes_ago: float = 0, priority: str = "normal",
           target: str | None = None) -> Ticket:
    at = T0 - dt.timedelta(minutes=minutes_ago)
    return Ticket(id=tid, number=f"{service}{tid:03d}", service=service, day="2026-03-02", seq=tid,
                  state=State.WAITING, priority=Priority(priority), language="en", issued_at=at,
                  queued_at=at, rank_at=at, target_counter=target)


def queue(waiting=(), counters=(), visits=None, priority_per_hour=None,
          arrivals_per_hour=None) -> waits.BranchQueue:
    steady = {s: (300.0,) * 20 for s in DEFAULTS}
    return waits.BranchQueue(now=T0, waiting=tuple(waiting), counters=tuple(counters),
                             visits=visits if visits is not None else steady,
                             defaults=DEFAULTS, weights={}, priority_per_hour=priority_per_hour or {},
                             arrivals_per_hour=arrivals_per_hour or priority_per_hour or {})


def counter(code: str, *services: str, holding: str | None = None, minutes_ago: float = 0):
    since = T0 - dt.timedelta(minutes=minutes_ago) if holding else None
    return waits.CounterNow(code, services, holding, since)


def test_no_counter_open_promises_no_wait():
    e = waits.estimate(queue([ticket(1, "A")], [counter("1", "B")]), waits.newcomer("A", T0))
    assert e.no_counter and e.uncertain
    assert e.as_dict()["estimated_wait_s"] is None and e.as_dict()["no_counter_open"] is True


def test_an_idle_counter_means_no_wait():
    e = waits.estimate(queue([], [counter("1", "A")]), waits.newcomer("A", T0))
    assert (e.point_s, e.low_s, e.high_s, e.no_counter) == (0, 0, 0, False)


def test_busy_counters_and_people_ahead():
    # Two counters, each 2 minutes into a 5-minute visit (steady history): free in 3 min.
    busy = [counter("1", "A", holding="A", minutes_ago=2), counter("2", "A", holding="A", minutes_ago=2)]
    alone = waits.estimate(queue([], busy), waits.newcomer("A", T0))
    four_ahead = waits.estimate(queue([ticket(i, "A", 5 - i) for i in range(1, 5)], busy),
                                waits.newcomer("A", T0))
    assert 120 <= alone.point_s <= 240 and alone.low_s <= 180 <= alone.high_s
    # Four ahead on two counters: two more rounds of 5 minutes: about 13 min.
    assert 11 * 60 <= four_ahead.point_s <= 14 * 60
    assert four_ahead.low_s <= 13 * 60 <= four_ahead.high_s
    assert four_ahead.low_s < four_ahead.point_s < four_ahead.high_s


def test_tickets_of_other_services_on_shared_counters_count():
    shared = [counter("1", "A", "B", holding="A", minutes_ago=0)]
    # Three B tickets waited longer than the newcomer: the shared counter takes them first.
    with_b = waits.estimate(queue([ticket(i, "B", 10) for i in range(1, 4)], shared),
                            waits.newcomer("A", T0))
    without = waits.estimate(queue([], shared), waits.newcomer("A", T0))
    # Three 5-minute visits more: the range moves up by about 15 minutes.
    assert with_b.point_s >= without.point_s + 2 * 300
    assert with_b.low_s <= 3 * 300 + 300 <= with_b.high_s


def test_a_counter_on_a_break_comes_back():
    mine = ticket(1, "A", 0)
    away = waits.CounterNow("1", ("A",), None, T0 - dt.timedelta(minutes=5), on_break=True)
    # Alone on a break: no counter is open for A.
    assert waits.estimate(queue([mine], [away]), mine).no_counter
    # Beside a busy counter: the one on a break is back in about 10 minutes (a 15-minute
    # break, 5 gone), and it takes the queue if the busy one is still busy then.
    busy = counter("2", "A", holding="A", minutes_ago=0)
    long = {"A": (1800.0,) * 20, "B": ()}
    q = dataclasses.replace(queue([mine], [busy, away], visits=long), break_s=900.0)
    e = waits.estimate(q, mine)
    assert e.low_s <= 600 <= e.high_s and e.point_s < 1800


def test_a_weighted_service_s_newcomers_go_ahead_on_shared_counters():
    shared = [counter("1", "A", "B", holding="A")]
    mine = ticket(1, "A", 0)
    calm = waits.estimate(queue([mine], shared), mine)
    weighted = dataclasses.replace(queue([mine], shared, arrivals_per_hour={"B": 12}),
                                   weights={"A": 1.0, "B": 3.0})
    # B customers arrive every 5 minutes and their waits count triple: one goes first.
    assert waits.estimate(weighted, mine).point_s > calm.point_s + 200
    # So many that the counter never reaches it within the horizon: a long wait, not none.
    flooded = dataclasses.replace(weighted, arrivals_per_hour={"B": 60})
    assert waits.estimate(flooded, mine).point_s >= waits.HORIZON_S / 2


def test_priority_tickets_go_first_and_expected_ones_overtake():
    one = [counter("1", "A", holding="A")]
    mine = ticket(1, "A", 10)
    later_priority = ticket(2, "A", 1, priority="priority")
    assert waits.estimate(queue([mine, later_priority], one), mine).point_s >= 2 * 300 - 60
    calm = waits.estimate(queue([ticket(3, "A", 12), mine], one), mine)
    busy = waits.estimate(queue([ticket(3, "A", 12), mine], one, priority_per_hour={"A": 4}), mine)
    assert busy.point_s > calm.point_s
    # A priority ticket itself is not overtaken by priority arrivals.
    prio = ticket(4, "A", 0, priority="priority")
    assert (waits.estimate(queue([prio], one, priority_per_hour={"A": 4}), prio)
            == waits.estimate(queue([prio], one), prio))


def test_a_ticket_sent_to_a_named_counter_waits_for_that_counter():
    sent = ticket(1, "A", 0, target="2")
    assert waits.estimate(queue([sent], [counter("1", "A")]), sent).no_counter
    assert waits.estimate(queue([sent], [counter("1", "A"), counter("2", "B")]), sent).point_s == 0


def test_a_few_very_short_visits_do_not_drag_the_estimate_down():
    # Four start→finish clicks after twenty 5-minute visits: the moving average of old
    # fell to about 2 minutes; the clipped mean stays near 5.
    clicks = [300.0] * 20 + [2.0] * 4
    assert estimate.service_time_stats(clicks).mean < 150
    assert waits.typical_visit(clicks, 300) > 260
    # Quick clicks only: the floor (a quarter of the default) holds.
    assert waits.typical_visit([1.0] * 30, 300) >= 75
    # No history: the default; little history leans on it.
    assert waits.typical_visit([], 240) == 240
    assert 240 < waits.typical_visit([600.0, 600.0], 240) < 600
    # A lot of history follows what happens.
    assert waits.typical_visit([600.0] * 40, 240) == pytest.approx(600, rel=0.05)


def test_rest_of_a_visit_from_longer_visits():
    recent = [100.0, 200.0, 300.0, 400.0, 500.0]
    assert waits.rest_of_visit(recent, 300, 0) == pytest.approx(300)
    assert waits.rest_of_visit(recent, 300, 250) == pytest.approx(150)  # 300, 400, 500 left
    assert waits.rest_of_visit(recent, 300, 1000) == pytest.approx(60)  # past all: soon


def test_range_narrows_relatively_with_more_visits_ahead():
    one = [counter("1", "A", holding="A", minutes_ago=0)]
    varied = {"A": tuple([100.0, 500.0] * 10), "B": ()}
    short = waits.estimate(queue([ticket(1, "A", 1)], one, visits=varied), waits.newcomer("A", T0))
    long = waits.estimate(queue([ticket(i, "A", 30 - i) for i in range(1, 20)], one, visits=varied),
                          waits.newcomer("A", T0))
    assert short.high_s / max(short.point_s, 60) > long.high_s / long.point_s
    for e in (short, long):
        assert e.low_s <= e.point_s <= e.high_s


def test_little_history_is_uncertain():
    one = [counter("1", "A", holding="A")]
    e = waits.estimate(queue([ticket(1, "A", 1)], one, visits={"A": (), "B": ()}),
                       waits.newcomer("A", T0))
    assert e.uncertain and e.is_range


def test_the_newcomer_is_behind_everyone_of_its_class():
    n = waits.newcomer("A", T0)
    assert n.state == State.WAITING and n.priority == Priority.NORMAL
    assert dataclasses.replace(n, id=None).service == "A"


class _EveryTicketRanked(waits._Lines):
    """The play's reference: rank every waiting ticket a counter may call, at each step."""

    def pop_next(self, counter, when):
        from servicepoint.domain.routing import rank_key

        pool = [(rank_key(e[-1], when, self.weights), key, e)
                for key, line in self.lines.items() for e in line
                if (e[-1].target_counter == counter.code if e[-1].target_counter
                    else e[-1].service in counter.services)]
        if not pool:
            return None
        _, key, entry = min(pool, key=lambda p: p[0])
        self.lines[key].remove(entry)
        import heapq

        heapq.heapify(self.lines[key])
        return entry[-1]


def test_the_play_calls_whom_routing_would_call(monkeypatch):
    """Per-service lines give the very estimates of ranking every ticket at every step,
    with weights, priorities, tickets sent to a counter and expected arrivals."""
    import random

    rng = random.Random(7)
    for _ in range(60):
        waiting = []
        for i in range(1, rng.randint(1, 40)):
            service = rng.choice("AB")
            waiting.append(ticket(i, service, minutes_ago=rng.uniform(0, 60),
                                  priority=rng.choice(["normal"] * 4 + ["priority", "appointment"]),
                                  target=rng.choice([None] * 6 + ["1", "2"])))
        counters = [counter("1", "A", holding=rng.choice([None, "A"]), minutes_ago=2),
                    counter("2", "A", "B"), counter("3", "B", holding="B", minutes_ago=1)]
        q = dataclasses.replace(queue(waiting, counters, arrivals_per_hour={"A": 12, "B": 20},
                                      priority_per_hour={"A": 3}),
                                weights={"A": 1.0, "B": rng.choice([0.5, 1.0, 2.0])})
        probes = [*rng.sample(waiting, min(5, len(waiting))),
                  waits.newcomer(rng.choice("AB"), T0),
                  waits.newcomer("A", T0, Priority.PRIORITY)]
        fast = [waits.estimate(q, t) for t in probes]
        with monkeypatch.context() as m:
            m.setattr(waits, "_Lines", _EveryTicketRanked)
            slow = [waits.estimate(q, t) for t in probes]
        assert fast == slow


def test_one_play_for_many_tickets_gives_each_its_own_estimate():
    """``estimate_many`` (one play per kind of ticket, for the phones following tickets)
    says exactly what ``estimate`` says ticket by ticket."""
    import random

    rng = random.Random(11)
    for _ in range(40):
        waiting = [ticket(i, rng.choice("AB"), minutes_ago=rng.uniform(0, 90),
                          priority=rng.choice(["normal"] * 5 + ["priority", "appointment"]),
                          target=rng.choice([None] * 8 + ["2"]))
                   for i in range(1, rng.randint(2, 50))]
        counters = [counter("1", "A", holding="A", minutes_ago=rng.uniform(0, 9)),
                    counter("2", "A", "B"), counter("3", "B", holding="B", minutes_ago=3)]
        if rng.random() < 0.3:
            counters.append(waits.CounterNow("4", ("B",), None, T0, on_break=True))
        if rng.random() < 0.5:  # one leaves for its usual break before long
            counters[1] = dataclasses.replace(counters[1], break_in=rng.uniform(0, 1800))
        q = dataclasses.replace(queue(waiting, counters, arrivals_per_hour={"A": 9, "B": 30},
                                      priority_per_hour={"B": 4}), weights={"B": 1.5})
        probes = [*waiting, waits.newcomer("A", T0), waits.newcomer("B", T0, Priority.PRIORITY)]
        assert waits.estimate_many(q, probes) == [waits.estimate(q, t) for t in probes]


def test_a_counter_leaves_for_its_usual_break_when_next_free():
    mine = ticket(3, "A", 0)
    ahead = [ticket(1, "A", 5), ticket(2, "A", 4)]
    visits = {"A": (300.0,) * 20, "B": ()}
    busy = [counter("1", "A", holding="A"), counter("2", "A", holding="A")]
    q = dataclasses.replace(queue([*ahead, mine], busy, visits=visits), break_s=1800.0)
    calm = waits.estimate(q, mine)
    # Counter 2 usually goes on its break in two minutes: it finishes its customer,
    # leaves for half an hour, and counter 1 alone takes the two ahead before this one.
    leaving = dataclasses.replace(busy[1], break_in=120.0)
    q_break = dataclasses.replace(q, counters=(busy[0], leaving))
    later = waits.estimate(q_break, mine)
    assert later.point_s > calm.point_s + 200
    # A break expected beyond the horizon changes nothing.
    far = dataclasses.replace(busy[1], break_in=waits.HORIZON_S + 1)
    assert waits.estimate(dataclasses.replace(q, counters=(busy[0], far)), mine) == calm
