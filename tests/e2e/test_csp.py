"""The faces work under the server's Content-Security-Policy (no inline scripts, no eval):
each page loads, htmx runs, and the browser reports no violation."""
from __future__ import annotations

import json
import urllib.request
from typing import Any, Iterator
from urllib.parse import urlsplit

import pytest

from tests.support.devices import pair_context

from .conftest import VIEWPORT, PageEvents, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def strict_page(browser: Any, live_server, page_events: PageEvents) -> Iterator[Any]:
    """A page that obeys the CSP (the other e2e tests bypass it for Playwright's own eval)."""
    ctx = browser.new_context(base_url=live_server.url, viewport=VIEWPORT, locale="en-US")
    ctx.set_default_timeout(10_000)
    pair_context(ctx, live_server.url, str(live_server.db_path))
    page = ctx.new_page()
    page_events.attach(page)
    try:
        yield page
    finally:
        ctx.close()


def test_faces_run_under_the_content_security_policy(strict_page, page_events, live_server):
    page = strict_page
    for path in ("/", "/kiosk/K1", "/display/D1"):
        response = page.goto(path, wait_until="networkidle")
        assert response is not None and response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert page.evaluate("typeof window.htmx") == "object", path
    # A ticket from the kiosk, then its tracking page with the cancel confirmation (a
    # script file now, not an inline handler).
    page.goto("/kiosk/K1", wait_until="networkidle")
    page.locator("button[name=service]").first.click()
    page.wait_for_selector("#ticket-number")
    # The phone's tracking page: cancelling asks first (track.js, a script file).
    request = urllib.request.Request(live_server.url + "/api/v1/tickets", method="POST",
                                     data=json.dumps({"service": "A"}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        track = urlsplit(json.load(answer)["track_url"]).path
    page.goto(track, wait_until="networkidle")
    page.click("#cancel-form button[type=submit]")
    assert "Cancel your ticket" in page.locator("#cancel-dialog[open]").inner_text()
    page.click("#cancel-accept")
    page.wait_for_selector("#track-state[data-state=cancelled]")
    sign_in(page, "clerk", "clerk-demo", "/counter")
    page_events.assert_clean()
