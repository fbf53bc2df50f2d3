"""Wait estimates: default without history, EWMA, ranges, rounding, closed counters."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from servicepoint.domain import estimate as est


def stats_of(values):
    s = est.service_time_stats(values)
    assert s is not None
    return s


# -- the moving average ----------------------------------------------------------

def test_no_history_gives_no_stats():
    assert est.service_time_stats([]) is None
    assert est.service_time_stats([None, -5, -0.1]) is None


def test_ewma_by_hand():
    # mean: 100 → 100 + 0.2·100 = 120; var: 0.8·(0 + 100·20) = 1600 → std 40
    s = est.service_time_stats([100, 200])
    assert (s.mean, s.std, s.n) == (pytest.approx(120.0), pytest.approx(40.0), 2)
    # third value 120: diff 0 → mean stays, var 0.8·1600 = 1280
    s = est.service_time_stats([100, 200, 120])
    assert s.mean == pytest.approx(120.0) and s.std == pytest.approx(math.sqrt(1280))


def test_ewma_weighs_recent_visits_more():
    slow_then_fast = stats_of([600] * 10 + [120] * 10)
    fast_then_slow = stats_of([120] * 10 + [600] * 10)
    assert slow_then_fast.mean < 200 < 500 < fast_then_slow.mean
    # A plain mean would be 360 for both.


def test_ewma_of_a_constant_has_no_spread():
    s = stats_of([240.0] * 8)
    assert s.mean == pytest.approx(240.0) and s.std == pytest.approx(0.0) and s.n == 8


def test_negative_durations_are_ignored():
    assert stats_of([100, -50, 200, None]) == stats_of([100, 200])


def test_alpha_one_follows_the_last_value():
    assert est.service_time_stats([100, 300, 50], alpha=1.0).mean == pytest.approx(50.0)


# -- the estimate ------------------------------------------------------------------

def test_no_history_uses_the_default_and_is_a_range():
    e = est.estimate_wait(3, None, 1, 240)
    # 3 × 240 = 720 s; ±50 % per person → 360..1080
    assert (e.point_s, e.low_s, e.high_s, e.uncertain) == (720, 360, 1080, True)
    assert e.is_range and e.minutes == 12
    assert e.as_dict() == {"estimated_wait_s": 720, "estimated_wait_low_s": 360,
                           "estimated_wait_high_s": 1080, "estimate_uncertain": True,
                           "no_counter_open": False}


def test_little_history_is_still_uncertain_but_uses_what_it_saw():
    few = stats_of([60, 60, 60])  # n = 3 < MIN_SAMPLES
    e = est.estimate_wait(4, few, 1, 600)
    assert e.uncertain and e.point_s == 240 and (e.low_s, e.high_s) == (120, 360)


def test_enough_steady_history_gives_a_certain_point():
    steady = stats_of([300] * est.MIN_SAMPLES)
    e = est.estimate_wait(2, steady, 1, 60)
    assert (e.point_s, e.low_s, e.high_s, e.uncertain) == (600, 600, 600, False)
    assert not e.is_range


def test_open_counters_divide_the_wait():
    steady = stats_of([300] * 10)
    assert est.estimate_wait(6, steady, 1, 60).point_s == 1800
    assert est.estimate_wait(6, steady, 2, 60).point_s == 900
    assert est.estimate_wait(6, steady, 3, 60).point_s == 600


def test_spread_grows_with_the_square_root_of_people_ahead():
    varied = stats_of([100, 200] * 10)
    one = est.estimate_wait(1, varied, 1, 60)
    many = est.estimate_wait(16, varied, 1, 60)
    assert not one.uncertain
    assert many.high_s - many.low_s > one.high_s - one.low_s
    # 16 people: ±4 std; with std ≈ 51 that is about ±204 s, not ±16 std (≈ ±816 s)
    assert many.high_s - many.point_s <= 5 * 60


def test_zero_open_counters_assumes_one_and_is_uncertain():
    steady = stats_of([300] * 10)
    closed = est.estimate_wait(4, steady, 0, 60)
    assert closed.uncertain
    assert closed.point_s == est.estimate_wait(4, steady, 1, 60).point_s == 1200
    assert closed.low_s <= 600 and closed.high_s >= 1800  # at least ±50 %
    assert est.estimate_wait(4, steady, -2, 60).point_s == 1200


@pytest.mark.parametrize(("mean", "point"), [(60, 60), (61, 120), (119.5, 120), (1, 60),
                                             (0.0001, 60)])
def test_rounded_up_to_the_minute(mean, point):
    steady = stats_of([mean] * 10)
    assert est.estimate_wait(1, steady, 1, 60).point_s == point


def test_nobody_ahead_means_no_wait():
    e = est.estimate_wait(0, None, 2, 300)
    assert (e.point_s, e.low_s, e.high_s) == (0, 0, 0)


def test_never_negative():
    e = est.estimate_wait(-5, None, 1, 300)
    assert (e.point_s, e.low_s, e.high_s) == (0, 0, 0)


@settings(max_examples=200, deadline=None, database=None)
@given(ahead=st.integers(-3, 200),
       history=st.none() | st.lists(st.floats(0, 3600, allow_nan=False), max_size=30),
       counters=st.integers(-1, 8), default=st.integers(1, 1800))
def test_estimate_properties(ahead, history, counters, default):
    stats = None if history is None else est.service_time_stats(history)
    e = est.estimate_wait(ahead, stats, counters, default)
    assert 0 <= e.low_s <= e.point_s <= e.high_s
    assert e.point_s % 60 == e.low_s % 60 == e.high_s % 60 == 0
    mean = stats.mean if stats is not None else default
    raw = max(0, ahead) * mean / max(1, counters)
    assert raw - 1e-6 <= e.point_s < raw + 60  # up to the minute (within float noise)
    if stats is None or stats.n < est.MIN_SAMPLES or counters <= 0:
        assert e.uncertain
