"""Hole 4: a session ends on the server (sign-out, deactivation, new password, new role),
roles come from the database, and the pages carry the browser's protections."""
from __future__ import annotations

import subprocess

import pytest

from tests.security.support import PUBLIC_URL, Browser, start_branch
from tests.support.server import servicepoint_cmd

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def branch(tmp_path_factory):
    b = start_branch(tmp_path_factory.mktemp("sessions"))
    yield b
    b.server.stop()


def _cli(branch, *args: str) -> str:
    proc = subprocess.run(servicepoint_cmd("--db", str(branch.db), *args), capture_output=True,
                          text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def _signed_in(branch, username: str, password: str | None = None) -> Browser:
    browser = Browser(branch.url)
    r = browser.sign_in(username, password)
    assert r.status == 302, r.text[:300]
    return browser


def _replay(branch, stolen: Browser) -> Browser:
    """A second browser holding a copy of the cookie (what a thief would keep)."""
    thief = Browser(branch.url, source="127.0.0.9")
    thief.cookies = dict(stolen.cookies)
    return thief


def _counter_status(browser: Browser) -> int:
    return browser.get("/counter").status


def test_a_copied_cookie_dies_with_sign_out(branch):
    clerk = _signed_in(branch, "clerk")
    thief = _replay(branch, clerk)
    assert _counter_status(thief) == 200
    clerk.get("/counter")
    assert clerk.post_form("/logout", {}).status == 302
    assert _counter_status(thief) == 302  # back to the sign-in page
    r = thief.post_json("/api/v1/counters/1/open", headers={"X-CSRF-Token": clerk.csrf or ""})
    assert r.status == 401


def test_deactivation_ends_every_session_at_once(branch, tmp_path):
    _cli(branch, "user", "add", "temp", "--role", "staff", "--password", "temp-pass-1")
    temp = _signed_in(branch, "temp", "temp-pass-1")
    assert _counter_status(temp) == 200
    _cli(branch, "user", "deactivate", "temp")
    assert _counter_status(temp) == 302
    assert Browser(branch.url).sign_in("temp", "temp-pass-1").status == 401
    # However an account is switched off (here straight in the database), its cookie dies too.
    _cli(branch, "user", "add", "temp2", "--role", "staff", "--password", "temp-pass-2")
    temp2 = _signed_in(branch, "temp2", "temp-pass-2")
    assert _counter_status(temp2) == 200
    conn = branch.connect()
    try:
        with conn:
            conn.execute("UPDATE staff SET active = 0 WHERE username = 'temp2'")
    finally:
        conn.close()
    assert _counter_status(temp2) == 302


def test_a_new_password_ends_every_session(branch):
    _cli(branch, "user", "add", "reset", "--role", "staff", "--password", "old-pass-1")
    reset = _signed_in(branch, "reset", "old-pass-1")
    assert _counter_status(reset) == 200
    _cli(branch, "user", "passwd", "reset", "--password", "new-pass-2")
    assert _counter_status(reset) == 302
    assert _signed_in(branch, "reset", "new-pass-2").get("/counter").status == 200


def test_roles_come_from_the_database(branch):
    _cli(branch, "user", "add", "boss", "--role", "manager", "--password", "boss-pass-1")
    boss = _signed_in(branch, "boss", "boss-pass-1")
    assert boss.get("/manager").status == 200
    _cli(branch, "user", "role", "boss", "staff")
    # The old cookie said "manager"; the database now says otherwise, and the session ended.
    assert boss.get("/manager").status == 302
    again = _signed_in(branch, "boss", "boss-pass-1")
    assert again.get("/manager").status == 403
    assert again.get("/counter").status == 200


def test_pages_carry_the_browser_protections(branch):
    browser = Browser(branch.url)
    for path in ("/", "/login", "/kiosk/K1", "/display/D1", "/api/v1/queue"):
        r = browser.get(path)
        assert r.status == 200, path
        csp = r.headers.get("content-security-policy", "")
        assert "script-src 'self'" in csp and "frame-ancestors 'self'" in csp, path
        assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0], path
        assert r.headers.get("x-frame-options") == "SAMEORIGIN", path
        assert r.headers.get("referrer-policy") == "same-origin", path
        assert r.headers.get("x-content-type-options") == "nosniff", path


def test_cookies_are_secure_when_the_branch_is_https(branch):
    assert PUBLIC_URL.startswith("https://")
    browser = Browser(branch.url)
    browser.sign_in("clerk")
    session_cookies = [c for c in browser.set_cookie_headers if c.startswith("session=")]
    assert session_cookies
    for cookie in session_cookies:
        flags = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert {"secure", "httponly", "samesite=lax"} <= flags, cookie
