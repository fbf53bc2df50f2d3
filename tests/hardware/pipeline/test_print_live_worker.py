"""The print worker running inside the server: a ticket from the API, a paper-out seen
by /healthz and /metrics, recovery."""
from __future__ import annotations

import time

from servicepoint.db import connect
from tests.hardware.pipeline.support import (
    PRINTER_NAME,
    job_row,
    printer_row,
    wait_for,
)


def test_live_worker_prints_and_reports_paper_out(db, emu, make_app, kiosk_bearer):
    db_path, printer_id = db
    app = make_app(START_WORKERS=True)
    k1 = kiosk_bearer("K1")  # kiosk K1's own credential: only a paired kiosk prints
    ext = app.extensions["servicepoint"]
    ext["start_workers"]()
    watch = connect(db_path)
    try:
        client = app.test_client()
        r = client.post("/api/v1/tickets", json={"service": "B", "kiosk": "K1"}, headers=k1)
        assert r.status_code == 201, r.get_data(as_text=True)
        body = r.get_json()
        assert body["print"]["state"] == "queued"
        assert emu.wait_for_tickets(1, timeout=5), "the running worker did not print the ticket"
        assert body["number"] in emu.last_ticket().text
        assert wait_for(lambda: job_row(watch, body["print"]["job_id"])["state"] == "printed", 3)

        emu.set_state("paper_out")
        started = time.monotonic()
        status = wait_for(lambda: printer_row(watch, printer_id)["status"] == "paper_out", 3.0)
        assert status, f"printer status still {printer_row(watch, printer_id)['status']!r} after 3 s"
        assert time.monotonic() - started < 3.0

        health = client.get("/healthz")
        assert health.status_code == 200  # a printer problem degrades, it does not kill
        printers = health.get_json()["checks"]["printers"]
        assert printers["ok"] is False and printers["problems"] == [PRINTER_NAME]
        metrics = client.get("/metrics").get_data(as_text=True)
        assert f'servicepoint_printer_status{{printer="{PRINTER_NAME}",status="paper_out"}} 1' in metrics
        assert f'servicepoint_printer_status{{printer="{PRINTER_NAME}",status="ok"}} 0' in metrics

        r = client.post("/api/v1/tickets", json={"service": "B", "kiosk": "K1"}, headers=k1)
        assert r.status_code == 201
        assert r.get_json()["print"] == {"state": "not_printed", "reason": "paper_out",
                                         "job_id": r.get_json()["print"]["job_id"], "printed": False}

        emu.set_state("ok")
        assert wait_for(lambda: printer_row(watch, printer_id)["status"] == "ok", 3.0)
        assert client.get("/healthz").get_json()["checks"]["printers"]["ok"] is True
        r = client.post("/api/v1/tickets", json={"service": "B", "kiosk": "K1"}, headers=k1)
        assert r.get_json()["print"]["state"] == "queued"
        assert emu.wait_for_tickets(2, timeout=5)
        assert r.get_json()["number"] in emu.last_ticket().text
    finally:
        ext["stop_workers"]()
        watch.close()

