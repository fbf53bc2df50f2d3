"""The phone page of a ticket in real Chromium at 390×844: a cancel question that keeps or
cancels, the full-screen "It's your turn" within a second of the counter's call (with
vibration), the nudge and the branch name, and a re-sync when a sleeping phone wakes."""
from __future__ import annotations

import time

import pytest

from .conftest import format_violations, take_screenshot
from .test_counter_workday import call_by_number, clerk_screen, free

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
VIBRATIONS = ("window.spVibrations = [];"
              "navigator.vibrate = p => { window.spVibrations.push(p); return true; };")


def ticket(page, service: str, language: str) -> dict:
    r = page.request.post("/api/v1/tickets", data={"service": service, "language": language})
    assert r.status == 201, r.text()
    return r.json()


def phone(browser, live_server, *, offline_stream: bool = False):
    ctx = browser.new_context(base_url=live_server.url, viewport=PHONE, locale="en-US",
                              bypass_csp=True, has_touch=True, is_mobile=True)
    ctx.set_default_timeout(10_000)
    page = ctx.new_page()
    page.add_init_script(VIBRATIONS)
    if offline_stream:  # a sleeping phone: the live stream never reaches it
        page.route("**/api/v1/events**", lambda route: route.abort())
    return ctx, page


def state(page) -> str:
    return page.get_attribute("#track-state", "data-state")


def test_cancel_asks_first_in_the_customers_language(browser, live_server, axe):
    ctx, page = phone(browser, live_server)
    try:
        issued = ticket(page, "A", "es")
        page.goto(issued["track_url"], wait_until="load")
        assert page.evaluate("document.documentElement.lang") == "es"
        assert page.inner_text("#track-branch") == "ServicePoint Demo Branch"
        page.click("#cancel-button")
        dialog = page.locator("#cancel-dialog")
        assert dialog.is_visible()
        assert "¿Cancelar su turno?" in dialog.inner_text()
        violations = [v for v in axe(page) if v["impact"] in ("serious", "critical")]
        assert not violations, format_violations(violations)
        page.click("#cancel-keep")  # dismiss: the ticket stays
        assert not dialog.is_visible()
        page.reload(wait_until="load")
        assert state(page) == "waiting"

        page.click("#cancel-button")
        page.keyboard.press("Escape")  # Escape dismisses too
        assert not dialog.is_visible()
        assert state(page) == "waiting"

        page.click("#cancel-button")
        page.click("#cancel-accept")  # accept: cancelled
        page.wait_for_selector("#track-state[data-state=cancelled]")
        assert "Su turno está cancelado." in page.inner_text("body")
    finally:
        ctx.close()


def test_the_called_screen_appears_by_itself_when_the_counter_calls(browser, live_server, axe):
    ctx, page = phone(browser, live_server)
    clerk_ctx, clerk = clerk_screen(browser, live_server, "2")
    try:
        free(clerk)
        if clerk.locator("#state-open").count():
            clerk.click("#state-open")
            clerk.wait_for_selector("#state-close")
        issued = ticket(page, "B", "en")
        page.goto(issued["track_url"], wait_until="load")
        page.wait_for_function("document.querySelector('#track-live') !== null")
        assert state(page) == "waiting"
        clerk.keyboard.press("g")  # the call-by-number field
        clerk.keyboard.type(issued["number"].lower())
        started = time.monotonic()
        clerk.keyboard.press("Enter")  # the call: the phone shows it by itself, live
        # How fast is measured by bench/phone_kiosk.py (median and p99 against the 1 s
        # target); a tight bound here would only measure how loaded the test box is. The loose
        # one still tells live updates from a page that polls now and then.
        page.wait_for_selector("#called-screen")
        print(f"called screen {(time.monotonic() - started) * 1000:.0f} ms after the call")
        clerk.wait_for_function("n => (document.getElementById('current-number') || {})"
                                ".textContent === n", arg=issued["number"])
        counter = page.inner_text("#called-counter")
        assert counter == "Counter 2"
        assert "It's your turn" in page.inner_text("#called-screen")
        assert page.evaluate("document.body.classList.contains('called')")
        assert page.evaluate("window.spVibrations.length") == 1
        box = page.locator("#called-screen").bounding_box()
        assert box["width"] >= PHONE["width"] - 1 and box["height"] >= PHONE["height"] - 1
        violations = [v for v in axe(page) if v["impact"] in ("serious", "critical")]
        assert not violations, format_violations(violations)
        take_screenshot(page, "phone-called", full_page=False)
        free(clerk)
    finally:
        ctx.close()
        clerk_ctx.close()


def test_a_phone_that_wakes_up_shows_what_happened_meanwhile(browser, live_server):
    ctx, page = phone(browser, live_server, offline_stream=True)
    clerk_ctx, clerk = clerk_screen(browser, live_server, "2")
    try:
        free(clerk)
        if clerk.locator("#state-open").count():
            clerk.click("#state-open")
            clerk.wait_for_selector("#state-close")
        issued = ticket(page, "B", "fr")
        page.goto(issued["track_url"], wait_until="load")
        assert state(page) == "waiting"
        call_by_number(clerk, issued["number"])
        assert state(page) == "waiting"  # asleep: no stream, nothing new
        page.evaluate("Object.defineProperty(document, 'visibilityState',"
                      " {value: 'visible', configurable: true});"
                      "document.dispatchEvent(new Event('visibilitychange'))")
        page.wait_for_selector("#called-screen")
        assert "C'est votre tour" in page.inner_text("#called-screen")
        free(clerk)
    finally:
        ctx.close()
        clerk_ctx.close()


def test_the_arabic_phone_page_reads_right_to_left(browser, live_server, axe):
    ctx, page = phone(browser, live_server)
    try:
        issued = ticket(page, "D", "ar")
        page.goto(issued["track_url"], wait_until="load")
        assert page.evaluate("document.documentElement.dir") == "rtl"
        assert page.evaluate("getComputedStyle(document.getElementById('track-number')).direction")\
            == "ltr"  # the number still reads A001, not 100A
        violations = [v for v in axe(page) if v["impact"] in ("serious", "critical")]
        assert not violations, format_violations(violations)
        take_screenshot(page, "phone-waiting-ar", full_page=False)
    finally:
        ctx.close()
