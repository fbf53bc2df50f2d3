"""GET /api/v1/stats: KPIs of a morning played through the API with a fixed clock."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from tests.fixtures import T0
from tests.support.web import assert_error


class Morning:
    """Drive the API as the branch would, moving the fixed clock between steps."""

    def __init__(self, client, clock, headers):
        self.client, self.clock, self.headers = client, clock, headers

    def at(self, seconds: int) -> "Morning":
        self.clock.set(T0 + dt.timedelta(seconds=seconds))
        return self

    def issue(self, service: str) -> int:
        r = self.client.post("/api/v1/tickets", json={"service": service})
        assert r.status_code == 201
        return r.get_json()["id"]

    def call(self, counter: str) -> int:
        r = self.client.post(f"/api/v1/counters/{counter}/call-next", headers=self.headers)
        assert r.status_code == 200, r.get_json()
        return r.get_json()["ticket"]["id"]

    def do(self, tid: int, action: str, **body):
        r = self.client.post(f"/api/v1/tickets/{tid}/{action}", json=body, headers=self.headers)
        assert r.status_code == 200, r.get_json()

    def counter(self, counter: str, move: str):
        r = self.client.post(f"/api/v1/counters/{counter}/{move}", headers=self.headers)
        assert r.status_code == 200, r.get_json()


def play(client, clock, headers, close_counters: bool = True) -> dict:
    """09:00 UTC (10:00 Madrid), 2 March 2026. Targets: A 600 s, B 300 s, C 900 s.

    0 s    A001 issued            60 s   A002, B001 issued
    120 s  counter 1 calls A001 (A001 waited 120; B001's 60 s × 1.5 = 90 effective)
    180 s  start A001             480 s  finish A001 (resolved) — 300 s of service
    480 s  counter 1 calls B001 (waited 420 s > 300 target; A002's 420 × 1 < 420 × 1.5)
    540 s  no-show B001           540 s  counter 1 calls A002 (waited 480 s)
    600 s  start A002             900 s  transfer A002 → C (300 s of service)
    960 s  counter 3 calls A002 (new segment: 60 s)
    1020 s start                  1320 s finish (follow-up)
    1400 s counters 1 and 3 close
    """
    m = Morning(client, clock, headers)
    a1 = m.at(0).issue("A")
    a2 = m.at(60).issue("A")
    b1 = m.issue("B")
    assert m.at(120).call("1") == a1
    m.at(180).do(a1, "start")
    m.at(480).do(a1, "finish", outcome="resolved")
    assert m.call("1") == b1
    m.at(540).do(b1, "no-show")
    assert m.call("1") == a2
    m.at(600).do(a2, "start")
    m.at(900).do(a2, "transfer", service="C")
    assert m.at(960).call("3") == a2
    m.at(1020).do(a2, "start")
    m.at(1320).do(a2, "finish", outcome="follow_up")
    if close_counters:
        m.at(1400).counter("1", "close")
        m.counter("3", "close")
    return {"a1": a1, "a2": a2, "b1": b1}


def test_stats_json_matches_the_morning(client, clock, manager):
    play(client, clock, manager)
    r = client.get("/api/v1/stats", headers=manager)
    assert r.status_code == 200
    data = r.get_json()
    # "today" is the branch's local day by the app's clock: 2 March in Madrid (UTC+1)
    assert data["from"] == "2026-03-01T23:00:00+00:00" and data["to"] == "2026-03-02T23:00:00+00:00"
    o = data["overall"]
    assert o["issued"] == 3 and o["finished"] == 2
    # waits: A001 120, B001 420, A002 480 (in A) and 60 (in C)
    assert o["wait"] == {"count": 4, "mean_s": 270.0, "median_s": 270.0, "p90_s": 480.0,
                         "max_s": 480.0}
    assert o["service_time"]["count"] == 3 and o["service_time"]["mean_s"] == 300.0
    assert o["service_level"] == 0.75  # B001 missed its 300 s target
    assert o["no_show_rate"] == round(1 / 3, 4)  # B001 of A001, B001, A002
    assert o["first_contact_resolution"] == 0.5  # A002 was transferred
    # per hour with a counter open (#10): counters 1 (120 → 1400 s) and 3 (960 → 1400 s) overlap
    assert o["throughput_per_hour"] == round(2 / (1280 / 3600), 2) and o["open_hours"] == 0.36
    # Counter 1 open 120 → 1400 s, serving 300 + 300; counter 3 open 960 → 1400, serving 300.
    assert o["counter_utilisation"] == {"1": round(600 / 1280, 4), "3": round(300 / 440, 4)}
    s = data["services"]
    assert set(s) == {"A", "B", "C"}
    assert (s["A"]["issued"], s["A"]["finished"], s["A"]["wait"]["mean_s"],
            s["A"]["service_level"], s["A"]["target_wait_s"]) == (2, 1, 300.0, 1.0, 600)
    assert (s["B"]["issued"], s["B"]["no_show_rate"], s["B"]["service_level"]) == (1, 1.0, 0.0)
    assert (s["C"]["issued"], s["C"]["finished"], s["C"]["first_contact_resolution"],
            s["C"]["wait"]["mean_s"]) == (0, 1, 0.0, 60.0)


def test_stats_csv(client, clock, manager):
    play(client, clock, manager)
    r = client.get("/api/v1/stats?format=csv&from=2026-03-02&to=2026-03-02", headers=manager)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    by = {row["service"]: row for row in rows}
    assert list(by) == ["A", "B", "C", "ALL"]
    assert by["ALL"]["issued"] == "3" and by["ALL"]["finished"] == "2"
    assert by["ALL"]["wait_mean_s"] == "270.0" and by["ALL"]["service_level"] == "0.75"
    assert by["ALL"]["no_show_rate"] == "0.3333" and by["ALL"]["first_contact_resolution"] == "0.5"
    assert by["B"]["no_show_rate"] == "1.0" and by["B"]["target_wait_s"] == "300"
    assert by["C"]["wait_p90_s"] == "60.0" and by["A"]["service_time_mean_s"] == "300.0"


def test_stats_for_another_day_are_empty(client, clock, manager):
    play(client, clock, manager)
    r = client.get("/api/v1/stats?from=2026-03-03&to=2026-03-03", headers=manager)
    o = r.get_json()["overall"]
    assert o["issued"] == 0 and o["wait"]["count"] == 0 and o["service_level"] is None


def test_stats_with_iso_period(client, clock, manager):
    play(client, clock, manager)
    # Only tickets issued in the first 30 s: A001.
    r = client.get("/api/v1/stats?from=2026-03-02T09:00:00%2B00:00&to=2026-03-02T09:00:30%2B00:00",
                   headers=manager)
    o = r.get_json()["overall"]
    assert o["issued"] == 1 and o["wait"]["mean_s"] == 120.0 and o["finished"] == 1


@pytest.mark.parametrize("query", ["from=yesterday", "from=2026-02-30", "to=2026-03-01",
                                   "from=2026-03-02T10:00:00", "from=2025-01-01&to=2026-03-02",
                                   "format=xml", "from=2026-03-02&to=2026-03-01"])
def test_bad_stats_parameters_are_400(client, manager, query):
    assert_error(client.get(f"/api/v1/stats?{query}", headers=manager), 400)


def test_stats_far_future_date_is_400_not_500(client, manager):
    assert_error(client.get("/api/v1/stats?from=9999-12-30&to=9999-12-31", headers=manager), 400)


def test_utilisation_of_a_counter_still_open_uses_the_app_clock(client, clock, manager):
    play(client, clock, manager, close_counters=False)
    clock.set(T0 + dt.timedelta(seconds=1400))
    o = client.get("/api/v1/stats", headers=manager).get_json()["overall"]
    assert o["counter_utilisation"] == {"1": round(600 / 1280, 4), "3": round(300 / 440, 4)}


def test_a_signed_in_manager_opens_stats_in_the_browser(client, clock, manager):
    """#10: a GET changes nothing, so a browser session needs no CSRF header for it."""
    from tests.support.web import sign_in

    play(client, clock, manager)
    sign_in(client, "manager")
    r = client.get("/api/v1/stats")
    assert r.status_code == 200 and r.get_json()["overall"]["issued"] == 3


def test_stats_filters_narrow_the_figures(client, clock, manager):
    play(client, clock, manager)
    a = client.get("/api/v1/stats?service=A", headers=manager).get_json()
    assert list(a["services"]) == ["A"] and a["overall"]["issued"] == 2
    assert a["filters"] == {"service": "A", "counter": None, "staff": None}
    three = client.get("/api/v1/stats?counter=3", headers=manager).get_json()["overall"]
    # counter 3 called only A002's second segment (60 s) and finished it
    assert three["wait"]["count"] == 1 and three["wait"]["mean_s"] == 60.0
    assert three["finished"] == 1 and three["counter_utilisation"] == {"3": round(300 / 440, 4)}
    assert client.get("/api/v1/stats?counter=1&service=B",
                      headers=manager).get_json()["overall"]["no_shows"] == 1


@pytest.mark.parametrize("query", ["service=Z", "counter=99", "staff=nobody", "service=" + "A" * 500])
def test_unknown_filters_are_400(client, manager, query):
    assert_error(client.get(f"/api/v1/stats?{query}", headers=manager), 400)


def test_csv_seconds_are_rounded_to_a_tenth(client, clock, manager):
    m = Morning(client, clock, manager)
    tid = m.at(0).issue("A")
    clock.set(T0 + dt.timedelta(seconds=100, microseconds=123456))
    assert m.call("1") == tid
    m.at(200).do(tid, "start")
    m.at(300).do(tid, "finish")
    rows = list(csv.DictReader(io.StringIO(client.get(
        "/api/v1/stats?format=csv", headers=manager).get_data(as_text=True))))
    assert rows[-1]["wait_mean_s"] == "100.1" and rows[-1]["wait_p90_s"] == "100.1"
