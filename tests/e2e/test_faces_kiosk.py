"""The kiosk in real Chromium: tap a service, see the number; one ticket per double tap; axe."""
from __future__ import annotations

import re

import pytest

from .conftest import format_violations

pytestmark = pytest.mark.e2e


def waiting(page, service: str) -> int:
    data = page.request.get("/api/v1/queue").json()
    return next(s["waiting"] for s in data["services"] if s["service"] == service)


def serious(violations):
    return [v for v in violations if v["impact"] in ("serious", "critical")]


def test_kiosk_tap_shows_the_ticket_number(page, page_events, screenshot, axe):
    page.goto("/kiosk/K1", wait_until="load")
    assert page.evaluate("document.documentElement.lang") == "en"
    page.wait_for_selector("#service-A")
    violations = serious(axe(page))
    assert not violations, "kiosk start (axe-core WCAG 2.2 AA):\n" + format_violations(violations)
    screenshot(page, "faces-kiosk-start")

    page.click("#service-A")
    number = page.wait_for_selector("#ticket-number", timeout=5_000).inner_text()
    assert re.fullmatch(r"A\d{3}", number), number
    assert page.url.endswith("/kiosk/K1"), "the ticket is shown in place (htmx), not a new page"
    assert page.locator("#ticket-wait").inner_text().strip()
    violations = serious(axe(page))
    assert not violations, "kiosk ticket (axe-core):\n" + format_violations(violations)
    screenshot(page, "faces-kiosk-ticket")
    page_events.assert_clean()


def test_kiosk_double_tap_gives_one_ticket(page, page_events):
    page.goto("/kiosk/K1?lang=es", wait_until="load")
    assert page.evaluate("document.documentElement.lang") == "es"
    page.wait_for_selector("#service-C")
    before = waiting(page, "C")
    page.dblclick("#service-C")
    page.wait_for_selector("#ticket-number", timeout=5_000)
    page.wait_for_timeout(300)  # let a second request (if any) land
    assert waiting(page, "C") == before + 1
    assert "Su número" in page.inner_text("#kiosk-screen")
    # After ~10 s the kiosk goes back to the start screen, in its own language (English).
    page.wait_for_selector("#service-C", timeout=13_000)
    assert page.locator("#ticket-number").count() == 0
    assert page.evaluate("document.documentElement.lang") == "en"
    page_events.assert_clean()


def test_kiosk_touch_targets_are_large(page):
    # The service buttons are re-fetched once the live stream opens; measure after that
    # swap has settled (a button being swapped out measures 0 x 0).
    page.add_init_script("document.addEventListener('htmx:afterSettle', e => {"
                         " if (e.target.id === 'services') window.spServicesSettled = true; })")
    page.goto("/kiosk/K1", wait_until="load")
    page.wait_for_function("window.spServicesSettled === true")
    sizes = page.eval_on_selector_all(
        "#kiosk-screen a, #kiosk-screen button, label[for=priority]",
        "els => els.filter(e => e.isConnected).map(e => [e.id || e.textContent.trim().slice(0, 20),"
        " e.getBoundingClientRect().height, e.getBoundingClientRect().width])")
    assert len(sizes) >= 5, sizes  # the language links, the priority choice, four services
    small = [s for s in sizes if s[1] < 64 or s[2] < 44]
    assert not small, f"touch targets under 64 px tall / 44 px wide: {small}"
