"""Every screen is honest while the server is away, and recovers by itself (#8).

The server is stopped and started again under open screens: the kiosk shows its own
out-of-service overlay in its language (never the browser's error page) and a tap whose
answer was lost gives exactly one ticket, shown once the server is back; a counter action
that cannot reach the server says so (and one the server fails to record says that); the
display and the phone page mark themselves as reconnecting and their waits as stale, until
their live stream is back.

Each test runs its own server on a fixed port, so the pages find it again after a restart.
Every step waits for what the page shows, never for time.
"""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.fixtures import copy_demo_db
from tests.support.devices import pair_context
from tests.support.server import JsonClient, ServerProcess, free_port

from .conftest import VIEWPORT, open_kiosk, sign_in, take_screenshot
from .test_counter_workday import call_by_number

pytestmark = pytest.mark.e2e

# A server that is back answers within a probe's back-off and a stream's reconnect; a loaded
# CI box may take its time to start one.
BACK_MS = 30_000
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def server(tmp_path: Path):
    db = copy_demo_db(tmp_path / "servicepoint.db")
    srv = ServerProcess(db, port=free_port(), log_dir=tmp_path, init=False)
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def new_context(browser, srv: ServerProcess, viewport=None, **kw):
    # bypass_csp: Playwright's wait_for_function evaluates with eval(), which the CSP forbids
    # (test_csp.py opens the faces under it).
    ctx = browser.new_context(base_url=srv.url, viewport=viewport or VIEWPORT, locale="en-US",
                              bypass_csp=True, **kw)
    ctx.set_default_timeout(10_000)
    return ctx


def tickets_with_key(db_path: Path, key: str) -> list[tuple[str, str]]:
    """(number, state) of every ticket issued with the kiosk's idempotency ``key``."""
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT number, state FROM tickets WHERE idempotency_key = ?",
                            (key,)).fetchall()


def ticket_state(db_path: Path, number: str) -> str:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT state FROM tickets WHERE number = ? ORDER BY id DESC",
                            (number,)).fetchone()[0]


def form_value(post_data: str, name: str) -> str:
    match = re.search(rf"(?:^|&){name}=([^&]*)", post_data)
    assert match, post_data
    return match.group(1)


def test_kiosk_overlay_in_its_language_and_one_ticket_for_a_tap_cut_off(browser, server):
    ctx = new_context(browser, server)
    pair_context(ctx, server.url, str(server.db_path), ("K1",))
    try:
        kiosk = ctx.new_page()
        open_kiosk(kiosk, "/kiosk/K1?lang=fr")
        overlay = kiosk.locator("#kiosk-offline")
        assert not overlay.is_visible()

        # The server goes away under an idle kiosk: the overlay, in French, and the page stays.
        server.stop()
        overlay.wait_for(state="visible")
        assert "Temporairement hors service" in overlay.inner_text()
        assert kiosk.evaluate("document.documentElement.lang") == "fr"
        take_screenshot(kiosk, "server-away-kiosk-overlay", full_page=False)
        server.start()
        overlay.wait_for(state="hidden", timeout=BACK_MS)
        assert urlsplit(kiosk.url).path == "/kiosk/K1"
        kiosk.wait_for_selector("#kiosk-live[data-sse=open]", timeout=BACK_MS)

        # A tap whose answer is lost: the server makes the ticket, then goes away before the
        # kiosk hears of it. The kiosk keeps the tap and sends it again, same key, when the
        # server is back: the server answers with that same ticket.
        sent: list[str] = []
        answered: list[str] = []

        def cut_off(route):
            sent.append(route.request.post_data or "")
            if len(sent) > 1:
                route.continue_()
                return
            answered.append(route.fetch().text())
            server.stop()
            route.abort("connectionreset")

        kiosk.route("**/kiosk/K1/issue", cut_off)
        kiosk.click("#service-B")
        overlay.wait_for(state="visible")
        assert kiosk.locator("#ticket-number").count() == 0  # the start screen stays under it
        server.start()
        number = kiosk.locator("#ticket-number")
        number.wait_for(timeout=BACK_MS)
        first = re.search(r'id="ticket-number">([^<]+)<', answered[0])
        assert first, answered[0][:500]
        assert number.inner_text() == first.group(1)
        assert not overlay.is_visible()
        assert len(sent) == 2
        key = form_value(sent[0], "key")
        assert form_value(sent[1], "key") == key and form_value(sent[1], "service") == "B"
        assert tickets_with_key(server.db_path, f"kiosk:K1:{key}") == [(first.group(1), "waiting")]
    finally:
        ctx.close()


def test_a_tap_the_server_never_got_gives_one_ticket_when_it_is_back(browser, server):
    ctx = new_context(browser, server)
    pair_context(ctx, server.url, str(server.db_path), ("K1",))
    try:
        kiosk = ctx.new_page()
        open_kiosk(kiosk, "/kiosk/K1")
        sent: list[str] = []

        def refused(route):  # the tap leaves just as the server stops: it never arrives
            sent.append(route.request.post_data or "")
            if len(sent) == 1:
                server.stop()
            route.continue_()

        kiosk.route("**/kiosk/K1/issue", refused)
        kiosk.click("#service-A")
        overlay = kiosk.locator("#kiosk-offline")
        overlay.wait_for(state="visible")
        assert "Temporarily out of service" in overlay.inner_text()
        server.start()
        shown = kiosk.locator("#ticket-number")
        shown.wait_for(timeout=BACK_MS)
        key = form_value(sent[0], "key")
        assert [form_value(s, "key") for s in sent] == [key, key]
        assert tickets_with_key(server.db_path, f"kiosk:K1:{key}") == [(shown.inner_text(),
                                                                          "waiting")]
    finally:
        ctx.close()


def test_counter_display_and_phone_say_so_and_recover(browser, server):
    api = JsonClient(server.url)
    issued = api.post("/api/v1/tickets", {"service": "B", "language": "es"})
    assert issued.status == 201, issued.text
    staff = new_context(browser, server, viewport={"width": 1366, "height": 768})
    screens = new_context(browser, server, viewport={"width": 1920, "height": 1080})
    pair_context(screens, server.url, str(server.db_path), ("D1",))
    phones = new_context(browser, server, viewport=PHONE, has_touch=True, is_mobile=True)
    try:
        clerk = staff.new_page()
        sign_in(clerk, "clerk", "clerk-demo", "/counter/2")
        if clerk.locator("#state-open").count():
            clerk.click("#state-open")
        clerk.wait_for_selector("#btn-next:not([disabled])")
        display = screens.new_page()
        display.goto("/display/D1", wait_until="load")
        phone = phones.new_page()
        phone.goto(urlsplit(issued.json["track_url"]).path, wait_until="load")
        for page, live in ((clerk, "#counter-live"), (display, "#display-live"),
                           (phone, "#track-live")):
            page.wait_for_selector(f"{live}[data-sse=open]")
        banner = clerk.locator("#counter-offline")
        marks = {display: display.locator("#display-reconnecting"),
                 phone: phone.locator("#track-reconnecting")}
        assert not banner.is_visible() and not any(m.is_visible() for m in marks.values())

        server.stop()
        marks[display].wait_for(state="visible")
        assert display.locator("#display-stale").inner_text() == "Waiting times may be out of date."
        assert display.locator("#board").evaluate("e => getComputedStyle(e).filter") != "none"
        marks[phone].wait_for(state="visible")
        assert "Reconectando…" in marks[phone].inner_text()
        assert "puede no estar al día" in marks[phone].inner_text()
        assert phone.locator("#track .track").evaluate("e => getComputedStyle(e).filter") != "none"
        assert not phone.locator("#track-updates").is_visible()  # "updates by itself": not now
        clerk.keyboard.press("n")  # Call next, by its shortcut, with nobody to send it to
        banner.wait_for(state="visible")
        assert "Connection lost: your action was not sent." in banner.inner_text()
        take_screenshot(clerk, "server-away-counter", full_page=False)
        take_screenshot(display, "server-away-display", full_page=False)
        take_screenshot(phone, "server-away-phone", full_page=False)

        server.start()
        banner.wait_for(state="hidden", timeout=BACK_MS)
        for mark in marks.values():
            mark.wait_for(state="hidden", timeout=BACK_MS)
        assert display.locator("#board").evaluate("e => getComputedStyle(e).filter") == "none"
        assert phone.locator("#track .track").evaluate("e => getComputedStyle(e).filter") == "none"
        # The call was not sent: the ticket still waits, and a call now reaches the phone.
        assert ticket_state(server.db_path, issued.json["number"]) == "waiting"
        call_by_number(clerk, issued.json["number"])
        phone.wait_for_selector("#called-screen")
    finally:
        api.close()
        for ctx in (staff, screens, phones):
            ctx.close()


def test_a_counter_action_the_server_fails_to_record_is_not_silent(browser, server):
    """A 5xx (the server cannot save) is not swapped into the screen: a banner says so."""
    staff = new_context(browser, server, viewport={"width": 1366, "height": 768})
    try:
        clerk = staff.new_page()
        sign_in(clerk, "clerk", "clerk-demo", "/counter/2")
        if clerk.locator("#state-open").count():
            clerk.click("#state-open")
        clerk.wait_for_selector("#btn-next:not([disabled])")
        failed = clerk.locator("#counter-failed")
        assert not failed.is_visible()
        clerk.route("**/counter/2/next", lambda route: route.fulfill(
            status=503, content_type="text/html", body="<p>cannot save</p>"))
        clerk.keyboard.press("n")
        failed.wait_for(state="visible")
        assert "could not record your action" in failed.inner_text()
        assert not clerk.locator("#counter-offline").is_visible()  # it did reach the server
        clerk.unroute("**/counter/2/next")
        clerk.keyboard.press("n")  # answered (a call, or "nobody is waiting"): it went through
        failed.wait_for(state="hidden")
    finally:
        staff.close()
