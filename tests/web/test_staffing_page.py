"""/manager/staffing through the Flask test client: history, Erlang C, the simulator's check."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.fixtures import T0, TIMEZONE
from tests.support.history import write_days
from tests.support.web import db, sign_in


@pytest.fixture
def manager_client(client):
    sign_in(client, "manager")
    return client


@pytest.fixture
def with_history(app):
    conn = db(app)
    try:
        write_days(conn, T0.date() - dt.timedelta(days=28), 28, 120, tz=TIMEZONE)
    finally:
        conn.close()


def test_needs_a_manager(client):
    assert client.get("/manager/staffing").status_code in (302, 401)
    sign_in(client, "staff")
    assert client.get("/manager/staffing").status_code == 403


def test_without_history_says_there_is_nothing_to_plan_from(manager_client):
    html = manager_client.get("/manager/staffing").get_data(as_text=True)
    assert 'id="st-empty"' in html and 'id="st-table"' not in html


def test_hour_profile_from_history(manager_client, with_history):
    # T0 is a Monday; the last four Mondays are in the history.
    r = manager_client.get("/manager/staffing?weekday=0&weeks=4")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "(4 of them with tickets)" in html
    hours = re.findall(r'<tr class="[^"]*" data-hour="(\d+)"', html)
    assert hours and all(9 <= int(h) <= 17 for h in hours)
    needed = [int(n) for n in re.findall(r'<strong class="needed">(\d+)</strong>', html)]
    assert needed and all(n >= 1 for n in needed)
    # The busiest hour is chosen, and each service there has its choices.
    assert 'id="st-card-A"' in html and "needed</span>" in html
    # A Sunday has no history.
    assert 'id="st-empty"' in manager_client.get("/manager/staffing?weekday=6").get_data(as_text=True)


@pytest.mark.parametrize("query", ["weekday=7", "weekday=x", "weeks=0", "weeks=99", "hour=24",
                                   "simulate=Z"])
def test_bad_arguments_are_a_400(manager_client, with_history, query):
    assert manager_client.get(f"/manager/staffing?{query}").status_code == 400


def test_the_simulator_checks_one_service(manager_client, with_history):
    html = manager_client.get("/manager/staffing?weekday=0&weeks=4&simulate=B").get_data(as_text=True)
    result = re.search(r'id="st-sim-B">([^<]+)<', html)
    assert result and result.group(1).startswith("Simulated with ")
    assert 'id="st-sim-A"' not in html
