"""Pairing the demo branch's kiosks and displays for tests (no fixtures here).

A kiosk or display page shows a board or issues tickets only in a browser that
holds that device's credential. :func:`pair` pairs one the way a screen does —
ask for a code, enter it as a manager would, claim the credential — through the
real use cases on the test's database, and returns the credential: the value of
the browser's cookie (``cookie_name(code)``) or an agent's bearer token.

The end-to-end tests pair and revoke a kiosk in real Chromium the way people do
(:func:`pairing_code`, :func:`enter_pairing_code`, :func:`revoke_on_devices_page`,
:func:`issue_status`); those take Playwright pages and wait only for what the pages show.
"""
from __future__ import annotations

import re

from servicepoint import pairing
from servicepoint.db import connect
from servicepoint.pairing_store import SqlitePairingStore
from servicepoint.pairing_web import device_cookie_name as cookie_name
from servicepoint.timeutil import SystemClock

# The demo branch's screens (servicepoint/demo_branch.toml).
DEMO_DEVICES = ("K1", "K2", "D1")

__all__ = ["DEMO_DEVICES", "cookie_name", "enter_pairing_code", "issue_status", "pair",
           "pair_all", "pair_client", "pair_context", "pairing_code", "revoke",
           "revoke_on_devices_page", "shown_code"]


def pair(db_path: str, code: str, *, transport: str = "cookie", clock=None) -> str:
    """Pair device ``code`` in the database at ``db_path``; returns its new credential."""
    conn = connect(db_path)
    try:
        ports = pairing.PairingPorts(store=SqlitePairingStore(conn), clock=clock or SystemClock(),
                                     actor="test")
        started = pairing.start(ports, transport=transport, wanted_code=code)
        pairing.approve(ports, started.code, code)
        claimed = pairing.claim(ports, started.claim)
        assert claimed is not None and claimed.device_code == code
        return claimed.token
    finally:
        conn.close()


def revoke(db_path: str, code: str) -> int:
    """Revoke every credential of device ``code`` (as the devices page does)."""
    conn = connect(db_path)
    try:
        ports = pairing.PairingPorts(store=SqlitePairingStore(conn), clock=SystemClock(),
                                     actor="test")
        return pairing.revoke(ports, code)
    finally:
        conn.close()


def pair_all(db_path: str, codes=DEMO_DEVICES, **kw) -> dict[str, str]:
    """Pair each device in ``codes``; returns ``{code: credential}``."""
    return {code: pair(db_path, code, **kw) for code in codes}


def pair_client(client, codes=DEMO_DEVICES) -> dict[str, str]:
    """Make a Flask test client a browser paired as each of ``codes``."""
    tokens = pair_all(client.application.config["DATABASE"], codes)
    for code, token in tokens.items():
        client.set_cookie(cookie_name(code), token)
    return tokens


def pair_context(context, base_url: str, db_path: str, codes=DEMO_DEVICES) -> dict[str, str]:
    """Make a Playwright browser context a browser paired as each of ``codes``."""
    tokens = pair_all(db_path, codes)
    context.add_cookies([{"name": cookie_name(code), "value": token, "url": base_url,
                          "httpOnly": True, "sameSite": "Strict"}
                         for code, token in tokens.items()])
    return tokens


def shown_code(html: str) -> str:
    """The six digits a pairing screen's code partial shows (fails the test if none)."""
    match = re.search(r"data-pair-code>\s*(\d{3}) (\d{3})\s*<", html)
    assert match, "no pairing code on the page"
    return match.group(1) + match.group(2)


def pairing_code(kiosk, device: str) -> str:
    """Open ``/kiosk/<device>`` in the unpaired page ``kiosk``; the six digits its pairing
    screen shows. Raises Playwright's ``TimeoutError`` when no code appears."""
    kiosk.goto(f"/kiosk/{device}", wait_until="load")
    return kiosk.wait_for_selector("[data-pair-code]").inner_text().replace(" ", "")


def enter_pairing_code(manager, kiosk, code: str, device: str) -> None:
    """On the devices page open in ``manager``, pair ``device`` with ``code`` as typed; wait
    until the page says so and the kiosk's own page, open in ``kiosk``, shows its form.
    Raises Playwright's ``TimeoutError`` when either does not."""
    manager.fill("#pair-code", code)
    manager.select_option("#pair-device", device)
    manager.click("#pair-form button[type=submit]")
    manager.wait_for_selector(f"#saved:has-text('{device} is paired')")
    kiosk.wait_for_selector("#issue-form")


def revoke_on_devices_page(manager, kiosk, device: str) -> None:
    """Reopen ``device``'s page in ``kiosk`` with its live stream open, then revoke the
    device on the devices page open in ``manager`` and wait until that page says so.
    Raises Playwright's ``TimeoutError`` when a step does not happen."""
    kiosk.goto(f"/kiosk/{device}", wait_until="load")
    kiosk.wait_for_selector("#kiosk-live[data-sse=open]")
    manager.click(f"#device-{device} button.danger")
    manager.wait_for_selector("#saved:has-text('revoked')")


def issue_status(kiosk, device: str, service: str, key: str) -> int:
    """The HTTP status of a ticket POST for ``service`` sent with the cookies and CSRF
    token of the page open in ``kiosk``, as a tap on the screen sends it.

    Sent through the browser context's request API rather than from inside the page:
    a revoked kiosk's page reloads itself to the pairing screen at any moment, and a
    script running in it would be cut off by that navigation.
    """
    token = kiosk.locator("meta[name=csrf-token]").get_attribute("content")
    response = kiosk.context.request.post(
        f"/kiosk/{device}/issue", form={"service": service, "key": key, "csrf_token": token},
        max_redirects=0)
    return response.status
