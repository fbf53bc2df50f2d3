"""The kiosk in real Chromium: tap a service, see the number; one ticket per double tap; axe."""
from __future__ import annotations

import re

import pytest

from .conftest import format_violations, open_kiosk, when_settled

pytestmark = pytest.mark.e2e


def waiting(page, service: str) -> int:
    data = page.request.get("/api/v1/queue").json()
    return next(s["waiting"] for s in data["services"] if s["service"] == service)


def serious(violations):
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def test_kiosk_tap_shows_the_ticket_number(page, page_events, screenshot, axe):
    open_kiosk(page, "/kiosk/K1")  # the live refresh of the buttons is done: axe sees one page
    assert page.evaluate("document.documentElement.lang") == "en"
    violations = serious(axe(page))
    assert not violations, "kiosk start (axe-core WCAG 2.2 AA):\n" + format_violations(violations)
    screenshot(page, "faces-kiosk-start")

    page.click("#service-A")
    number = page.wait_for_selector("#ticket-number").inner_text()
    assert re.fullmatch(r"A\d{3}", number), number
    assert page.url.endswith("/kiosk/K1"), "the ticket is shown in place (htmx), not a new page"
    assert page.locator("#ticket-wait").inner_text().strip()
    violations = serious(axe(page))
    assert not violations, "kiosk ticket (axe-core):\n" + format_violations(violations)
    screenshot(page, "faces-kiosk-ticket")
    page_events.assert_clean()


def test_kiosk_double_tap_gives_one_ticket(page, page_events):
    open_kiosk(page, "/kiosk/K1?lang=es")  # no live refresh swaps the button between the taps
    assert page.evaluate("document.documentElement.lang") == "es"
    before = waiting(page, "C")
    taps = []
    page.on("request", lambda r: taps.append(r) if r.url.endswith("/issue") else None)
    page.dblclick("#service-C")
    page.wait_for_selector("#ticket-number")
    for tap in taps:  # every tap that left the page (a second one, if any) has been answered
        assert tap.response() is not None
    assert len(taps) >= 1
    assert waiting(page, "C") == before + 1
    assert "Su número" in page.inner_text("#kiosk-screen")
    # After ~10 s the kiosk goes back to the start screen, in its own language (English); a
    # loaded box may take longer to get there.
    page.wait_for_selector("#service-C", timeout=30_000)
    assert page.locator("#ticket-number").count() == 0
    assert page.evaluate("document.documentElement.lang") == "en"
    page_events.assert_clean()


def test_kiosk_touch_targets_are_large(page):
    # The service buttons are re-fetched once the live stream opens (a busy box may take a
    # while): measure when every target is laid out and no htmx request or swap is under way,
    # in one look at the page. A target swapped out or not rendered yet measures 0 x 0.
    open_kiosk(page, "/kiosk/K1")
    sizes = when_settled(page, """sel => {
        const sizes = [...document.querySelectorAll(sel)].map(e => {
            const box = e.getBoundingClientRect();
            return [e.id || e.textContent.trim().slice(0, 20), box.height, box.width]; });
        return sizes.length >= 5 && sizes.every(s => s[1] > 0 && s[2] > 0) && sizes; }""",
        "#kiosk-screen a, #kiosk-screen button, label[for=priority]")
    assert len(sizes) >= 5, sizes  # the language links, the priority choice, four services
    small = [s for s in sizes if s[1] < 64 or s[2] < 44]
    assert not small, f"touch targets under 64 px tall / 44 px wide: {small}"
