"""The lobby display speaks every call in real Chromium: three counters call at once, each call is
announced (chime, then the server's espeak-ng WAV in the display's language), in order, never
overlapping, none dropped; a recall is announced again. Chromium runs with the autoplay flags of
deploy/kiosk-chromium.sh, and then shows no "turn on sound" button."""
from __future__ import annotations

import io
import re
import threading
import time
import wave
from typing import Any, Iterator

import pytest

from tests.e2e.conftest import CHROMIUM_ARGS, PageEvents, take_screenshot
from tests.support.devices import pair_context
from tests.support.display_audio import (
    RECORDER,
    WAV_URL,
    add_display,
    deploy_audio_flags,
    staff_token,
)
from tests.support.require import require_espeak
from tests.support.server import JsonClient, ServerProcess, run_init

pytestmark = pytest.mark.e2e

DISPLAYS = {"D1": "en", "D2": "es"}  # each display announces in its configured language
COUNTERS = ("1", "2", "3")
LIST_URL = re.compile(r"/display/D1/announcements(\?|$)")
# Counts the display's requests for its announcement list, in the page itself.
COUNT_ASKS = """(() => {
  const fetch = window.fetch;
  window.__asked = 0;
  window.fetch = function (url) {
    if (/\\/announcements(\\?|$)/.test(String(url))) window.__asked += 1;
    return fetch.apply(this, arguments);
  };
})();"""


@pytest.fixture(scope="module")
def speech_server(tmp_path_factory) -> Iterator[tuple[ServerProcess, str]]:
    """A fresh demo branch with a second, Spanish display, and a staff token."""
    require_espeak()
    tmp = tmp_path_factory.mktemp("e2e-speech")
    db = tmp / "servicepoint.db"
    run_init(db)
    add_display(db, "D2", "es")
    server = ServerProcess(db, init=False, log_dir=tmp)
    server.start()
    try:
        yield server, staff_token(db)
    finally:
        server.stop()


@pytest.fixture(scope="module")
def deploy_browser(playwright_instance, chromium_executable) -> Iterator[Any]:
    """Chromium started the way deploy/ starts a lobby display (autoplay allowed)."""
    browser = playwright_instance.chromium.launch(
        executable_path=chromium_executable, headless=True,
        args=CHROMIUM_ARGS + deploy_audio_flags(), timeout=30_000)
    try:
        yield browser
    finally:
        browser.close()


def open_display(browser, server: ServerProcess, code: str):
    """A display page, its recorded responses, once it is live and knows where to start."""
    # The server's Content-Security-Policy stays on (no bypass_csp): the display must speak
    # under it, and a violation would be a console error.
    context = browser.new_context(base_url=server.url, viewport={"width": 1920, "height": 1080})
    pair_context(context, server.url, str(server.db_path), (code,))
    context.add_init_script(RECORDER)
    page = context.new_page()
    events = PageEvents()
    events.attach(page)
    wavs: list[Any] = []
    page.on("response", lambda r: wavs.append(r) if WAV_URL.search(r.url) else None)
    page.goto(f"/display/{code}", wait_until="load")
    page.wait_for_selector("#display-live[data-sse=open][data-cursor][data-sound=on]")
    return context, page, events, wavs


def call_together(server: ServerProcess, token: str) -> list[dict]:
    """Counters 1, 2 and 3 press "call next" at the same moment; returns their tickets."""
    barrier = threading.Barrier(len(COUNTERS))
    out: dict[str, dict] = {}

    def press(counter: str) -> None:
        with JsonClient(server.url, headers={"Authorization": f"Bearer {token}"}) as client:
            client.get("/healthz")  # connect first, so the barrier releases the POSTs alone
            barrier.wait()
            r = client.post(f"/api/v1/counters/{counter}/call-next", {})
            assert r.status == 200, r.text
            out[counter] = r.json["ticket"]

    threads = [threading.Thread(target=press, args=(c,)) for c in COUNTERS]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return [out[c] for c in COUNTERS]


def announced(page) -> list[dict]:
    return page.evaluate("window.__announce")


def wait_done(page, count: int) -> list[dict]:
    """Wait until ``count`` announcements have finished; return the step log."""
    # A selector, not wait_for_function: the page runs under the server's CSP (no eval).
    page.wait_for_selector(f"#display-live[data-finished='{count}']", timeout=90_000)
    return announced(page)


def assert_in_order_without_overlap(log: list[dict], lang: str) -> list[int]:
    """Each announcement is chime → speech → done before the next chime; returns the ids."""
    ids = []
    for step, entry in enumerate(log):
        phase = ("chime", "speech", "done")[step % 3]
        assert entry["phase"] == phase, log
        if phase == "chime":
            ids.append(entry["id"])
        else:
            assert entry["id"] == ids[-1], log
        if phase == "speech":
            assert entry["lang"] == lang, log
        if step:
            assert entry["at"] >= log[step - 1]["at"], log
    assert ids == sorted(ids) and len(set(ids)) == len(ids), ids
    return ids


def wav_frames(response) -> int:
    assert response.status == 200 and response.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(response.body())) as w:
        data = w.readframes(w.getnframes())
        assert len(data) == w.getnframes() * w.getsampwidth() * w.getnchannels()
        return w.getnframes()


def test_three_calls_at_once_are_all_announced_in_order_and_a_recall_again(
        speech_server, deploy_browser):
    server, token = speech_server
    with JsonClient(server.url) as client:
        for service in ("A", "A", "C"):  # counters 1 and 2 serve A, counter 3 serves C
            assert client.post("/api/v1/tickets", {"service": service}).status == 201
    screens = {code: open_display(deploy_browser, server, code) for code in DISPLAYS}
    for _, page, _, _ in screens.values():
        assert page.is_hidden("#sound-on"), "autoplay is allowed: no 'turn on sound' button"

    started = time.monotonic()
    tickets = call_together(server, token)
    print(f"three calls sent in {(time.monotonic() - started) * 1000:.0f} ms")
    numbers = sorted(t["number"] for t in tickets)

    for code, lang in DISPLAYS.items():
        _, page, events, wavs = screens[code]
        for number in numbers:  # the board shows all three
            page.wait_for_selector(f"#board .call[data-number='{number}']")
        log = wait_done(page, 3)
        ids = assert_in_order_without_overlap(log, lang)
        assert len(ids) == 3
        # Three announcements requested in order, one WAV each in the display's language.
        requested = [(int(m["event"]), m["lang"]) for m in (WAV_URL.search(r.url) for r in wavs)]
        assert requested == [(i, lang) for i in ids]
        for response in wavs:
            assert wav_frames(response) > 22050  # over a second of speech
        events.assert_clean()
    take_screenshot(screens["D1"][1], "display-announcements")

    # Counter 3 recalls its customer: announced again, as a new event with its own WAV.
    recalled = tickets[2]
    with JsonClient(server.url, headers={"Authorization": f"Bearer {token}"}) as client:
        r = client.post(f"/api/v1/tickets/{recalled['id']}/recall", {"counter": "3"})
        assert r.status == 200, r.text
    for code, lang in DISPLAYS.items():
        _, page, events, wavs = screens[code]
        log = wait_done(page, 4)
        ids = assert_in_order_without_overlap(log, lang)
        assert len(ids) == 4 and len(wavs) == 4
        assert WAV_URL.search(wavs[3].url)["event"] == str(ids[3])
        assert wav_frames(wavs[3]) > 22050
        assert page.get_attribute("#board .call.newest", "data-number") == recalled["number"]
        events.assert_clean()
    for context, _, _, _ in screens.values():
        context.close()


def test_the_display_never_polls_and_retries_a_failed_request(speech_server, deploy_browser):
    """A display asks for announcements when it opens (a failed request is retried by
    itself), never while idle (its clock jumps 16 s ahead: no request), and not even for
    a call: the call arrives with the board on the live stream."""
    server, token = speech_server
    context = deploy_browser.new_context(base_url=server.url,
                                         viewport={"width": 1920, "height": 1080})
    pair_context(context, server.url, str(server.db_path), ("D1",))
    context.add_init_script(RECORDER)
    context.add_init_script(COUNT_ASKS)
    context.clock.install()
    page = context.new_page()
    failing = {"on": True, "refused": 0}

    def maybe_fail(route):
        if failing["on"]:
            failing["refused"] += 1
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route(LIST_URL, maybe_fail)
    # A call from before the display opened: on its board, never announced by it.
    with JsonClient(server.url) as client:
        assert client.post("/api/v1/tickets", {"service": "D"}).status == 201
    with JsonClient(server.url, headers={"Authorization": f"Bearer {token}"}) as client:
        assert client.post("/api/v1/counters/5/call-next", {}).status == 200
    with page.expect_event("requestfailed", lambda r: bool(LIST_URL.search(r.url))):
        page.goto("/display/D1", wait_until="load")
    failing["on"] = False
    page.clock.fast_forward("00:02")  # past the first back-off: the retry comes by itself
    page.wait_for_selector("#display-live[data-sse=open][data-cursor][data-sound=on]")
    assert failing["refused"] >= 1
    idle = page.evaluate("window.__asked")
    # Past any few-second polling.
    page.clock.fast_forward("00:16")
    assert idle >= 1 and page.evaluate("window.__asked") == idle
    with JsonClient(server.url) as client:
        assert client.post("/api/v1/tickets", {"service": "D"}).status == 201
    with JsonClient(server.url, headers={"Authorization": f"Bearer {token}"}) as client:
        r = client.post("/api/v1/counters/4/call-next", {})
        assert r.status == 200, r.text
        number = r.json["ticket"]["number"]
    page.wait_for_selector(f"#board .call[data-number='{number}']")
    log = wait_done(page, 1)
    assert [e["phase"] for e in log] == ["chime", "speech", "done"]
    assert page.evaluate("window.__asked") == idle  # announced from the pushed board
    context.close()


def test_without_espeak_ng_each_call_chimes_alone(tmp_path, deploy_browser):
    """A server whose PATH lacks espeak-ng stays up, says so on /healthz, and the display
    still announces every call, with the chime only (no WAV is asked for)."""
    bare = tmp_path / "bin"
    bare.mkdir()
    server = ServerProcess(tmp_path / "servicepoint.db", log_dir=tmp_path, env={"PATH": str(bare)})
    server.start()
    try:
        with JsonClient(server.url) as client:
            health = client.get("/healthz")
            assert health.status == 200 and health.json["ok"] is True
            assert health.json["checks"]["speech"]["ok"] is False
            assert "espeak-ng" in health.json["checks"]["speech"]["reason"]
            assert client.post("/api/v1/tickets", {"service": "D"}).status == 201
        context, page, events, wavs = open_display(deploy_browser, server, "D1")
        call_next = JsonClient(server.url, headers={
            "Authorization": f"Bearer {staff_token(server.db_path)}"})
        with call_next:
            assert call_next.post("/api/v1/counters/6/call-next", {}).status == 200
        log = wait_done(page, 1)
        assert [e["phase"] for e in log] == ["chime", "done"] and wavs == []
        events.assert_clean()
        context.close()
    finally:
        server.stop()
