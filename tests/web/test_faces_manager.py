"""The manager dashboard through the Flask test client: access, live numbers, CSV export."""
from __future__ import annotations

import csv
import io
import re

from servicepoint import usecases
from tests.support.web import login, sign_in


def ports(app):
    from servicepoint.web_db import get_ports

    return get_ports()


def test_manager_needs_a_manager(client):
    r = client.get("/manager")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    sign_in(client, "staff")
    assert client.get("/manager").status_code == 403
    assert client.get("/manager/dashboard").status_code == 403
    assert client.get("/manager/export.csv").status_code == 403


def test_real_sign_in_as_manager(client):
    r = login(client, "manager", next_url="/manager")
    assert r.status_code == 302 and r.headers["Location"].endswith("/manager")
    r = client.get("/manager")
    assert r.status_code == 200 and "Branch dashboard" in r.get_data(as_text=True)


def test_dashboard_shows_queues_kpis_and_counters(app, client):
    sign_in(client, "manager")
    with app.test_request_context():
        p = ports(app)
        for _ in range(3):
            usecases.issue_ticket(p, service="A")
        usecases.call_next(p, counter="2")
    r = client.get("/manager")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert 'sse-connect="/api/v1/events"' in html and 'hx-trigger="sse:changed' in html
    # The export is a GET form with a date range (an empty range is the branch's today).
    form = re.search(r'<form method="get" action="/manager/export\.csv"[^>]*>(.*?)</form>', html,
                     re.S)
    assert form, "no GET form for /manager/export.csv on the dashboard"
    fields = form.group(1)
    assert 'type="date" id="export-from" name="from"' in fields
    assert 'type="date" id="export-to" name="to"' in fields
    assert re.search(r'<button type="submit"[^>]*id="export-csv"', fields)
    sent = client.get("/manager/export.csv", query_string={"from": "", "to": ""})
    assert sent.status_code == 200 and sent.mimetype == "text/csv"
    for kpi in ("kpi-service-level", "kpi-avg-wait", "kpi-no-show", "kpi-throughput"):
        assert f'id="{kpi}"' in html
    assert "Service level" in html and "No-show rate" in html
    assert 'id="queue-A"' in html
    counter = html[html.index('id="counter-2"'):]
    counter = counter[:counter.index("</tr>")]
    assert "A001" in counter and "Open" in counter and "called" in counter
    assert "Open counters: 1" in html


def test_fragment_alone(client):
    sign_in(client, "manager")
    for url, headers in (("/manager/dashboard", {}), ("/manager", {"HX-Request": "true"})):
        r = client.get(url, headers=headers)
        html = r.get_data(as_text=True)
        assert r.status_code == 200 and "<html" not in html and 'id="kpi-title"' in html


def test_longest_wait_over_target_is_flagged(app, client, clock):
    sign_in(client, "manager")
    with app.test_request_context():
        usecases.issue_ticket(ports(app), service="B")  # B's target wait is 5 min
        usecases.issue_ticket(ports(app), service="A")  # A's is 10 min
    clock.advance(minutes=7)
    html = client.get("/manager/dashboard").get_data(as_text=True)
    assert '<tr id="queue-B" class="over">' in html and "over target" in html
    assert '<tr id="queue-A">' in html
    assert "7 min / 5 min" in html


def test_kpis_after_a_finished_visit(app, client, clock):
    sign_in(client, "manager")
    with app.test_request_context():
        p = ports(app)
        t = usecases.issue_ticket(p, service="A").ticket
        clock.advance(minutes=4)
        usecases.call_next(p, counter="1")
        usecases.act(p, ticket_id=t.id, action="start", counter="1")
        clock.advance(minutes=3)
        usecases.act(p, ticket_id=t.id, action="finish", counter="1")
    html = client.get("/manager/dashboard").get_data(as_text=True)
    assert "100 %" in html  # service level: called after 4 min, target 10
    assert re.search(r"kpi-avg-wait.*?kpi-value\">4 min<", html, re.S)  # average wait
    assert "1 finished" in html


def test_csv_export(app, client):
    sign_in(client, "manager")
    with app.test_request_context():
        usecases.issue_ticket(ports(app), service="C")
    r = client.get("/manager/export.csv")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in r.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    by_service = {row["service"]: row for row in rows}
    assert by_service["C"]["issued"] == "1" and by_service["ALL"]["issued"] == "1"


def test_csv_export_with_a_period_and_a_bad_one(client):
    sign_in(client, "manager")
    r = client.get("/manager/export.csv?from=2026-01-01&to=2026-01-31")
    assert r.status_code == 200 and "servicepoint-kpis-2026-01-01.csv" in r.headers["Content-Disposition"]
    r = client.get("/manager/export.csv?from=yesterday")
    assert r.status_code == 400 and "not a date" in r.get_data(as_text=True)


def test_language_choice_sticks_for_the_live_fragment(client):
    sign_in(client, "manager")
    html = client.get("/manager?lang=es").get_data(as_text=True)
    assert '<html lang="es" dir="ltr">' in html and "Hoy hasta ahora" in html
    html = client.get("/manager/dashboard", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Hoy hasta ahora" in html and "Nivel de servicio" in html
