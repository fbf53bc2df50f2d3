"""GET /healthz and GET /metrics."""
from __future__ import annotations

import re

from servicepoint.db import connect


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200
    body = r.get_json()
    assert body["ok"] is True
    database = body["checks"]["database"]
    assert database.pop("disk_free_bytes") > 0
    assert database == {"ok": True, "journal_mode": "wal", "path": "servicepoint.db",
                        "writable": True}
    printers = body["checks"]["printers"]
    assert printers["ok"] is True and [p["name"] for p in printers["items"]] == [
        "Lobby printer (emulator)"]


def test_healthz_reports_a_printer_problem_without_failing(client, demo_db):
    conn = connect(demo_db)
    conn.execute("UPDATE printers SET status = 'paper_out'")
    conn.close()
    body = client.get("/healthz").get_json()
    assert body["ok"] is True
    assert body["checks"]["printers"]["ok"] is False
    assert body["checks"]["printers"]["problems"] == ["Lobby printer (emulator)"]


def test_healthz_is_503_when_the_database_is_broken(client, demo_db):
    conn = connect(demo_db)
    conn.execute("ALTER TABLE tickets RENAME TO tickets_gone")
    conn.close()
    r = client.get("/healthz")
    assert r.status_code == 503 and r.get_json()["checks"]["database"]["ok"] is False


def metric_lines(client) -> list[str]:
    r = client.get("/metrics")
    assert r.status_code == 200 and r.mimetype == "text/plain"
    assert "version=0.0.4" in r.headers["Content-Type"]
    return r.get_data(as_text=True).splitlines()


def test_metrics_after_two_tickets(client, staff):
    client.post("/api/v1/tickets", json={"service": "A"})
    client.post("/api/v1/tickets", json={"service": "A"})
    client.post("/api/v1/counters/1/call-next", headers=staff)
    lines = metric_lines(client)
    assert 'servicepoint_tickets_issued_today{service="A"} 2' in lines
    assert 'servicepoint_tickets_issued_today{service="B"} 0' in lines
    assert 'servicepoint_tickets_waiting{service="A"} 1' in lines
    assert "# TYPE servicepoint_tickets_issued_today gauge" in lines
    assert 'servicepoint_printer_status{printer="Lobby printer (emulator)",status="unknown"} 1' in lines
    assert re.search(r'^servicepoint_http_requests_total\{method="POST",route="/api/v1/tickets",'
                     r'status="201"\} 2$', "\n".join(lines), re.M)
    assert "servicepoint_sse_clients 0" in lines


def test_metrics_count_only_today(client, clock):
    client.post("/api/v1/tickets", json={"service": "B"})
    clock.advance(hours=24)
    client.post("/api/v1/tickets", json={"service": "B"})
    lines = metric_lines(client)
    assert 'servicepoint_tickets_issued_today{service="B"} 1' in lines
    assert 'servicepoint_tickets_waiting{service="B"} 2' in lines


def test_every_metric_line_is_well_formed(client):
    client.post("/api/v1/tickets", json={"service": "C"})
    sample = re.compile(r'^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?[0-9.e+]+$')
    for line in metric_lines(client):
        assert line.startswith("# HELP ") or line.startswith("# TYPE ") or sample.match(line), line


def test_metric_labels_are_escaped(client, demo_db):
    conn = connect(demo_db)
    conn.execute("UPDATE printers SET name = ?", ('Lobby "north"\\desk\nB',))
    conn.close()
    lines = metric_lines(client)
    assert ('servicepoint_printer_status{printer="Lobby \\"north\\"\\\\desk\\nB",'
            'status="unknown"} 1') in lines
    # A raw quote or newline would end the label early or split the sample.
    assert not any(line.startswith("B\"") or '"north"' in line for line in lines)
