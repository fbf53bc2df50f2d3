"""Real-browser fixtures: Debian's Chromium driven by Playwright (sync API).

No browser is ever downloaded: Playwright launches ``/usr/bin/chromium``
(``apt-get install chromium``). Without it the e2e tests skip loudly, or fail
under ``SERVICEPOINT_REQUIRE_ALL=1`` (CI).

Fixtures:
    browser      session-scoped Chromium
    live_server  session-scoped ``servicepoint serve`` on a copy of the demo DB (system clock)
    context      a fresh browser context (base_url = live server) per test, paired as the
                 demo kiosks and display (K1, K2, D1)
    page         a page in that context; its console/network are recorded in
    page_events  (console errors, page errors, failed requests, HTTP >= 400)
    screenshot   screenshot(page, "name") -> screenshots/<name>.png at the repo root
    axe          axe(page) -> list of axe-core violations (WCAG 2.x A/AA)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from tests.fixtures import copy_demo_db
from tests.support.devices import pair_context
from tests.support.require import require_chromium
from tests.support.server import ServerProcess

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
SCREENSHOT_DIR = REPO_ROOT / "screenshots"
AXE_JS = HERE / "vendor" / "axe.min.js"

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

VIEWPORT = {"width": 1280, "height": 800}
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


# -- browser and server ------------------------------------------------------
@pytest.fixture(scope="session")
def chromium_executable() -> str:
    return require_chromium()


@pytest.fixture(scope="session")
def playwright_instance(chromium_executable: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        yield pw
    finally:
        pw.stop()


@pytest.fixture(scope="session")
def browser(playwright_instance: Any, chromium_executable: str) -> Iterator[Any]:
    browser = playwright_instance.chromium.launch(
        executable_path=chromium_executable, headless=True, args=CHROMIUM_ARGS, timeout=30_000,
    )
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """``servicepoint serve`` on 127.0.0.1, once per session, on a copy of the demo database.

    The database is the suite's one demo template (tests/fixtures.py). The server
    is a separate process, so it runs on the system clock: a browser test cannot
    move time, and waits for what the page shows instead.
    """
    tmp = tmp_path_factory.mktemp("e2e-server")
    db = copy_demo_db(tmp / "servicepoint.db")
    server = ServerProcess(db, log_dir=tmp, init=False)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# -- per-test context and page -----------------------------------------------
@dataclass
class PageEvents:
    """What a page said and fetched: the evidence for 'no errors' assertions."""

    console: list[tuple[str, str, str]] = field(default_factory=list)  # (type, text, url)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[tuple[str, str]] = field(default_factory=list)  # (url, failure)
    bad_responses: list[tuple[int, str]] = field(default_factory=list)  # (status, url)
    responses: list[tuple[int, str]] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))
        page.on("requestfailed", self._on_request_failed)
        page.on("response", self._on_response)

    def _on_console(self, msg: Any) -> None:
        loc = msg.location or {}
        self.console.append((msg.type, msg.text, loc.get("url", "")))

    def _on_request_failed(self, request: Any) -> None:
        self.failed_requests.append((request.url, request.failure or "?"))

    def _on_response(self, response: Any) -> None:
        self.responses.append((response.status, response.url))
        if response.status >= 400:
            self.bad_responses.append((response.status, response.url))

    @property
    def console_errors(self) -> list[tuple[str, str, str]]:
        return [c for c in self.console if c[0] == "error"]

    def static_failures(self) -> list[str]:
        """Failed or >= 400 requests for /static/... files."""
        # A request the page itself cancelled by navigating away (ERR_ABORTED) did not fail.
        out = [f"{url}: {why}" for url, why in self.failed_requests
               if "/static/" in url and "ERR_ABORTED" not in str(why)]
        out += [f"{url}: HTTP {st}" for st, url in self.bad_responses if "/static/" in url]
        return out

    def report(self) -> str:
        return json.dumps({
            "console_errors": self.console_errors,
            "page_errors": self.page_errors,
            "failed_requests": self.failed_requests,
            "bad_responses": self.bad_responses,
        }, indent=2)

    def assert_clean(self) -> None:
        """No console errors, no uncaught exceptions, no HTTP >= 400 responses."""
        problems = self.console_errors or self.page_errors or self.bad_responses
        assert not problems, "browser reported problems:\n" + self.report()


@pytest.fixture
def context(browser: Any, live_server: ServerProcess) -> Iterator[Any]:
    # Playwright's wait_for_function evaluates its predicate with eval(), which the
    # server's Content-Security-Policy forbids; test_csp.py opens the faces under it.
    ctx = browser.new_context(base_url=live_server.url, viewport=VIEWPORT, locale="en-US",
                              bypass_csp=True)
    ctx.set_default_timeout(10_000)
    # The branch's own screens are paired; test_pairing.py opens unpaired ones itself.
    pair_context(ctx, live_server.url, str(live_server.db_path))
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page_events() -> PageEvents:
    return PageEvents()


@pytest.fixture
def page(context: Any, page_events: PageEvents) -> Iterator[Any]:
    pg = context.new_page()
    page_events.attach(pg)
    yield pg
    pg.close()


# -- helpers -----------------------------------------------------------------
def new_page(browser: Any, server: ServerProcess) -> tuple[Any, Any]:
    """A fresh, unpaired browser context on ``server`` (English, ``VIEWPORT``, CSP bypassed
    as in :func:`context`, 10 s per step) and its page."""
    ctx = browser.new_context(base_url=server.url, viewport=VIEWPORT, locale="en-US",
                              bypass_csp=True)
    ctx.set_default_timeout(10_000)
    return ctx, ctx.new_page()


def sign_in(page: Any, username: str, password: str, next_url: str) -> None:
    """Sign in through the login form and wait for the page it leads to."""
    page.goto(f"/login?next={next_url}", wait_until="load")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{next_url}")


# htmx marks an element while its request runs and new content while it is swapped in and
# settles; a measurement taken meanwhile reads boxes about to go (0 x 0) or still moving.
HTMX_BUSY = ".htmx-request, .htmx-swapping, .htmx-settling, .htmx-added"


def when_settled(page: Any, measure: str, arg: Any = None) -> Any:
    """Run the JavaScript function ``measure(arg)`` once no htmx request or swap is under way,
    until it returns something truthy (it returns false while what it measures is not laid
    out yet); return that value. One look at the page per try, so no swap falls between the
    check and the measurement. Waits up to the page's default timeout."""
    script = f"arg => document.querySelector({json.dumps(HTMX_BUSY)}) ? false : ({measure})(arg)"
    return page.wait_for_function(script, arg=arg).json_value()


def open_kiosk(page: Any, url: str) -> None:
    """Open a kiosk page and wait until its live stream is open and the refresh that the
    opening triggers (service buttons, printer banner) has been swapped in and settled."""
    page.goto(url, wait_until="load")
    page.wait_for_selector("#kiosk-live[data-sse=open]")
    when_settled(page, "() => true")


def take_screenshot(page: Any, name: str, *, full_page: bool = True) -> Path:
    """Save ``screenshots/<name>.png`` at the repo root (gitignored) and return its path."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "page"
    SCREENSHOT_DIR.mkdir(exist_ok=True)
    path = SCREENSHOT_DIR / f"{safe}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def run_axe(page: Any, *, selector: str | None = None, tags: list[str] | None = None,
            disable_rules: list[str] | None = None) -> list[dict[str, Any]]:
    """Inject the vendored axe-core (CSP-proof, via DevTools evaluate) and return violations."""
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    options: dict[str, Any] = {"runOnly": {"type": "tag", "values": tags or WCAG_TAGS},
                               "resultTypes": ["violations"]}
    if disable_rules:
        options["rules"] = {rule: {"enabled": False} for rule in disable_rules}
    return page.evaluate(
        """async ([selector, options]) => {
            const r = await axe.run(selector ? document.querySelector(selector) : document, options);
            return r.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target, summary: n.failureSummary,
                                          html: n.html.slice(0, 200)})),
            }));
        }""",
        [selector, options],
    )


def format_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"[{v['impact']}] {v['id']}: {v['help']} ({len(v['nodes'])} nodes) {v['helpUrl']}")
        for n in v["nodes"][:5]:
            lines.append(f"    {n['target']}: {n['html']}")
            if n.get("summary"):
                lines.append("      " + n["summary"].replace("\n", "\n      "))
    return "\n".join(lines)


@pytest.fixture
def screenshot() -> Callable[..., Path]:
    return take_screenshot


@pytest.fixture
def axe() -> Callable[..., list[dict[str, Any]]]:
    return run_axe
