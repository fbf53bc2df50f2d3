"""What-if staffing from an hour profile: counters needed per service and hour (Erlang C)."""
from __future__ import annotations

import math

import pytest

from servicepoint.domain import erlang, staffing

A = staffing.ServiceGoal("A", target_s=600, goal=0.8, visit_s=300)
B = staffing.ServiceGoal("B", target_s=120, goal=0.9, visit_s=180)


def test_the_answer_is_the_fewest_counters_meeting_the_goal():
    cell = staffing.cell(A, 10, 30.0)  # 30 an hour × 5 min = 2.5 erlangs
    assert cell.load == pytest.approx(2.5)
    assert cell.needed == erlang.counters_needed(30 / 3600, 300, 600, 0.8) == 4
    assert [c.counters for c in cell.choices] == [3, 4, 5, 6]
    three, four = cell.choices[0], cell.answer
    # Three keep up (2.5 erlangs) but call too few within ten minutes; four do.
    assert three.mean_wait_s < math.inf and not three.meets_goal
    assert four.meets_goal and four.service_level >= 0.8 > three.service_level
    assert four.mean_wait_s == pytest.approx(erlang.mean_wait_s(4, 30 / 3600, 300))
    two = staffing.choice(A, 30.0, 2)
    assert two.mean_wait_s == math.inf and two.service_level == 0  # 2 < 2.5 erlangs
    waits = [c.mean_wait_s for c in cell.choices]
    assert waits == sorted(waits, reverse=True)  # more counters, shorter waits


def test_a_stricter_goal_needs_more_counters():
    loose = staffing.cell(staffing.ServiceGoal("B", 600, 0.8, 180), 10, 40.0)
    strict = staffing.cell(B, 10, 40.0)
    assert strict.needed > loose.needed


def test_plan_covers_the_hours_with_arrivals_and_finds_the_busiest():
    table = staffing.plan([A, B], {"A": {9: 10.0, 13: 30.0}, "B": {9: 5.0, 12: 0.0}})
    assert list(table) == [9, 13]
    assert table[13]["B"].arrivals_per_hour == 0 and table[13]["B"].needed == 0
    assert staffing.busiest_hour(table) == 13
    assert staffing.busiest_hour({}) is None


def test_an_impossible_load_has_no_answer():
    cell = staffing.cell(A, 9, 3600.0)  # 300 erlangs, more than the limit of 60 counters
    assert cell.needed is None and cell.answer is None
