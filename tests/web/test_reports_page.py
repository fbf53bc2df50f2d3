"""The reports page (/manager/reports): KPIs, SVG charts, filters and CSV exports."""
from __future__ import annotations

import csv
import io
import re

import pytest

from tests.support.web import assert_error, sign_in
from tests.web.test_api_stats import play


@pytest.fixture
def manager_client(client, clock, manager):
    play(client, clock, manager)
    sign_in(client, "manager")
    return client


def rows(response) -> list[dict]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_page_shows_kpis_and_labelled_charts(manager_client):
    html = manager_client.get("/manager/reports?preset=today").get_data(as_text=True)
    assert 'id="r-kpi-table"' in html and 'id="r-service-B"' in html
    svgs = re.findall(r"<svg[^>]*role=\"img\"[^>]*>\s*<title[^>]*>([^<]+)</title>", html)
    assert "Mean wait per day" in svgs and "Distribution of waits" in svgs
    assert "Arrivals by weekday and hour" in svgs and "Utilisation per counter" in svgs
    assert 'class="axis-title"' in html and "target 5.0 min" in html  # B's 300 s target
    # B missed its goal (its only call waited 420 s > 300 s)
    assert re.search(r'id="r-service-B" class="over"', html)


def test_the_dashboard_links_to_the_reports(manager_client):
    html = manager_client.get("/manager").get_data(as_text=True)
    assert 'href="/manager/reports"' in html


def test_a_filter_narrows_the_page(manager_client):
    html = manager_client.get("/manager/reports?preset=today&service=A").get_data(as_text=True)
    assert 'id="r-service-A"' in html and 'id="r-service-B"' not in html


@pytest.mark.parametrize("table", ["kpis", "days", "heat", "counters", "staff", "waits"])
def test_every_table_downloads_as_csv(manager_client, table):
    got = rows(manager_client.get(f"/manager/reports/{table}.csv?preset=today"))
    assert got
    if table == "kpis":
        by = {r["service"]: r for r in got}
        assert by["ALL"]["wait_mean_s"] == "270.0" and by["ALL"]["served"] == "2"
    if table == "waits":
        assert sum(int(r["tickets"]) for r in got) == 4


def test_raw_tickets_and_events_stream_as_csv(manager_client):
    tickets = rows(manager_client.get("/manager/reports/tickets.csv?preset=today"))
    assert sorted(t["number"] for t in tickets) == ["A001", "A002", "B001"]
    events = rows(manager_client.get("/manager/reports/events.csv?preset=today"))
    assert len(events) == 14 and {e["action"] for e in events} >= {"issue", "transfer", "no_show"}


@pytest.mark.parametrize("query", ["preset=someday", "preset=custom&from=2026-02-30",
                                   "service=Z", "preset=custom&from=2025-01-01&to=2026-03-02"])
def test_bad_report_parameters_are_400(manager_client, query):
    assert manager_client.get(f"/manager/reports?{query}").status_code == 400


def test_reports_need_a_manager(client):
    sign_in(client, "staff")
    assert client.get("/manager/reports").status_code == 403
    assert_error(client.get("/api/v1/stats"), 403)
