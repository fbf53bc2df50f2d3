"""A new branch from ``servicepoint init`` (no demo) to a printed ticket, in real Chromium,
using only the web pages: the printer, a service with Spanish and English names and
opening hours, a counter serving it, a kiosk paired by its code; a stranger's browser
cannot issue there, and revoking the kiosk stops it at once.

The only command-line steps are the ones before there is anybody to sign in:
``init`` and the first account.
"""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
import subprocess
from typing import Iterator

import pytest

from hardware.emulator import PrinterEmulator
from tests.support.devices import (
    enter_pairing_code,
    issue_status,
    pairing_code,
    revoke_on_devices_page,
)
from tests.support.server import ServerProcess, run_init, servicepoint_cmd

from .conftest import format_violations, new_page, sign_in

pytestmark = pytest.mark.e2e

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@pytest.fixture
def printer() -> Iterator[PrinterEmulator]:
    emu = PrinterEmulator(name="e2e-new-branch")
    emu.start_tcp("127.0.0.1", 0)
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def new_branch(tmp_path) -> Iterator[ServerProcess]:
    db = tmp_path / "branch.db"
    run_init(db, demo=False)
    subprocess.run(servicepoint_cmd("--db", str(db), "user", "add", "boss", "--role", "admin",
                                    "--password", "boss-password-1", "--name", "Bea Boss"),
                   check=True, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    server = ServerProcess(db, init=False, log_dir=tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def test_a_new_branch_prints_its_first_ticket_at_a_paired_kiosk(browser, new_branch, printer,
                                                                  screenshot, axe):
    admin_ctx, admin = new_page(browser, new_branch)
    kiosk_ctx, kiosk = new_page(browser, new_branch)
    stranger_ctx, stranger = new_page(browser, new_branch)
    try:
        sign_in(admin, "boss", "boss-password-1", "/hardware")
        # 1. The ticket printer (a network printer, here the emulator).
        host, port = printer.tcp_address
        admin.fill("#p-name", "Entrance printer")
        admin.fill("#p-url", f"tcp://{host}:{port}")
        admin.click("form:has(#p-name) button[type=submit]")
        admin.wait_for_selector("#printers tr:has-text('Entrance printer')")

        # 2. A service named in English and Spanish, open today (and on Saturday mornings).
        today = WEEKDAYS[dt.datetime.now().weekday()]
        admin.goto("/manager/setup/services", wait_until="load")
        admin.fill("#svc-code", "P")
        admin.fill("#svc-name-en", "Passports")
        admin.fill("#svc-name-es", "Pasaportes")
        admin.fill("#svc-desc-en", "Apply or renew")
        admin.fill("#svc-desc-es", "Solicitud o renovación")
        admin.fill(f"#open-{today}", "00:00")
        admin.fill(f"#close-{today}", "23:59")
        if today != "sat":
            admin.fill("#open-sat", "09:00")
            admin.fill("#close-sat", "13:00")
        admin.fill("#svc-target", "15")
        admin.click("#service-editor button[type=submit]")
        admin.wait_for_selector("#saved:has-text('Service P is saved')")
        assert admin.locator("#service-P").count() == 1
        screenshot(admin, "setup-services")
        violations = [v for v in axe(admin) if v["impact"] in ("serious", "critical")]
        assert not violations, format_violations(violations)

        # The other setup pages, as the admin sees them.
        for path, name in (("/manager/setup/staff", "setup-staff"),
                           ("/manager/setup/branch", "setup-branch")):
            admin.goto(path, wait_until="load")
            screenshot(admin, name)
            violations = [v for v in axe(admin) if v["impact"] in ("serious", "critical")]
            assert not violations, format_violations(violations)

        # 3. A counter serving it.
        admin.goto("/manager/setup/counters", wait_until="load")
        admin.fill("#ctr-code", "1")
        admin.fill("#ctr-name", "Counter 1")
        admin.fill("#ctr-location", "Ground floor, left")
        admin.fill("#ctr-services", "P")
        admin.click("#counter-editor button[type=submit]")
        admin.wait_for_selector("#saved:has-text('Counter 1 is saved')")
        screenshot(admin, "setup-counters")

        # 4. The kiosk the branch expects, printing on that printer.
        admin.goto("/hardware/devices", wait_until="load")
        admin.select_option("#add-kind", "kiosk")
        admin.fill("#add-code", "K1")
        admin.fill("#add-name", "Entrance kiosk")
        admin.select_option("#add-printer", "Entrance printer")
        admin.click("#add-device-form button[type=submit]")
        admin.wait_for_selector("#saved:has-text('K1 is saved')")

        # 5. The kiosk PC opens its page: a code. The admin enters it; the kiosk opens.
        code = pairing_code(kiosk, "K1")
        admin.goto("/hardware/devices", wait_until="load")
        enter_pairing_code(admin, kiosk, code, "K1")

        # 6. A customer takes a ticket for the new service, in Spanish: it prints.
        kiosk.goto("/kiosk/K1?lang=es", wait_until="load")
        assert "Pasaportes" in kiosk.inner_text("#services")
        kiosk.click("#service-P")
        number = kiosk.wait_for_selector("#ticket-number").inner_text()
        assert number == "P001"
        assert printer.wait_for_tickets(1, timeout=15), "nothing reached the printer"
        assert "P001" in printer.last_ticket().text
        screenshot(kiosk, "new-branch-first-ticket")

        # 7. A stranger's browser on the same page cannot issue.
        stranger.goto("/kiosk/K1", wait_until="load")
        stranger.wait_for_selector("[data-pair-code]")
        assert stranger.locator("#service-P").count() == 0

        # 8. Revoked: the kiosk can issue nothing more, and shows the pairing screen.
        revoke_on_devices_page(admin, kiosk, "K1")
        assert issue_status(kiosk, "K1", "P", "afterrevoke00001") == 403
        kiosk.wait_for_selector("[data-pair-code]")
        assert len(printer.tickets()) == 1
    finally:
        for ctx in (admin_ctx, kiosk_ctx, stranger_ctx):
            ctx.close()
    conn = sqlite3.connect(new_branch.db_path)
    try:
        actions = [(r[0], r[1]) for r in conn.execute(
            "SELECT entity, action FROM audit_log WHERE actor = 'boss' ORDER BY id")]
        names = json.loads(conn.execute("SELECT names FROM services WHERE code = 'P'").fetchone()[0])
    finally:
        conn.close()
    assert names == {"en": "Passports", "es": "Pasaportes"}
    for entry in [("printer", "create"), ("service", "create"), ("counter", "create"),
                  ("device", "create"), ("device", "pair"), ("device", "revoke")]:
        assert entry in actions, actions
