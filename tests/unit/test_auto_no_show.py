"""The branch's "auto no-show after N recalls" rule, on plain values."""
from __future__ import annotations

import datetime as dt

from servicepoint.domain import lifecycle
from servicepoint.domain.model import Action, State

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)


def _called():
    ticket, _ = lifecycle.issue(service="A", prefix="A", day="2026-03-02", seq=1, at=T0,
                                ticket_id=1)
    ticket, _ = lifecycle.apply(ticket, Action.CALL, T0, counter="1")
    return ticket


def test_the_recall_after_the_limit_is_a_no_show():
    t = _called()
    for n in (1, 2):
        t, ev = lifecycle.apply(t, Action.RECALL, T0, counter="1", max_recalls=2)
        assert t.state == State.CALLED and ev.action == Action.RECALL and t.recalls == n
    t, ev = lifecycle.apply(t, Action.RECALL, T0, counter="1", max_recalls=2)
    assert t.state == State.NO_SHOW and t.counter is None
    assert ev.action == Action.NO_SHOW and ev.data == {"reason": "max_recalls"}


def test_without_a_limit_recalls_go_on():
    t = _called()
    for _ in range(1, 8):
        t, _ = lifecycle.apply(t, Action.RECALL, T0, counter="1", max_recalls=0)
    assert t.state == State.CALLED and t.recalls == 7
