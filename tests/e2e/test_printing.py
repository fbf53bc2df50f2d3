"""Printing end to end in real Chromium: kiosk tap → emulator prints → /hardware shows it;
paper out shows live on /hardware and the next kiosk ticket says it was not printed."""
from __future__ import annotations

import re

import pytest

from .conftest import format_violations, sign_in

pytestmark = pytest.mark.e2e


def printer_status(page) -> str:
    return page.locator("#printers tr[data-status]").first.get_attribute("data-status")


def set_emulator(page, state: str) -> None:
    page.click(f"#printers button[name=state][value={state}]")
    page.wait_for_selector(f"#emulator-default-state:text('{state}')")


def test_kiosk_ticket_prints_and_paper_out_shows_live(context, page, page_events, screenshot, axe):
    sign_in(page, "tech", "tech-demo", "/hardware")
    page.wait_for_function(
        "document.querySelector('#printers tr[data-status]').dataset.status === 'ok'")

    kiosk = context.new_page()
    kiosk.goto("/kiosk/K2?lang=en", wait_until="load")
    kiosk.click("#service-B")
    number = kiosk.wait_for_selector("#ticket-number").inner_text()
    assert re.fullmatch(r"B\d{3}", number), number
    assert kiosk.locator("#ticket-not-printed").count() == 0

    # The job appears printed in the live jobs table, and the emulator holds the paper.
    page.wait_for_selector(f"#jobs tr:has-text('{number}') .status-printed")
    page.click("#printers details:has(pre.printed) summary")
    printed = page.inner_text("#printers pre.printed")
    assert number in printed and "Payments and cash" in printed and "[CUT]" in printed
    assert re.search(r"\[QR: http://127\.0\.0\.1:\d+/t/\S+\]", printed), printed

    # Paper runs out: the monitor (polling every second) notices and the page updates
    # without a reload. How fast is a matter for a benchmark; the bound only stops a hang.
    set_emulator(page, "paper_out")
    page.wait_for_function(
        "document.querySelector('#printers tr[data-status]').dataset.status === 'paper_out'",
        timeout=10_000)
    assert "Paper out" in page.inner_text("#printers")
    violations = [v for v in axe(page) if v["impact"] in ("serious", "critical")]
    assert not violations, format_violations(violations)
    screenshot(page, "hardware-paper-out")

    # The next customer still gets a number, and is told it was not printed.
    kiosk.goto("/kiosk/K2?lang=en", wait_until="load")
    kiosk.click("#service-B")
    second = kiosk.wait_for_selector("#ticket-number").inner_text()
    assert second != number
    assert kiosk.locator("#ticket-not-printed").is_visible()
    screenshot(kiosk, "kiosk-not-printed")
    page.wait_for_selector(f"#jobs tr:has-text('{second}') .status-failed")

    # Paper back in: ready again.
    set_emulator(page, "ok")
    page.wait_for_function(
        "document.querySelector('#printers tr[data-status]').dataset.status === 'ok'", timeout=10_000)
    screenshot(page, "hardware")
    page_events.assert_clean()
