"""Smoke test in a real Chromium: the landing page, the vendored htmx, every face."""

from __future__ import annotations

import hashlib
import re
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from .conftest import format_violations

pytestmark = pytest.mark.e2e

FACES = ("kiosk", "counter", "display", "manager", "hardware")
VENDOR_DIR = Path(__file__).resolve().parents[2] / "servicepoint" / "static" / "vendor"


def _face_links(page) -> dict[str, str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(a => a.href)")
    found: dict[str, str] = {}
    for href in hrefs:
        path = urlsplit(href).path
        for face in FACES:
            if face not in found and re.match(rf"^/{face}(/|$)", path):
                found[face] = path
    return found


def test_landing_page_loads_htmx_and_links_every_face(page, page_events, live_server, screenshot):
    resp = page.goto("/", wait_until="networkidle")
    assert resp is not None and resp.status == 200, resp and resp.status
    assert page.title().strip(), "landing page has no <title>"
    assert page.evaluate("document.documentElement.lang"), "<html> has no lang attribute"

    links = _face_links(page)
    missing = [f for f in FACES if f not in links]
    assert not missing, f"landing page lacks links to {missing}; found {links}"

    assert page.evaluate("typeof window.htmx") == "object", "window.htmx is not defined"
    version = page.evaluate("htmx.version")
    assert version.startswith("2.0.11"), f"htmx.version is {version!r}, vendored 2.0.11"
    # The SSE extension registers itself with htmx.defineExtension("sse", ...),
    # whose init() installs htmx.createEventSource.
    assert page.evaluate("typeof htmx.createEventSource") == "function", \
        "htmx SSE extension (sse.min.js) is not loaded"
    loaded = {urlsplit(u).path for st, u in page_events.responses if st < 400}
    for script in ("/static/vendor/htmx.min.js", "/static/vendor/sse.min.js"):
        assert script in loaded, f"{script} was not loaded from the server (no CDN allowed)"
    external = [u for _, u in page_events.responses if urlsplit(u).hostname not in ("127.0.0.1", None)]
    assert not external, f"page fetched from outside the branch server: {external}"

    shot = screenshot(page, "landing")
    assert shot.stat().st_size > 5_000, f"{shot} looks empty"

    assert not page_events.static_failures(), page_events.static_failures()
    page_events.assert_clean()


@pytest.mark.parametrize("face", FACES)
def test_every_face_linked_from_landing_renders(face, page, page_events, screenshot):
    page.goto("/", wait_until="domcontentloaded")
    links = _face_links(page)
    if face not in links:
        pytest.fail(f"no link to /{face} on the landing page")
    resp = page.goto(links[face], wait_until="load")
    assert resp is not None, f"no response for {links[face]}"
    # Staff faces may redirect to a login page, devices to pairing: fine, but no errors.
    assert resp.status < 400, f"{links[face]} -> {page.url}: HTTP {resp.status}"
    assert page.evaluate("document.body && document.body.innerText.trim().length") > 0, \
        f"{page.url} renders an empty page"
    screenshot(page, f"face-{face}")
    assert not page_events.static_failures(), page_events.static_failures()
    assert not page_events.page_errors, page_events.report()
    assert not [s for s in page_events.bad_responses if s[0] >= 500], page_events.report()


def test_landing_page_has_no_serious_accessibility_violations(page, axe):
    page.goto("/", wait_until="networkidle")
    violations = axe(page)
    serious = [v for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, "axe-core (WCAG 2.2 AA):\n" + format_violations(serious)


def test_vendored_files_are_served_unmodified(live_server):
    """The files under /static/vendor/ match the sha256 recorded in VERSIONS.txt."""
    recorded = {}
    for line in (VENDOR_DIR / "VERSIONS.txt").read_text().splitlines():
        parts = line.split()
        if parts and not line.startswith("#") and len(parts) >= 5:
            recorded[parts[0]] = parts[-1]
    assert set(recorded) >= {"htmx.min.js", "sse.min.js"}, recorded
    for name, sha in recorded.items():
        assert hashlib.sha256((VENDOR_DIR / name).read_bytes()).hexdigest() == sha, \
            f"{name} differs from VERSIONS.txt"
        with urllib.request.urlopen(f"{live_server.url}/static/vendor/{name}", timeout=10) as r:
            assert r.status == 200
            assert hashlib.sha256(r.read()).hexdigest() == sha, f"served {name} differs"
